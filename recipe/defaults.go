package recipe

import (
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// applyDefaults sets every field of struct v that has a default tag, and
// recurses into nested (non-pointer) structs. A default that does not decode
// is a bug in this package, hence the panic.
func applyDefaults(v reflect.Value) {
	if v.Kind() != reflect.Struct {
		return
	}
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		def, ok := f.sf.Tag.Lookup("default")
		if !ok {
			applyDefaults(fv)
			continue
		}
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(def), &doc); err != nil || len(doc.Content) == 0 {
			panic(fmt.Sprintf("recipe: bad default %q on %s.%s: %v", def, v.Type(), f.sf.Name, err))
		}
		errs := &errorList{file: "default"}
		(&decoder{errs: errs}).value(doc.Content[0], fv, f.key)
		if err := errs.err(); err != nil {
			panic(fmt.Sprintf("recipe: bad default on %s.%s: %v", v.Type(), f.sf.Name, err))
		}
	}
}
