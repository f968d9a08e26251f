package recipe

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainingMethodChecks: QAD and on-policy settings are checked before
// anything runs, each error at the field's file:line:column.
func TestTrainingMethodChecks(t *testing.T) {
	dir := fixtureDir(t)
	for _, tc := range []struct {
		name, src string
		want      []string // substrings of the error; none: valid
		warning   string   // substring of the one warning expected
	}{
		{"qad exported", "distillation: {qad: {type: q4_0}}\nexport: [{format: gguf, dtype: q4_0}]\n", nil, ""},
		{"qad quantized", "distillation: {qad: {type: int4-g32}}\nquantization: {methods: [int4-g32]}\n", nil, ""},
		{"qad unknown type", "distillation: {qad: {type: q4_z}}\nexport: [{format: gguf, dtype: q4_0}]\n",
			[]string{`5:28: distillation.qad.type: unknown value "q4_z" (want q8_0, q4_0`}, ""},
		{"qad never written", "distillation: {qad: {type: q4_0}}\nexport: [{format: gguf, dtype: f16}]\n",
			[]string{"5:28: distillation.qad.type: q4_0: no export dtype or quantization method is q4_0"}, ""},
		{"qad other export", "distillation: {qad: {type: q4_0}}\nexport: [{format: gguf, dtype: q4_0}, {format: gguf, dtype: q8_0}]\n",
			nil, "6:61: export[1].dtype: q8_0 is not the QAD type q4_0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(filepath.Join(dir, "r.yaml"), []byte(minimal+tc.src))
			if err == nil {
				err = r.Validate(ValidateContext{})
				err = r.Validate(ValidateContext{}) // twice: warnings are not repeated
			}
			if len(tc.want) == 0 && err != nil {
				t.Fatalf("error %v", err)
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want %q", err, w)
				}
			}
			if err != nil {
				return
			}
			ws := r.Warnings()
			if tc.warning == "" && len(ws) > 0 || tc.warning != "" && (len(ws) != 1 || !strings.Contains(ws[0].Error(), tc.warning)) {
				t.Errorf("warnings %v, want %q", ws, tc.warning)
			}
		})
	}
}
