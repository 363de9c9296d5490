package process

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// maxJSONDepth bounds the nesting of a JSON document before the decoder's
// own limits apply.
const maxJSONDepth = 1000

// isJSON reports whether data looks like a JSON object.
func isJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// parseJSON reads a JSON document into a YAML node tree with lines and
// columns, so JSON and YAML share one decoder and one set of messages.
func parseJSON(data []byte) (*yaml.Node, error) {
	p := &jsonParser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		line, _ := p.pos(p.dec.InputOffset())
		return nil, fmt.Errorf("line %d: unexpected data after the JSON object", line)
	}
	return n, nil
}

type jsonParser struct {
	data []byte
	dec  *json.Decoder
	// line bookkeeping: the offset and line number reached so far, so
	// positions cost O(document) in all.
	off, line, lineStart int
}

// pos converts a byte offset to a 1-based line and column.
func (p *jsonParser) pos(off int64) (int, int) {
	o := int(off)
	if o > len(p.data) {
		o = len(p.data)
	}
	if o < p.off {
		p.off, p.line, p.lineStart = 0, 0, 0
	}
	for ; p.off < o; p.off++ {
		if p.data[p.off] == '\n' {
			p.line++
			p.lineStart = p.off + 1
		}
	}
	return p.line + 1, o - p.lineStart + 1
}

func (p *jsonParser) fail(err error) error {
	line, _ := p.pos(p.dec.InputOffset())
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, _ = p.pos(se.Offset)
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("line %d: unexpected end of JSON", line)
	}
	return fmt.Errorf("line %d: %s", line, strings.TrimPrefix(err.Error(), "json: "))
}

// start returns the position of the token that the decoder returns next.
func (p *jsonParser) start() (int, int) {
	off := int(p.dec.InputOffset())
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return p.pos(int64(off))
}

func (p *jsonParser) value(depth int) (*yaml.Node, error) {
	if depth > maxJSONDepth {
		line, _ := p.start()
		return nil, fmt.Errorf("line %d: JSON nested deeper than %d levels", line, maxJSONDepth)
	}
	line, col := p.start()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.fail(err)
	}
	n := &yaml.Node{Line: line, Column: col}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
			for p.dec.More() {
				kl, kc := p.start()
				kt, err := p.dec.Token()
				if err != nil {
					return nil, p.fail(err)
				}
				key, _ := kt.(string)
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: kl, Column: kc}, v)
			}
		case '[':
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			for p.dec.More() {
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, p.fail(err)
		}
	case string:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!str", t
	case json.Number:
		n.Kind, n.Value = yaml.ScalarNode, t.String()
		n.Tag = "!!int"
		if strings.ContainsAny(n.Value, ".eE") {
			n.Tag = "!!float"
		}
	case bool:
		n.Kind, n.Tag = yaml.ScalarNode, "!!bool"
		n.Value = fmt.Sprint(t)
	case nil:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!null", "null"
	}
	return n, nil
}
