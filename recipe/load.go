package recipe

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads and parses the recipe file at path: strict YAML decoding
// (unknown keys and wrong types are errors), defaults applied, ${ENV}
// expanded and relative paths joined to the recipe's folder. Every problem
// is reported, as Errors, each with file:line:column. Load does not look at
// the files the recipe names; Validate does.
func Load(path string) (*Recipe, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("recipe: %w", err)
	}
	return Parse(path, src)
}

// Parse is Load on recipe text already read; file names it in errors and
// its folder is where relative paths resolve.
func Parse(file string, src []byte) (*Recipe, error) {
	return parse(file, src, os.LookupEnv)
}

func parse(file string, src []byte, lookup func(string) (string, bool)) (*Recipe, error) {
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, fmt.Errorf("recipe: %s: %w", file, err)
	}
	errs := &errorList{file: file}
	root, err := parseYAML(src)
	if err != nil {
		errs.errs = append(errs.errs, yamlError(file, err))
		return nil, errs.err()
	}
	r := &Recipe{file: file, dir: dir, pos: map[string]Pos{"": {1, 1}}}
	d := &decoder{errs: errs, pos: r.pos, dir: dir, lookup: lookup}
	rv := reflect.ValueOf(r).Elem()
	applyDefaults(rv)
	if root == nil {
		errs.add(Pos{1, 1}, "", "empty recipe")
		return nil, errs.err()
	}
	r.pos[""] = nodePos(root)
	d.value(root, rv, "")
	if err := errs.err(); err != nil {
		return nil, err
	}
	r.fillDerived()
	return r, nil
}

// parseYAML returns the single document of src, nil when src holds none.
func parseYAML(src []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(src)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, fmt.Errorf("yaml: line %d: a recipe is one YAML document, found a second one", next.Line)
	} else if !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlError turns a syntax error of the YAML parser ("yaml: line 3: ...")
// into an *Error. The parser reports no column, so it is 1.
func yamlError(file string, err error) *Error {
	e := &Error{File: file, Pos: Pos{1, 1}, Msg: err.Error()}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		if m[1] != "" {
			e.Pos.Line, _ = strconv.Atoi(m[1])
		}
		e.Msg = "invalid YAML: " + m[2]
	}
	return e
}
