package exec

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/adapters"
)

// params are the decoded with: parameters of one activity.
type params struct {
	argv         []string
	dir          string
	env          map[string]string
	timeout      time.Duration
	outputsFile  string
	outputLimit  int64
	retryCodes   []int
	retryCodeSet bool
}

var knownParams = []string{"command", "dir", "env", "timeout", "outputs-file", "output-limit", "retryable-exit-codes"}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// isTemplate reports whether v is a string holding a ${{ }} expression: at
// validation time templated values arrive as their source text and can only
// be checked once evaluated.
func isTemplate(v any) bool {
	s, ok := v.(string)
	return ok && strings.Contains(s, "${{")
}

// parseParams decodes with:. When validating, templated values are accepted
// wherever a value of another type is expected.
func parseParams(with map[string]any, validating bool) (*params, error) {
	keys := make([]string, 0, len(with))
	for k := range with {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(knownParams, k) {
			return nil, &adapters.ParamError{Param: k, Msg: fmt.Sprintf("unknown parameter (known: %s)", strings.Join(knownParams, ", "))}
		}
	}
	p := &params{}
	tmpl := func(v any) bool { return validating && isTemplate(v) }

	cmd, ok := with["command"]
	switch {
	case !ok || cmd == nil:
		return nil, &adapters.ParamError{Param: "command", Msg: "required: the program and its arguments as a list, e.g. [make, build]"}
	case tmpl(cmd):
	default:
		list, ok := cmd.([]any)
		if !ok {
			if s, isStr := cmd.([]string); isStr {
				list = make([]any, len(s))
				for i := range s {
					list[i] = s[i]
				}
			} else if _, isString := cmd.(string); isString {
				return nil, &adapters.ParamError{Param: "command", Msg: "must be a list (argv), not a string: exec runs no shell; write [sh, -c, script] to use one deliberately"}
			} else {
				return nil, &adapters.ParamError{Param: "command", Msg: fmt.Sprintf("must be a list of strings, got %T", cmd)}
			}
		}
		if len(list) == 0 {
			return nil, &adapters.ParamError{Param: "command", Msg: "must not be empty"}
		}
		for i, v := range list {
			s, err := scalarString(v)
			if err != nil {
				return nil, &adapters.ParamError{Param: "command[" + strconv.Itoa(i) + "]", Msg: err.Error()}
			}
			p.argv = append(p.argv, s)
		}
		if p.argv[0] == "" {
			return nil, &adapters.ParamError{Param: "command[0]", Msg: "the program must not be empty"}
		}
	}

	if v, ok := with["dir"]; ok {
		s, isStr := v.(string)
		if !isStr || s == "" {
			return nil, &adapters.ParamError{Param: "dir", Msg: "must be a non-empty string"}
		}
		p.dir = s
	}

	if v, ok := with["env"]; ok && !tmpl(v) {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, &adapters.ParamError{Param: "env", Msg: fmt.Sprintf("must be a map of NAME: value, got %T", v)}
		}
		p.env = make(map[string]string, len(m))
		for _, name := range slices.Sorted(maps.Keys(m)) {
			if !envName.MatchString(name) {
				return nil, &adapters.ParamError{Param: "env." + name, Msg: "not a valid environment variable name"}
			}
			if strings.HasPrefix(name, "BATON_") {
				return nil, &adapters.ParamError{Param: "env." + name, Msg: "BATON_ variables are set by the adapter"}
			}
			s, err := scalarString(m[name])
			if err != nil {
				return nil, &adapters.ParamError{Param: "env." + name, Msg: err.Error()}
			}
			p.env[name] = s
		}
	}

	if v, ok := with["timeout"]; ok && !tmpl(v) {
		s, isStr := v.(string)
		d, err := time.ParseDuration(s)
		if !isStr || err != nil || d <= 0 {
			return nil, &adapters.ParamError{Param: "timeout", Msg: fmt.Sprintf("must be a positive duration such as 90s or 5m, got %v", v)}
		}
		p.timeout = d
	}

	if v, ok := with["outputs-file"]; ok {
		s, isStr := v.(string)
		if !isStr || s == "" {
			return nil, &adapters.ParamError{Param: "outputs-file", Msg: "must be a non-empty path"}
		}
		p.outputsFile = s
	}

	if v, ok := with["output-limit"]; ok && !tmpl(v) {
		n, err := parseSize(v)
		if err != nil {
			return nil, &adapters.ParamError{Param: "output-limit", Msg: err.Error()}
		}
		p.outputLimit = n
	}

	if v, ok := with["retryable-exit-codes"]; ok && !tmpl(v) {
		list, isList := v.([]any)
		if !isList {
			return nil, &adapters.ParamError{Param: "retryable-exit-codes", Msg: fmt.Sprintf("must be a list of exit codes, got %T", v)}
		}
		p.retryCodeSet = true
		for i, c := range list {
			n, ok := asInt(c)
			if !ok || n < 1 || n > 255 {
				return nil, &adapters.ParamError{Param: "retryable-exit-codes[" + strconv.Itoa(i) + "]", Msg: fmt.Sprintf("must be an exit code from 1 to 255, got %v", c)}
			}
			p.retryCodes = append(p.retryCodes, n)
		}
	}
	return p, nil
}

// scalarString turns a string, number or boolean into its text: YAML reads
// [sleep, 5] as a string and an int, and both are meant as arguments.
func scalarString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), nil
	}
	return "", fmt.Errorf("must be a string, number or boolean, got %T", v)
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case uint64:
		return int(x), x <= math.MaxInt32
	case float64:
		return int(x), x == math.Trunc(x) && math.Abs(x) < math.MaxInt32
	}
	return 0, false
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// parseSize reads a byte count: an integer, or a string such as "64KiB",
// "1MB" or "512".
func parseSize(v any) (int64, error) {
	if n, ok := asInt(v); ok {
		if n <= 0 {
			return 0, fmt.Errorf("must be a positive size, got %d", n)
		}
		return int64(n), nil
	}
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("must be a size such as 65536, \"64KiB\" or \"1MB\", got %T", v)
	}
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("must be a size such as 65536, \"64KiB\" or \"1MB\", got %q", v)
	}
	return n * mult, nil
}
