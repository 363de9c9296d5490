package http

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/adapters"
)

type pollParams struct {
	url          string
	urlField     path
	field        path
	fieldSrc     string
	doneValues   []string
	failedValues []string
	interval     time.Duration
}

type params struct {
	method        string
	url           string
	headers       map[string]string
	secretHeaders map[string]string // header name -> secret name
	body          []byte
	hasBody       bool
	successCodes  []int
	poll          *pollParams
	outputs       map[string]path
	outputSrc     map[string]string
}

var knownParams = []string{"method", "url", "headers", "body", "secret-headers", "success-codes", "poll", "outputs"}
var knownPollParams = []string{"url", "url-field", "field", "done-values", "failed-values", "interval"}

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

func isTemplate(v any) bool {
	s, ok := v.(string)
	return ok && strings.Contains(s, "${{")
}

func perr(param, format string, args ...any) error {
	return &adapters.ParamError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

func unknownKeys(m map[string]any, known []string, prefix string) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		found := false
		for _, kk := range known {
			if k == kk {
				found = true
				break
			}
		}
		if !found {
			return perr(prefix+k, "unknown parameter (known: %s)", strings.Join(known, ", "))
		}
	}
	return nil
}

// parseParams decodes with:. When validating, templated values are accepted
// where a value of another type is expected.
func parseParams(with map[string]any, validating bool) (*params, error) {
	if err := unknownKeys(with, knownParams, ""); err != nil {
		return nil, err
	}
	tmpl := func(v any) bool { return validating && isTemplate(v) }
	p := &params{method: "POST"}

	if v, ok := with["method"]; ok && !tmpl(v) {
		s, _ := v.(string)
		s = strings.ToUpper(s)
		if !slices.Contains(methods, s) {
			return nil, perr("method", "must be one of %s, got %v", strings.Join(methods, ", "), v)
		}
		p.method = s
	}

	u, ok := with["url"]
	if !ok {
		return nil, perr("url", "required: the webhook URL")
	}
	if !tmpl(u) {
		s, isStr := u.(string)
		if !isStr {
			return nil, perr("url", "must be a string, got %T", u)
		}
		if err := checkURL(s); err != nil {
			return nil, perr("url", "%v", err)
		}
		p.url = s
	} else {
		p.url, _ = u.(string)
	}

	var err error
	if p.headers, err = stringMap(with, "headers", tmpl); err != nil {
		return nil, err
	}
	if p.secretHeaders, err = stringMap(with, "secret-headers", tmpl); err != nil {
		return nil, err
	}
	for name := range p.headers {
		if _, dup := p.secretHeaders[name]; dup {
			return nil, perr("headers."+name, "also set in secret-headers")
		}
	}

	if v, ok := with["body"]; ok {
		if p.method == "GET" || p.method == "HEAD" {
			return nil, perr("body", "a %s request has no body", p.method)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, perr("body", "cannot encode as JSON: %v", err)
		}
		p.body, p.hasBody = b, true
	}

	if v, ok := with["success-codes"]; ok && !tmpl(v) {
		list, isList := v.([]any)
		if !isList || len(list) == 0 {
			return nil, perr("success-codes", "must be a non-empty list of status codes, got %v", v)
		}
		for i, c := range list {
			n, ok := asInt(c)
			if !ok || n < 100 || n > 599 {
				return nil, perr("success-codes["+strconv.Itoa(i)+"]", "must be a status code from 100 to 599, got %v", c)
			}
			p.successCodes = append(p.successCodes, n)
		}
	}

	if v, ok := with["poll"]; ok {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, perr("poll", "must be a map with field and done-values, got %T", v)
		}
		if p.poll, err = parsePoll(m, tmpl); err != nil {
			return nil, err
		}
	}

	if v, ok := with["outputs"]; ok {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, perr("outputs", "must be a map of output name to JSON path, got %T", v)
		}
		p.outputs = map[string]path{}
		p.outputSrc = map[string]string{}
		for _, name := range slices.Sorted(maps.Keys(m)) {
			s, isStr := m[name].(string)
			if !isStr {
				return nil, perr("outputs."+name, "must be a JSON path string such as data.url, got %T", m[name])
			}
			pth, err := parsePath(s)
			if err != nil {
				return nil, perr("outputs."+name, "%v", err)
			}
			p.outputs[name], p.outputSrc[name] = pth, s
		}
	}
	return p, nil
}

