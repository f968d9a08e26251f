package recipe

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

func nodePos(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

// decoder walks a yaml.Node tree into Go values by reflection, recording
// the position of every field it sets and collecting every error.
type decoder struct {
	errs   *errorList
	pos    map[string]Pos // field path -> position; nil when applying defaults
	dir    string
	lookup func(string) (string, bool)
	// aliases counts alias and merge expansions: a hostile file can make
	// them exponential ("billion laughs") or, through merges, circular.
	aliases int
}

// maxAliases bounds alias expansions per recipe; real recipes use a few.
const maxAliases = 1000

// expand counts one alias expansion and reports whether it is allowed.
func (d *decoder) expand(n *yaml.Node, path string) bool {
	d.aliases++
	if d.aliases == maxAliases+1 {
		d.fail(n, path, "more than %d alias expansions", maxAliases)
	}
	return d.aliases <= maxAliases
}

// nodeDecoder is implemented by types with a YAML shorthand (a Method given
// as its name, a LayerPair as [s, t]).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

var (
	pathType      = reflect.TypeFor[Path]()
	byteSizeType  = reflect.TypeFor[ByteSize]()
	nodeDecodable = reflect.TypeFor[nodeDecoder]()
)

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.errs.add(nodePos(n), path, format, args...)
}

// value decodes n into v. An explicit null leaves v as it was (its default).
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil || !d.expand(n, path) {
			return
		}
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecodable) {
		v.Addr().Interface().(nodeDecoder).decodeNode(d, n, path)
		return
	}
	switch t := v.Type(); {
	case t == pathType:
		if s, ok := d.str(n, path); ok {
			p, err := resolvePath(s, d.dir, d.lookup)
			if err != nil {
				d.fail(n, path, "%v", err)
				return
			}
			v.SetString(p)
		}
	case t == byteSizeType:
		d.byteSize(n, v, path)
	case t.Kind() == reflect.Pointer:
		e := reflect.New(t.Elem())
		applyDefaults(e.Elem())
		if !v.IsNil() {
			e.Elem().Set(v.Elem())
		}
		d.value(n, e.Elem(), path)
		v.Set(e)
	case t.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	case t.Kind() == reflect.Slice:
		d.sequence(n, v, path)
	case t.Kind() == reflect.Map:
		d.dict(n, v, path)
	case t.Kind() == reflect.String:
		if s, ok := d.str(n, path); ok {
			v.SetString(s)
		}
	case t.Kind() == reflect.Bool:
		if d.scalar(n, path, "a boolean (true or false)", "!!bool") {
			var b bool
			if err := n.Decode(&b); err != nil {
				d.fail(n, path, "%v", err)
				return
			}
			v.SetBool(b)
		}
	case v.CanInt():
		d.integer(n, v, path)
	case v.CanFloat():
		if d.scalar(n, path, "a number", "!!int", "!!float") {
			var f float64
			if err := n.Decode(&f); err != nil {
				d.fail(n, path, "%v", err)
				return
			}
			v.SetFloat(f)
		}
	default:
		panic(fmt.Sprintf("recipe: no decoder for %s (%s)", t, path))
	}
}

// integer decodes an integer, also written as a whole float ("2e8" tokens).
func (d *decoder) integer(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!float" {
		var f float64
		if err := n.Decode(&f); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<62 && !v.OverflowInt(int64(f)) {
			v.SetInt(int64(f))
			return
		}
	}
	if !d.scalar(n, path, "an integer", "!!int") {
		return
	}
	var i int64
	if err := n.Decode(&i); err != nil || v.OverflowInt(i) {
		d.fail(n, path, "integer %s out of range", n.Value)
		return
	}
	v.SetInt(i)
}

// describe names what n holds, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!int":
		return "integer " + n.Value
	case "!!float":
		return "number " + n.Value
	case "!!bool":
		return "boolean " + n.Value
	case "!!str":
		return strconv.Quote(n.Value)
	}
	return fmt.Sprintf("%s %q", n.Tag, n.Value)
}

