package recipe

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary text to the decoder and Validate: they may
// reject it, never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(minimal + "quantization: {methods: [q8_0, {<<: {method: int8}}]}\ngates: {methods: {q8_0: {}}}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	for _, name := range shipped {
		if src, err := os.ReadFile(filepath.Join("..", "recipes", name)); err == nil {
			f.Add(src)
		}
	}
	env := lookupIn(map[string]string{"DISTILL_DATA": "/d", "HF_TEACHER": "/m"})
	f.Fuzz(func(t *testing.T, src []byte) {
		r, err := parse("/f/r.yaml", src, env)
		if err != nil {
			return
		}
		_ = r.Validate(ValidateContext{SkipFiles: true,
			Teacher: func(Teacher) (TeacherInfo, error) { return stories260K, nil }})
		if _, err := r.Canonical(); err != nil {
			return
		}
	})
}
