package recipe

//go:generate go run ./internal/genschema -o ../recipes/schema.json

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/distill-dev/distill/internal/finitejson"
)

// SchemaID is the $id of the generated schema.
const SchemaID = "https://github.com/distill-dev/distill/recipes/schema.json"

// JSONSchema returns the JSON Schema (draft 2020-12) of a recipe, generated
// from the Go types and their tags, indented, with a final newline. The
// committed recipes/schema.json is this output (`go generate ./recipe`
// rewrites it; a test fails when it is stale).
func JSONSchema() ([]byte, error) {
	s := schemaOf(reflect.TypeFor[Recipe](), "")
	root := obj{
		kv("$schema", "https://json-schema.org/draft/2020-12/schema"),
		kv("$id", SchemaID),
		kv("title", "distill recipe"),
		kv("description", "A distill pipeline: teacher -> student training -> evaluation -> quantization -> export, with CI gates. Run it with `distill run recipe.yaml`."),
	}
	root = append(root, s...)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("recipe: schema: %w", err)
	}
	return b.Bytes(), nil
}

// pathDoc is appended to the description of every Path field.
const pathDoc = "Relative paths resolve against the recipe's folder; ${VAR} and ${VAR:-default} expand from the environment."

// obj is a JSON object that keeps its keys in insertion order, so the
// schema lists properties in the order of the Go fields.
type obj = finitejson.Object

// kv is one property of an obj.
func kv(k string, v any) finitejson.Member { return finitejson.Member{Key: k, Value: v} }

// schemaOf is the schema of type t, with tag describing the field that
// holds it (enum, bounds, default and doc apply to list items for lists).
func schemaOf(t reflect.Type, tag reflect.StructTag) obj {
	var s obj
	if d := tag.Get("doc"); d != "" {
		if t == pathType {
			d += " " + pathDoc
		}
		s = append(s, kv("description", d))
	}
	if def, ok := tag.Lookup("default"); ok {
		var v any
		if err := yaml.Unmarshal([]byte(def), &v); err != nil {
			panic(fmt.Sprintf("recipe: bad default %q: %v", def, err))
		}
		s = append(s, kv("default", v))
	}
	return append(s, typeSchema(t, tag)...)
}

// typeSchema is schemaOf without description and default.
func typeSchema(t reflect.Type, tag reflect.StructTag) obj {
	var s obj
	switch {
	case t == reflect.TypeFor[Method]():
		return append(s, kv("anyOf", []obj{
			{kv("type", "string"), kv("enum", enumValues(t.Field(0).Tag.Get("enum"), t.Field(0).Type))},
			structSchema(t),
		}))
	case t == reflect.TypeFor[LayerPair]():
		return append(s, kv("anyOf", []obj{
			{kv("type", "array"), kv("items", obj{kv("type", "integer"), kv("minimum", 0)}), kv("minItems", 2), kv("maxItems", 2)},
			structSchema(t),
		}))
	case t == byteSizeType:
		return append(s, kv("type", []string{"integer", "string"}),
			kv("pattern", `^[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$`), kv("minimum", 0))
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeSchema(t.Elem(), tag)
	case reflect.Struct:
		return append(s, structSchema(t)...)
	case reflect.Slice:
		s = append(s, kv("type", "array"), kv("items", scalarSchema(t.Elem(), tag)))
		if n, ok := tag.Lookup("items"); ok {
			s = append(s, kv("minItems", atoi(n)), kv("maxItems", atoi(n)))
		}
		return s
	case reflect.Map:
		return append(s, kv("type", "object"), kv("additionalProperties", schemaOf(t.Elem(), "")))
	}
	return append(s, scalarSchema(t, tag)...)
}

func structSchema(t reflect.Type) obj {
	props := obj{}
	var required []string
	for _, f := range fieldsOf(t) {
		props = append(props, kv(f.key, schemaOf(f.sf.Type, f.sf.Tag)))
		if f.sf.Tag.Get("required") == "true" {
			required = append(required, f.key)
		}
	}
	s := obj{kv("type", "object"), kv("properties", props)}
	if len(required) > 0 {
		s = append(s, kv("required", required))
	}
	return append(s, kv("additionalProperties", false))
}

// scalarSchema is the schema of a string, number or boolean (or of a list
// item: structs fall back to schemaOf).
func scalarSchema(t reflect.Type, tag reflect.StructTag) obj {
	var s obj
	switch t.Kind() {
	case reflect.String:
		s = obj{kv("type", "string")}
	case reflect.Bool:
		return obj{kv("type", "boolean")}
	case reflect.Int, reflect.Int64:
		s = obj{kv("type", "integer")}
	case reflect.Float64:
		s = obj{kv("type", "number")}
	default:
		return typeSchema(t, "")
	}
	if e, ok := tag.Lookup("enum"); ok {
		s = append(s, kv("enum", enumValues(e, t)))
	}
	if p, ok := tag.Lookup("pattern"); ok {
		s = append(s, kv("pattern", p))
	}
	for _, b := range [][2]string{{"min", "minimum"}, {"xmin", "exclusiveMinimum"}, {"max", "maximum"}, {"xmax", "exclusiveMaximum"}} {
		if v, ok := tag.Lookup(b[0]); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				panic(fmt.Sprintf("recipe: bad %s tag %q", b[0], v))
			}
			s = append(s, kv(b[1], f))
		}
	}
	return s
}

func enumValues(e string, t reflect.Type) []any {
	var out []any
	for _, v := range strings.Split(e, ",") {
		if t.Kind() == reflect.String {
			out = append(out, v)
		} else {
			out = append(out, atoi(v))
		}
	}
	return out
}