func parsePoll(m map[string]any, tmpl func(any) bool) (*pollParams, error) {
	if err := unknownKeys(m, knownPollParams, "poll."); err != nil {
		return nil, err
	}
	pp := &pollParams{}
	if v, ok := m["url"]; ok {
		s, isStr := v.(string)
		if !isStr {
			return nil, perr("poll.url", "must be a string, got %T", v)
		}
		if !tmpl(v) {
			if err := checkURL(s); err != nil {
				return nil, perr("poll.url", "%v", err)
			}
		}
		pp.url = s
	}
	if v, ok := m["url-field"]; ok {
		s, isStr := v.(string)
		if !isStr {
			return nil, perr("poll.url-field", "must be a JSON path string, got %T", v)
		}
		if pp.url != "" {
			return nil, perr("poll.url-field", "set either poll.url or poll.url-field")
		}
		pth, err := parsePath(s)
		if err != nil {
			return nil, perr("poll.url-field", "%v", err)
		}
		pp.urlField = pth
	}
	s, isStr := m["field"].(string)
	if !isStr || s == "" {
		return nil, perr("poll.field", "required: the JSON path of the status in the poll response, such as status")
	}
	pth, err := parsePath(s)
	if err != nil {
		return nil, perr("poll.field", "%v", err)
	}
	pp.field, pp.fieldSrc = pth, s
	if pp.doneValues, err = scalarList(m, "done-values", true); err != nil {
		return nil, err
	}
	if pp.failedValues, err = scalarList(m, "failed-values", false); err != nil {
		return nil, err
	}
	if v, ok := m["interval"]; ok && !tmpl(v) {
		s, _ := v.(string)
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, perr("poll.interval", "must be a positive duration such as 10s, got %v", v)
		}
		pp.interval = d
	}
	return pp, nil
}

func scalarList(m map[string]any, key string, required bool) ([]string, error) {
	v, ok := m[key]
	if !ok {
		if required {
			return nil, perr("poll."+key, "required: a non-empty list of status values")
		}
		return nil, nil
	}
	list, isList := v.([]any)
	if !isList || (required && len(list) == 0) {
		return nil, perr("poll."+key, "must be a non-empty list of status values, got %v", v)
	}
	out := make([]string, 0, len(list))
	for i, x := range list {
		s, ok := scalarString(x)
		if !ok {
			return nil, perr("poll."+key+"["+strconv.Itoa(i)+"]", "must be a string, number or boolean, got %T", x)
		}
		out = append(out, s)
	}
	return out, nil
}

func stringMap(with map[string]any, key string, tmpl func(any) bool) (map[string]string, error) {
	v, ok := with[key]
	if !ok || tmpl(v) {
		return nil, nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, perr(key, "must be a map of header name to value, got %T", v)
	}
	out := make(map[string]string, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if !validHeaderName(name) {
			return nil, perr(key+"."+name, "not a valid header name")
		}
		s, ok := scalarString(m[name])
		if !ok {
			return nil, perr(key+"."+name, "must be a string, got %T", m[name])
		}
		out[name] = s
	}
	return out, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func checkURL(s string) error {
	// The messages never quote the query string or user info, which may
	// hold tokens.
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %q: %v", displayRaw(s), unwrapURLError(err))
	}
	if u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("must be an absolute URL such as https://ci.example.com/hooks/build, got %q", displayRaw(s))
	}
	return nil
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), x == math.Trunc(x) && math.Abs(x) < math.MaxInt32
	}
	return 0, false
}
