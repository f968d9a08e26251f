package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// runCLI runs distill in-process with fake models.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"distill", "--progress", "none"}, args...), &out, &errb, fakeHooks())
	return code, out.String(), errb.String()
}

func writeData(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%s", err, s)
	}
}

func TestEvalUniformIsVocabSize(t *testing.T) {
	data := writeData(t, "d.txt", strings.Repeat("hello world. ", 40))
	// Flags after the positional argument, a global flag among them.
	code, out, errs := runCLI(t, "eval", "flat", "--data", data, "--json", "--context", "16", "--threads", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r evalReport
	decodeJSON(t, out, &r)
	// The document is trimmed: 13*40-1 tokens after one BOS.
	if r.Result.Tokens != 13*40-1 || math.Abs(r.Result.PPL-259) > 1e-6 || r.Result.Context != 16 || r.Data.Tokens != 13*40 || r.Data.BOS != "document" {
		t.Errorf("report %+v", r)
	}
	if len(r.Definitions) < 4 || r.Comparison != nil {
		t.Errorf("definitions %q, comparison %v", r.Definitions, r.Comparison)
	}
}

func TestEvalTextAndCompare(t *testing.T) {
	data := writeData(t, "d.jsonl", `{"text": "abcabc"}`+"\n"+`{"text": "xyz"}`+"\n")
	code, out, errs := runCLI(t, "eval", "peaked", "--data", data, "--compare", "flat", "--bos", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"definitions", "token-level", "BOS: no BOS", "agreement", "KL(reference||model)", "PPL", "reference"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "eval", "--json", "--compare", "peaked", "--data", data, "peaked")
	if code != 0 {
		t.Fatal(code)
	}
	var r evalReport
	decodeJSON(t, out, &r)
	if c := r.Comparison; c == nil || c.Agreement != 1 || c.KL > 1e-12 || r.Reference == nil || c.P != r.Result {
		t.Errorf("self-comparison %+v", r.Comparison)
	}
}

// The old spelling of a BOS placement still works, with a warning.
func TestEvalDeprecatedBOS(t *testing.T) {
	data := writeData(t, "d.txt", "abc")
	code, out, errs := runCLI(t, "eval", "flat", "--data", data, "--bos", "doc", "--json")
	var r evalReport
	decodeJSON(t, out, &r)
	if code != 0 || r.Data.BOS != "document" || !strings.Contains(errs, `warning: --bos: BOS placement "doc" is deprecated: write "document"`) {
		t.Errorf("exit %d, BOS %q, stderr %q", code, r.Data.BOS, errs)
	}
}

func TestErrorsAndExitCodes(t *testing.T) {
	data := writeData(t, "d.txt", "some text")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "flat"}, `Required flag "data" not set`},
		{[]string{"teach", "flat", "--out", "c"}, `Required flag "data" not set`},
		{[]string{"teach", "merge"}, `Required flag "out" not set`},
		{[]string{"teach", "flat", "--data", "d", "--out", "c", "--shard", "3/3"}, "--shard: student: shard 3/3 out of range"},
		{[]string{"eval", "flat", "--data", data, "--bos", "maybe"}, `unknown BOS placement "maybe"`},
		{[]string{"eval", "flat", "--data", data + ".missing"}, "d.txt.missing"},
		{[]string{"eval", "nomodel", "--data", data}, "nomodel: no such file"},
		{[]string{"eval", "flat", "--data", data, "--context", "65"}, "context length 65"},
		{[]string{"eval", "flat", "flat", "--data", data}, "one MODEL argument"},
		{[]string{"eval", "flat", "--data", data, "--nope"}, "unknown flag --nope (see distill eval --help)"},
		{[]string{"generate", "flat", "--top-p", "0"}, "--top-p 0"},
		{[]string{"inspect"}, "one MODEL argument"},
		{[]string{"--threads", "-2", "version"}, "--threads -2"},
		{[]string{"frobnicate"}, "frobnicate"},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code != exitError || !strings.HasPrefix(errs, "distill: ") || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 1 and %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	gate := withExitCode(exitGateFailed, errors.New("gate ppl_max failed"))
	for err, want := range map[error]int{
		nil:                    exitOK,
		errors.New("x"):        exitError,
		gate:                   exitGateFailed,
		cli.Exit("wrapped", 7): exitError, // only withExitCode chooses codes
	} {
		if got := exitCode(err); got != want {
			t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
		}
	}
	// A command returning a gate failure exits 3, printed like any error.
	commands = append(commands, func(*env) *cli.Command {
		return &cli.Command{Name: "failgate", Action: func(*cli.Context) error { return gate }}
	})
	defer func() { commands = commands[:len(commands)-1] }()
	code, _, errs := runCLI(t, "failgate")
	if code != exitGateFailed || errs != "distill: gate ppl_max failed\n" {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestInspect(t *testing.T) {
	code, out, errs := runCLI(t, "inspect", "flat")
	if code != 0 {
		t.Fatal(errs)
	}
	for _, want := range []string{"parameters", "2080", "tok_embeddings.weight", "[259 8]", "dim", "llama", "F32"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "inspect", "--json", "flat")
	var info struct {
		inspectInfo
		Config map[string]any `json:"config"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || len(info.Tensors) != 2 || info.Config["dim"] != 8.0 {
		t.Errorf("inspect --json: %d %s", code, out)
	}
}

func TestGenerate(t *testing.T) {
	code, out, errs := runCLI(t, "generate", "flat", "--prompt", "Hi ", "--max-tokens", "5")
	if code != 0 || out != "Hi abcde\n" || !strings.Contains(errs, "5 tokens") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, _ = runCLI(t, "generate", "flat", "--prompt", "Hi", "--max-tokens", "3", "--json", "--temperature", "0.8", "--seed", "9")
	var r generateReport
	decodeJSON(t, out, &r)
	if code != 0 || r.Text != "abc" || len(r.IDs) != 3 || !reflect.DeepEqual(r.PromptIDs, []int32{1, 'H' + 3, 'i' + 3}) || r.Options.Seed != 9 || r.Options.Temperature != 0.8 || r.StopReason != "max_tokens" {
		t.Errorf("generate --json: %+v", r)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version", "--json")
	var v versionInfo
	decodeJSON(t, out, &v)
	if code != 0 || v.Version == "" || v.Go == "" {
		t.Errorf("version: %d %+v", code, v)
	}
}

func TestHoistFlags(t *testing.T) {
	app := newApp(&env{models: fakeHooks()})
	for _, tc := range []struct{ in, want string }{
		{"eval M --data F --json", "eval --data F --json M"},
		{"--device cpu eval M --threads 2 --data=F", "--device cpu --threads 2 eval --data=F M"},
		{"eval M --json --stride 4 -- --odd", "eval --json --stride 4 M -- --odd"},
		{"eval --nope M", "eval --nope M"},
		{"help eval --json", "help eval --json"},
		{"teach merge --out C", "teach merge --out C"},
		{"teach --device cpu merge --out=C", "--device cpu teach merge --out=C"},
		{"teach T --out C --shard 0/3 --data F", "teach --out C --shard 0/3 --data F T"},
		{"", ""},
	} {
		in := append([]string{"distill"}, strings.Fields(tc.in)...)
		got := strings.Join(hoistFlags(app, in)[1:], " ")
		if got != tc.want {
			t.Errorf("hoistFlags(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
