package recipe

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// minimal is the smallest valid recipe text; tests append sections to it.
const minimal = `teacher: {path: t.bin}
data: {train: train.txt}
student: {every_k: 2}
training: {steps: 10}
`

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// errorLines returns err's errors as "line:col: field: msg", without the
// file name, after checking that each names file.
func errorLines(t *testing.T, err error, file string) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v is %T, not recipe.Errors", err, err)
	}
	var out []string
	for _, e := range es {
		if e.File != file {
			t.Errorf("error %q names file %q, want %q", e, e.File, file)
		}
		out = append(out, strings.TrimPrefix(e.Error(), file+":"))
	}
	return out
}

func TestParseErrors(t *testing.T) {
	env := map[string]string{"DATA": "/data", "EMPTY": ""}
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		{"empty file", "", []string{"1:1: empty recipe"}},
		{"comment only", "# nothing\n", []string{"1:1: empty recipe"}},
		{"not a mapping", "- a\n- b\n", []string{"1:1: want a mapping, got a list"}},
		{"syntax error", "teacher: [1,\n", []string{"1:1: invalid YAML: did not find expected node content"}},
		{"syntax error line", "teacher:\n  - 1\n path: 2\n", []string{"2:1: invalid YAML: did not find expected key"}},
		{"two documents", minimal + "---\nname: x\n", []string{"5:1: invalid YAML: a recipe is one YAML document, found a second one"}},
		{"unknown top-level key", minimal + "teachr: {}\n", []string{`5:1: teachr: unknown key (did you mean "teacher"?)`}},
		{"unknown key no suggestion", minimal + "zzzzzzzz: 1\n", []string{"5:1: zzzzzzzz: unknown key"}},
		{"unknown nested key", minimal + "distillation: {temprature: 2}\n", []string{`5:16: distillation.temprature: unknown key (did you mean "temperature"?)`}},
		{"duplicate key", minimal + "name: a\nname: b\n", []string{"6:1: name: key given twice (first at line 5)"}},
		{"missing required section", "teacher: {path: t.bin}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"1:1: data: required key is missing"}},
		{"missing required key", "teacher: {format: hf}\ndata: {train: x}\nstudent: {}\n",
			[]string{"1:10: teacher.path: required key is missing"}},
		{"missing method", minimal + "quantization:\n  methods:\n    - {asymmetric: true}\n",
			[]string{"7:7: quantization.methods[0].method: required key is missing"}},
		{"string wants mapping", minimal + "evaluation: ppl\n", []string{`5:13: evaluation: want a mapping, got "ppl"`}},
		{"int wants int", minimal + "data2: 1\n", []string{`5:1: data2: unknown key (did you mean "data"?)`}},
		{"integer got string", minimal + "evaluation: {context: long}\n", []string{`5:23: evaluation.context: want an integer, got "long"`}},
		{"integer got float", minimal + "evaluation: {context: 1.5}\n", []string{`5:23: evaluation.context: want an integer, got number 1.5`}},
		{"integer overflow", minimal + "evaluation: {context: 99999999999999999999}\n", []string{`5:23: evaluation.context: want an integer, got number 99999999999999999999`}},
		{"integer too large", minimal + "evaluation: {max_tokens: 9223372036854775808}\n", []string{`5:26: evaluation.max_tokens: integer 9223372036854775808 out of range`}},
		{"int field overflow", minimal + "evaluation: {context: 1e30}\n", []string{`5:23: evaluation.context: want an integer, got number 1e30`}},
		{"number got bool", minimal + "distillation: {alpha: true}\n", []string{`5:23: distillation.alpha: want a number, got boolean true`}},
		{"bool got string", minimal + "training: {optimizer: {decay_norms_and_embeddings: yes}}\n",
			[]string{`5:1: training: key given twice (first at line 4)`}},
		{"bool got string nested", "teacher: {path: t.bin}\ndata: {train: x}\nstudent: {}\ntraining: {optimizer: {decay_norms_and_embeddings: yes}}\n",
			[]string{`4:52: training.optimizer.decay_norms_and_embeddings: want a boolean (true or false), got "yes"`}},
		{"string got int", minimal + "name: 42\n", []string{"5:7: name: want a string, got integer 42"}},
		{"path got list", "teacher: {path: [a]}\ndata: {train: x}\nstudent: {}\n", []string{"1:17: teacher.path: want a string, got a list"}},
		{"list got scalar", minimal + "evaluation: {metrics: ppl}\n", []string{`5:23: evaluation.metrics: want a list, got "ppl"`}},
		{"list item type", minimal + "evaluation: {metrics: [ppl, 3]}\n", []string{`5:29: evaluation.metrics[1]: want a string, got integer 3`}},
		{"map got list", minimal + "gates: {methods: [q8_0]}\n", []string{"5:18: gates.methods: want a mapping, got a list"}},
		{"map value type", minimal + "gates: {methods: {q8_0: {kl_max: x}}}\n", []string{`5:34: gates.methods.q8_0.kl_max: want a number, got "x"`}},
		{"method shorthand type", minimal + "quantization: {methods: [7]}\n", []string{"5:26: quantization.methods[0]: want a string, got integer 7"}},
		{"layer pair length", minimal + "distillation: {hidden: {layer_map: [[1, 2, 3]]}}\n",
			[]string{"5:37: distillation.hidden.layer_map[0]: want [student_layer, teacher_layer], got a list of 3"}},
		{"layer pair item type", minimal + "distillation: {hidden: {layer_map: [[1, a]]}}\n",
			[]string{`5:41: distillation.hidden.layer_map[0].teacher: want an integer, got "a"`}},
		{"byte size unit", minimal[:len(minimal)-len("training: {steps: 10}\n")] + "training: {steps: 1, memory_limit: 8GB2}\n",
			[]string{`4:36: training.memory_limit: want a size such as 8GiB or 512MB, got "8GB2"`}},
		{"byte size unknown unit", "teacher: {path: t}\ndata: {train: x}\nstudent: {}\ntraining: {memory_limit: 8 gigs}\n",
			[]string{`4:26: training.memory_limit: unknown unit "gigs" (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`}},
		{"byte size type", "teacher: {path: t}\ndata: {train: x}\nstudent: {}\ntraining: {memory_limit: [1]}\n",
			[]string{`4:26: training.memory_limit: want a size such as 8GiB or 512MB, got a list`}},
		{"env unset", "teacher:\n  path: ${NOPE}/t.bin\ndata: {train: x}\nstudent: {}\n",
			[]string{"2:9: teacher.path: environment variable NOPE is not set (write ${NOPE:-default} to give a default)"}},
		{"env empty", "teacher: {path: t}\ndata: {train: \"${EMPTY}/x\"}\nstudent: {}\n",
			[]string{"2:15: data.train: environment variable EMPTY is empty (write ${EMPTY:-default} to give a default)"}},
		{"env unterminated", "teacher: {path: t}\ndata: {train: x}\nstudent: {}\noutput: ${DATA\n",
			[]string{`4:9: output: unterminated ${ in "${DATA"`}},
		{"env bad name", "teacher: {path: t}\ndata: {train: x}\nstudent: {}\noutput: ${1A}\n",
			[]string{`4:9: output: invalid environment variable name "1A" in "${1A}"`}},
		{"empty path", "teacher: {path: \"\"}\ndata: {train: x}\nstudent: {}\n", []string{"1:17: teacher.path: empty path"}},
		{"unknown key only", "base: &b 1\n", []string{
			`1:1: base: unknown key (did you mean "name"?)`,
			"1:1: teacher: required key is missing",
			"1:1: data: required key is missing",
			"1:1: student: required key is missing",
		}},
		{"bad merge", "teacher: {path: t}\ndata: {<<: 1, train: x}\nstudent: {}\n",
			[]string{"2:12: data: merge key << wants a mapping or a list of mappings"}},
		{"circular merge", "teacher: &x {<<: *x}\n", []string{
			"1:1: data: required key is missing",
			"1:1: student: required key is missing",
			"1:10: teacher.path: required key is missing",
			"1:18: teacher: more than 1000 alias expansions",
		}},
		{"merge bomb", minimal + "quantization:\n  methods:\n    - &a {method: q8_0}\n" +
			"    - &b {<<: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]}\n" +
			"    - &c {<<: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]}\n" +
			"    - &d {<<: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]}\n" +
			"    - {<<: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]}\n",
			[]string{
				"8:24: quantization.methods[3]: more than 1000 alias expansions",
				"11:7: quantization.methods[4].method: required key is missing",
			}},
		{"many errors in file order", "name: 1\nteacher: {path: \"${X}\"}\ndata: {train: x, seq_len: a}\nstudent: {dim: b}\n",
			[]string{
				"1:7: name: want a string, got integer 1",
				"2:17: teacher.path: environment variable X is not set (write ${X:-default} to give a default)",
				`3:27: data.seq_len: want an integer, got "a"`,
				`4:16: student.dim: want an integer, got "b"`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse("r.yaml", []byte(tc.src), lookupIn(env))
			got := errorLines(t, err, "r.yaml")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got errors\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	r, err := parse("/recipes/base.yaml", []byte(minimal), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", r.Name, "base"},
		{"output", r.Output, Path("/recipes/runs/base")},
		{"teacher.path", r.Teacher.Path, Path("/recipes/t.bin")},
		{"teacher.format", r.Teacher.Format, FormatAuto},
		{"data.seq_len", r.Data.SeqLen, 256},
		{"data.separator", r.Data.Separator, "\n\n"},
		{"evaluation.context", r.Evaluation.Context, 256},
		{"evaluation.stride", r.Evaluation.Stride, 256},
		{"evaluation.data", r.Evaluation.Data, Path("")},
		{"evaluation.metrics", r.Evaluation.Metrics, []string{"ppl", "kl", "agreement"}},
		{"betas", r.Training.Optimizer.Betas, []float64{0.9, 0.95}},
		{"lr", r.Training.Optimizer.LR, 5e-4},
		{"soft_labels", *r.Distillation.SoftLabels, SoftLabels{Mode: SoftOnline, TopK: 64}},
		{"loss_scale", r.Training.LossScale, (*LossScale)(nil)},
		{"quantization", r.Quantization, (*Quantization)(nil)},
		{"gates", r.Gates, (*Gates)(nil)},
		{"device", r.Training.Device, "cpu"},
		{"init", r.Student.Init, InitTeacherLayers},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestParseDerivedDefaults(t *testing.T) {
	src := minimal + `output: out
data2: {}
`
	src = strings.Replace(src, "data2: {}\n", "", 1)
	src = strings.Replace(src, "training: {steps: 10}", "training: {steps: 10, precision: fp16}", 1)
	src += `distillation: {soft_labels: {mode: cached}}
quantization: {methods: [q8_0, {method: int8, keep: [a]}], keep: ["*norm*"]}
`
	r, err := parse("/r/x.yaml", []byte(src), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Distillation.SoftLabels.CacheDir; got != "/r/out/soft_labels" {
		t.Errorf("cache_dir = %q", got)
	}
	if ls := r.Training.LossScale; ls == nil || ls.Initial != 65536 || ls.GrowthInterval != 1000 {
		t.Errorf("loss_scale = %+v, want defaults", ls)
	}
	if got := r.Quantization.Methods[0].Keep; !reflect.DeepEqual(got, []string{"*norm*"}) {
		t.Errorf("methods[0].keep = %q, want the section's", got)
	}
	if got := r.Quantization.Methods[1].Keep; !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("methods[1].keep = %q, want its own", got)
	}
	if m := r.Quantization.Methods[0]; m.GroupSize != 128 || m.CalibrationSamples != 128 {
		t.Errorf("shorthand method did not get defaults: %+v", m)
	}
}

func TestPathResolution(t *testing.T) {
	env := map[string]string{"D": "/abs/data", "REL": "rel/dir"}
	for _, tc := range []struct{ in, want string }{
		{"t.bin", "/home/u/recipes/t.bin"},
		{"../testdata/t.bin", "/home/u/testdata/t.bin"},
		{"./a/../b/t.bin", "/home/u/recipes/b/t.bin"},
		{"/opt/t.bin", "/opt/t.bin"},
		{"${D}/t.bin", "/abs/data/t.bin"},
		{"${REL}/t.bin", "/home/u/recipes/rel/dir/t.bin"},
		{"${UNSET:-/fallback}/t.bin", "/fallback/t.bin"},
		{"${UNSET:-fb}/t.bin", "/home/u/recipes/fb/t.bin"},
		{"${D:-/ignored}/t.bin", "/abs/data/t.bin"},
		{"$$HOME/t.bin", "/home/u/recipes/$HOME/t.bin"},
		{"a$b/t.bin", "/home/u/recipes/a$b/t.bin"},
	} {
		src := strings.Replace(minimal, "t.bin", `"`+tc.in+`"`, 1)
		r, err := parse("/home/u/recipes/r.yaml", []byte(src), lookupIn(env))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if string(r.Teacher.Path) != tc.want {
			t.Errorf("%s -> %s, want %s", tc.in, r.Teacher.Path, tc.want)
		}
	}
	// A relative recipe path resolves against the working directory.
	r, err := parse("sub/r.yaml", []byte(minimal), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("sub/t.bin")
	if string(r.Teacher.Path) != abs {
		t.Errorf("relative recipe: %s, want %s", r.Teacher.Path, abs)
	}
}

func TestExpandEnv(t *testing.T) {
	env := lookupIn(map[string]string{"A": "x", "B_2": "y", "E": ""})
	for _, tc := range []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${A}", "x", ""},
		{"${A}${B_2}", "xy", ""},
		{"pre-${A}-post", "pre-x-post", ""},
		{"${E:-d}", "d", ""},
		{"${Z:-}", "", ""},
		{"${Z:-a:-b}", "a:-b", ""},
		{"$A", "$A", ""},
		{"$$", "$", ""},
		{"$", "$", ""},
		{"${Z}", "", "environment variable Z is not set (write ${Z:-default} to give a default)"},
		{"${E}", "", "environment variable E is empty (write ${E:-default} to give a default)"},
		{"${A", "", `unterminated ${ in "${A"`},
		{"${}", "", `invalid environment variable name "" in "${}"`},
		{"${A-B}", "", `invalid environment variable name "A-B" in "${A-B}"`},
	} {
		got, err := expandEnv(tc.in, env)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q -> %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestWholeFloatAsInteger(t *testing.T) {
	src := strings.Replace(minimal, "training: {steps: 10}", "training: {tokens: 2e8, batch_size: 1.6e1}", 1)
	r, err := parse("r.yaml", []byte(src), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	if r.Training.Tokens != 200000000 || r.Training.BatchSize != 16 {
		t.Errorf("tokens %d, batch_size %d", r.Training.Tokens, r.Training.BatchSize)
	}
}

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
	}{
		{"0", 0}, {"1024", 1024}, {"512MB", 512e6}, {"8GiB", 8 << 30}, {"1.5 KiB", 1536}, {"3 TB", 3e12}, {"7B", 7},
	} {
		src := strings.Replace(minimal, "training: {steps: 10}", "training: {steps: 10, memory_limit: "+tc.in+"}", 1)
		r, err := parse("r.yaml", []byte(src), lookupIn(nil))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if r.Training.MemoryLimit != tc.want {
			t.Errorf("%s = %d, want %d", tc.in, r.Training.MemoryLimit, tc.want)
		}
	}
}

func TestShorthandsAndMerge(t *testing.T) {
	src := minimal + `defaults: &gptq {method: gptq-int4, group_size: 64}
`
	// "defaults" is not a recipe key: anchors must live inside known keys.
	if _, err := parse("r.yaml", []byte(src), lookupIn(nil)); err == nil {
		t.Fatal("unknown key holding an anchor accepted")
	}
	src = minimal + `quantization:
  methods:
    - q8_0
    - &g {method: gptq-int4, group_size: 64}
    - {<<: *g, asymmetric: true}
distillation:
  hidden: {layer_map: [[0, 1], {student: 1, teacher: 3}]}
`
	r, err := parse("r.yaml", []byte(src), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	ms := r.Quantization.Methods
	if len(ms) != 3 || ms[0].Method != "q8_0" || ms[2].Method != "gptq-int4" || ms[2].GroupSize != 64 || !ms[2].Asymmetric {
		t.Errorf("methods = %+v", ms)
	}
	if got := ms[2].Label(); got != "gptq-int4-asym" {
		t.Errorf("label = %q", got)
	}
	if !r.IsSet("quantization.methods[2].group_size") || r.IsSet("quantization.methods[1].asymmetric") {
		t.Error("IsSet wrong for merged keys")
	}
	want := []LayerPair{{0, 1}, {1, 3}}
	if got := r.Distillation.Hidden.LayerMap; !reflect.DeepEqual(got, want) {
		t.Errorf("layer_map = %v, want %v", got, want)
	}
	if h := r.Distillation.Hidden; h.Loss != "mse" || h.Weight != 1 {
		t.Errorf("hidden defaults not applied: %+v", h)
	}
}

func TestPos(t *testing.T) {
	src := minimal + "quantization:\n  methods: [q8_0, {method: int8}]\n"
	r, err := parse("r.yaml", []byte(src), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		want  Pos
	}{
		{"", Pos{1, 1}},
		{"teacher", Pos{1, 1}},
		{"teacher.path", Pos{1, 17}},
		{"teacher.format", Pos{1, 1}}, // not written: the section's key
		{"training.steps", Pos{4, 19}},
		{"training.optimizer.lr", Pos{4, 1}},
		{"quantization.methods", Pos{6, 3}},
		{"quantization.methods[1]", Pos{6, 19}},
		{"quantization.methods[1].method", Pos{6, 28}},
		{"quantization.methods[0].method", Pos{6, 13}},
		{"quantization.methods[7].method", Pos{6, 3}},
	} {
		if got := r.Pos(tc.field); got != tc.want {
			t.Errorf("Pos(%q) = %v, want %v", tc.field, got, tc.want)
		}
	}
	e := r.Errorf("training.steps", "bad %d", 1)
	if e.Error() != "r.yaml:4:19: training.steps: bad 1" {
		t.Errorf("Errorf = %q", e)
	}
}

func TestAliasesAndErrorTypes(t *testing.T) {
	src := `teacher: {path: t.bin}
data: {train: &tr train.txt, validation: *tr}
student: {every_k: 2}
training: {steps: 10, seed: &s 7, eval_every: *s}
`
	r, err := parse("/x/r.yaml", []byte(src), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	if r.Data.Validation != "/x/train.txt" || r.Training.EvalEvery != 7 {
		t.Errorf("aliases: validation %q, eval_every %d", r.Data.Validation, r.Training.EvalEvery)
	}
	if r.File() != "/x/r.yaml" || r.Dir() != "/x" {
		t.Errorf("File %q Dir %q", r.File(), r.Dir())
	}
	_, err = parse("/x/r.yaml", []byte(minimal+"? [a]\n: 1\nname: [x]\n"), lookupIn(nil))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(*Error) failed on %v", err)
	}
	if want := `/x/r.yaml:5:3: want a key, got a list`; e.Error() != want {
		t.Errorf("first error %q, want %q", e, want)
	}
	if got := len(err.(Errors)); got != 2 {
		t.Errorf("%d errors, want 2: %v", got, err)
	}
}
