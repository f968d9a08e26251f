package recipe

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a 1-based line and column in the recipe file.
type Pos struct {
	Line, Column int
}

// Error is one problem in a recipe, at a position of the file.
//
//	recipes/x.yaml:12:9: training.optimizer.lr: must be > 0, got -1
type Error struct {
	File  string // the recipe file as given to Load
	Pos   Pos
	Field string // dotted field path, e.g. "quantization.methods[1].group_size"; "" for syntax errors
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Pos.Line, e.Pos.Column, e.Field, e.Msg)
}

// Errors is every problem found in one pass over a recipe, in file order.
// Load and Validate return it (as error) so that a user sees all mistakes at
// once.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// errorList collects errors while a recipe is decoded or validated.
type errorList struct {
	file string
	errs Errors
}

func (l *errorList) add(p Pos, field, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: l.file, Pos: p, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// has reports whether an error at field was collected.
func (l *errorList) has(field string) bool {
	for _, e := range l.errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// err returns the collected errors sorted by position (stable, so errors at
// one position keep the order they were found in), or nil.
func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	sort.SliceStable(l.errs, func(i, j int) bool {
		a, b := l.errs[i].Pos, l.errs[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return l.errs
}
