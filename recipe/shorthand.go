package recipe

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// byteUnits are the units a ByteSize may carry.
var byteUnits = map[string]int64{
	"": 1, "B": 1,
	"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
}

var byteSizeRE = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$`)

func (d *decoder) byteSize(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, `a size such as 8GiB or 512MB`, "!!int", "!!str") {
		return
	}
	b, err := ParseByteSize(n.Value)
	if err != nil {
		d.fail(n, path, "%v", err)
		return
	}
	v.SetInt(int64(b))
}

// ParseByteSize reads a ByteSize as recipes and command-line flags
// (--memory-limit) write it: "8GiB", "512 MB", "1.5MiB" or plain bytes.
func ParseByteSize(s string) (ByteSize, error) {
	m := byteSizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("want a size such as 8GiB or 512MB, got %q", s)
	}
	unit, ok := byteUnits[m[2]]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", m[2])
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil || f*float64(unit) >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q out of range", s)
	}
	return ByteSize(f * float64(unit)), nil
}

// decodeNode accepts a method name ("q4_k_m") as well as a mapping.
func (m *Method) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		if s, ok := d.str(n, path); ok {
			m.Method = s
			if d.pos != nil {
				d.pos[join(path, "method")] = nodePos(n)
			}
		}
		return
	}
	d.mapping(n, reflect.ValueOf(m).Elem(), path)
}

// decodeNode accepts [student, teacher] as well as a mapping.
func (lp *LayerPair) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.SequenceNode {
		d.mapping(n, reflect.ValueOf(lp).Elem(), path)
		return
	}
	if len(n.Content) != 2 {
		d.fail(n, path, "want [student_layer, teacher_layer], got a list of %d", len(n.Content))
		return
	}
	for i, p := range []string{"student", "teacher"} {
		fp := join(path, p)
		if d.pos != nil {
			d.pos[fp] = nodePos(n.Content[i])
		}
		d.value(n.Content[i], reflect.ValueOf([]*int{&lp.Student, &lp.Teacher}[i]).Elem(), fp)
	}
}
