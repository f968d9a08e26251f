package main

import (
	"fmt"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/generate"
)

// teacherHooks loads models (teacher or student) through package checkpoint.
func teacherHooks() modelHooks {
	return modelHooks{load: loadTeacher, inspect: inspectTeacher}
}

func loadTeacher(path, tok string, e *env) (*loadedModel, error) {
	b, err := openBackend(e)
	if err != nil {
		return nil, err
	}
	t, err := checkpoint.Load(path, b, checkpoint.LoadOptions{Tokenizer: tok})
	if err != nil {
		return nil, err
	}
	if t.Tokenizer == nil {
		t.Close()
		return nil, fmt.Errorf("%s: no tokenizer found beside the checkpoint", path)
	}
	return &loadedModel{
		LM: t.Model, Tok: t.Tokenizer, Path: t.Path, Format: t.Format, Params: int64(t.Model.NumParams()),
		Generate: func(prompt string, o genOptions, onPiece func(string)) ([]int32, []int32, string, error) {
			n := 0
			ids, _, stop, err := generate.Text(t.Model, t.Tokenizer, prompt, generate.Options{
				MaxTokens: o.MaxTokens, Temperature: float32(o.Temperature), TopP: float32(o.TopP), Seed: o.Seed,
				Stop: t.EndIDs, IgnoreEOS: o.IgnoreEOS,
			}, func(piece string) { n++; onPiece(piece) })
			if err != nil {
				return nil, nil, "", err
			}
			return ids[:len(ids)-n], ids[len(ids)-n:], string(stop), nil
		},
		Close: t.Close,
	}, nil
}

func inspectTeacher(path string) (*inspectInfo, error) {
	in, err := checkpoint.Inspect(path)
	if err != nil {
		return nil, err
	}
	info := &inspectInfo{Path: in.Path, Format: in.Format, Config: in.Config, Params: int64(in.NumParams), Bytes: in.TotalBytes}
	for _, t := range in.Tensors {
		n := int64(1)
		for _, d := range t.Shape {
			n *= int64(d)
		}
		info.Tensors = append(info.Tensors, tensorInfo{Name: t.Name, DType: t.DType.String(), Shape: t.Shape, Params: n, Bytes: t.Bytes})
	}
	return info, nil
}
