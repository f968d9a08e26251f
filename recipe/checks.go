package recipe

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// checkTags enforces the enum, bound, items and pattern tags of every field
// of struct v (recursively, through pointers, lists and maps). These are
// the constraints schema.json states, checked the same way here.
func (r *Recipe) checkTags(errs *errorList, v reflect.Value, path string) {
	for _, f := range fieldsOf(v.Type()) {
		r.checkValue(errs, v.Field(f.index), join(path, f.key), f.sf.Tag)
	}
}

func (r *Recipe) checkValue(errs *errorList, v reflect.Value, path string, tag reflect.StructTag) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			r.checkValue(errs, v.Elem(), path, tag)
		}
	case reflect.Struct:
		r.checkTags(errs, v, path)
	case reflect.Slice:
		if n, ok := tag.Lookup("items"); ok && v.Len() != atoi(n) {
			errs.add(r.Pos(path), path, "want %s values, got %d", n, v.Len())
		}
		for i := 0; i < v.Len(); i++ {
			r.checkValue(errs, v.Index(i), fmt.Sprintf("%s[%d]", path, i), tag)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			r.checkValue(errs, e, join(path, k.String()), tag)
		}
	default:
		if msg := checkScalar(v, tag); msg != "" {
			errs.add(r.Pos(path), path, "%s", msg)
		}
	}
}

// checkScalar checks one string or number against its tags and returns the
// problem, "" when there is none. Zero paths and sizes mean "not given" and
// are not checked here.
func checkScalar(v reflect.Value, tag reflect.StructTag) string {
	if enum, ok := tag.Lookup("enum"); ok {
		s := fmt.Sprint(v.Interface())
		allowed := strings.Split(enum, ",")
		for _, a := range allowed {
			if s == a {
				return ""
			}
		}
		if v.Kind() == reflect.String {
			s = strconv.Quote(s)
		}
		return fmt.Sprintf("unknown value %s (want %s)", s, orList(allowed))
	}
	if pat, ok := tag.Lookup("pattern"); ok && v.Kind() == reflect.String {
		if !regexp.MustCompile(pat).MatchString(v.String()) {
			return fmt.Sprintf("invalid value %q (want %s)", v.String(), tag.Get("patterndoc"))
		}
	}
	var x float64
	switch {
	case v.CanInt():
		x = float64(v.Int())
	case v.CanFloat():
		x = v.Float()
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Sprintf("%s is not a finite number", fmtNum(v))
		}
	default:
		return ""
	}
	for _, b := range []struct {
		tag string
		ok  func(x, b float64) bool
		op  string
	}{
		{"min", func(x, b float64) bool { return x >= b }, ">="},
		{"xmin", func(x, b float64) bool { return x > b }, ">"},
		{"max", func(x, b float64) bool { return x <= b }, "<="},
		{"xmax", func(x, b float64) bool { return x < b }, "<"},
	} {
		s, ok := tag.Lookup(b.tag)
		if !ok {
			continue
		}
		bound, err := strconv.ParseFloat(s, 64)
		if err != nil {
			panic(fmt.Sprintf("recipe: bad %s tag %q", b.tag, s))
		}
		if !b.ok(x, bound) {
			return fmt.Sprintf("%s must be %s %s", fmtNum(v), b.op, s)
		}
	}
	return ""
}

func fmtNum(v reflect.Value) string {
	if v.CanFloat() {
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return fmt.Sprint(v.Interface())
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(fmt.Sprintf("recipe: bad integer tag %q", s))
	}
	return n
}

// orList writes "a, b or c".
func orList(xs []string) string {
	if len(xs) == 1 {
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}
