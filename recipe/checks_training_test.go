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
		name, src string   // src is appended to minimal unless it starts with "teacher:"
		want      []string // substrings of the error; none: valid
		warning   string   // substring of the one warning expected
	}{
		{"qad exported", "distillation: {qad: {type: q4_0}}\nexport: [{format: gguf, dtype: q4_0}]\n", nil, ""},
		{"qad quantized", "distillation: {qad: {type: int4-g32}}\nquantization: {methods: [int4-g32]}\n", nil, ""},
		{"qad unknown type", "distillation: {qad: {type: q4_z}}\nexport: [{format: gguf, dtype: q4_0}]\n",
			[]string{`5:28: distillation.qad.type: unknown value "q4_z" (want q8_0, q4_0`}, ""},
		{"qad tail", "distillation: {qad: {type: q4_0, steps: 5}}\nexport: [{format: gguf, dtype: q4_0}]\n", nil, ""},
		{"qad tail too long", "distillation: {qad: {type: q4_0, steps: 11}}\nexport: [{format: gguf, dtype: q4_0}]\n",
			[]string{"distillation.qad.steps: 11 is beyond the run's 10 training steps"}, ""},
		{"qad tail negative", "distillation: {qad: {type: q4_0, steps: -1}}\nexport: [{format: gguf, dtype: q4_0}]\n",
			[]string{"distillation.qad.steps: -1 must be >= 0"}, ""},
		{"qad never written", "distillation: {qad: {type: q4_0}}\nexport: [{format: gguf, dtype: f16}]\n",
			[]string{"5:28: distillation.qad.type: q4_0: no export dtype or quantization method is q4_0"}, ""},
		{"qad other export", "distillation: {qad: {type: q4_0}}\nexport: [{format: gguf, dtype: q4_0}, {format: gguf, dtype: q8_0}]\n",
			nil, "6:61: export[1].dtype: q8_0 is not the QAD type q4_0"},
		{"on-policy", "distillation: {on_policy: {lambda: 0.5, max_new_tokens: 64, temperature: 1.0}}\n", nil, ""},
		{"on-policy lambda", "distillation: {on_policy: {lambda: 1.5}}\n",
			[]string{"5:36: distillation.on_policy.lambda: 1.5 must be <= 1"}, ""},
		{"on-policy beyond context", "teacher: {path: t.bin}\ndata: {train: train.txt, seq_len: 32}\nstudent: {}\ntraining: {steps: 1}\ndistillation: {on_policy: {max_new_tokens: 33}}\n",
			[]string{"5:44: distillation.on_policy.max_new_tokens: 33 is beyond the training context data.seq_len 32"}, ""},
		{"on-policy cached", "distillation: {on_policy: {}, soft_labels: {mode: cached}}\n",
			[]string{"5:16: distillation.on_policy: needs the online teacher"}, ""},
		{"on-policy hard labels", "distillation: {loss: ce, on_policy: {}}\n",
			[]string{"5:26: distillation.on_policy: needs the teacher's distribution, which loss ce does not run"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			if !strings.HasPrefix(src, "teacher:") {
				src = minimal + src
			}
			r, err := Parse(filepath.Join(dir, "r.yaml"), []byte(src))
			if err == nil {
				_ = r.Validate(ValidateContext{})
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