// scalar checks that n is a scalar with one of tags.
func (d *decoder) scalar(n *yaml.Node, path, want string, tags ...string) bool {
	if n.Kind == yaml.ScalarNode {
		for _, t := range tags {
			if n.Tag == t {
				return true
			}
		}
	}
	d.fail(n, path, "want %s, got %s", want, describe(n))
	return false
}

func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	if d.scalar(n, path, "a string", "!!str") {
		return n.Value, true
	}
	return "", false
}

// field describes one struct field of a recipe type.
type field struct {
	key   string
	index int
	sf    reflect.StructField
}

func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		key, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || key == "" || key == "-" {
			continue
		}
		fs = append(fs, field{key: key, index: i, sf: sf})
	}
	return fs
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// pairs returns the key/value pairs of mapping n with YAML merge keys
// ("<<: *base") expanded; explicit pairs come last so that they win.
func (d *decoder) pairs(n *yaml.Node, path string) [][2]*yaml.Node {
	var merged, own [][2]*yaml.Node
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Tag != "!!merge" {
			if f, dup := first[k.Value]; dup && k.Kind == yaml.ScalarNode {
				d.fail(k, join(path, k.Value), "key given twice (first at line %d)", f.Line)
				continue
			}
			first[k.Value] = k
			own = append(own, [2]*yaml.Node{k, val})
			continue
		}
		srcs := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			srcs = val.Content
		}
		for _, s := range srcs {
			if s.Kind == yaml.AliasNode {
				if !d.expand(s, path) {
					return append(merged, own...)
				}
				s = s.Alias
			}
			if s == nil || s.Kind != yaml.MappingNode {
				d.fail(val, path, "merge key << wants a mapping or a list of mappings")
				continue
			}
			merged = append(merged, d.pairs(s, path)...)
		}
	}
	return append(merged, own...)
}

func (d *decoder) record(path string, key, val *yaml.Node) {
	if d.pos == nil {
		return
	}
	if val.Kind == yaml.MappingNode || val.Kind == yaml.SequenceNode {
		d.pos[path] = nodePos(key)
	} else {
		d.pos[path] = nodePos(val)
	}
}

// mapping decodes a YAML mapping into struct v: unknown keys are errors
// (with a suggestion when one is close), required keys must be present.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping, got %s", describe(n))
		return
	}
	fs := fieldsOf(v.Type())
	seen := map[string]bool{}
	for _, kv := range d.pairs(n, path) {
		k, val := kv[0], kv[1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "want a key, got %s", describe(k))
			continue
		}
		f, ok := lookupField(fs, k.Value)
		if !ok {
			d.fail(k, join(path, k.Value), "unknown key%s", suggest(k.Value, fs))
			continue
		}
		p := join(path, f.key)
		seen[f.key] = true
		d.record(p, k, val)
		d.value(val, v.Field(f.index), p)
	}
	for _, f := range fs {
		if f.sf.Tag.Get("required") == "true" && !seen[f.key] {
			d.fail(n, join(path, f.key), "required key is missing")
		}
	}
}

func lookupField(fs []field, key string) (field, bool) {
	for _, f := range fs {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

// suggest names the known key closest to an unknown one, when it is close
// enough to be a typo.
func suggest(key string, fs []field) string {
	keys := make([]string, len(fs))
	for i, f := range fs {
		keys[i] = f.key
	}
	best := Nearest(key, keys)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// Nearest returns the candidate closest to word by edit distance when it
// is close enough to be a typo (at most 2 edits), else "". Recipe keys and
// the command line's commands and flags are suggested with it.
func Nearest(word string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if dd := editDistance(word, c); dd < bestD {
			best, bestD = c, dd
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		if d.pos != nil {
			d.pos[p] = nodePos(item)
		}
		applyDefaults(s.Index(i))
		d.value(item, s.Index(i), p)
	}
	v.Set(s)
}

func (d *decoder) dict(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping, got %s", describe(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, kv := range d.pairs(n, path) {
		k, val := kv[0], kv[1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "want a key, got %s", describe(k))
			continue
		}
		p := join(path, k.Value)
		d.record(p, k, val)
		e := reflect.New(v.Type().Elem()).Elem()
		applyDefaults(e)
		d.value(val, e, p)
		m.SetMapIndex(reflect.ValueOf(k.Value), e)
	}
	v.Set(m)
}
