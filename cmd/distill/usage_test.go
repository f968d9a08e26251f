package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSuggestions(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"evl", "x"}, `unknown command "evl": did you mean "eval"?`},
		{[]string{"valdate", "x"}, `unknown command "valdate": did you mean "validate"?`},
		{[]string{"frobnicate"}, `unknown command "frobnicate" (distill --help lists the commands)`},
		{[]string{"eval", "flat", "--dat", "x"}, "unknown flag --dat: did you mean --data? (see distill eval --help)"},
		{[]string{"--thread", "2", "inspect", "flat"}, "unknown flag --thread: did you mean --threads?"},
		{[]string{"inspect", "flat", "--zzzzzz"}, "unknown flag --zzzzzz (see distill inspect --help)"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, c.args...)
		if code != exitError || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, %q; want %q", c.args, code, stderr, c.want)
		}
	}
}

func TestValidateJSON(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: x\nteacher: {path: t.bin}\ndata: {train: t.txt}\nstudent: {}\ntraining: {steps: 1, optimizer: {lr: .inf}}\n"), 0o644)
	code, stdout, _ := runCLI(t, "validate", bad, "--json")
	var rep validateReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if code != exitError || rep.OK || len(rep.Errors) == 0 {
		t.Fatalf("exit %d, %+v", code, rep)
	}
	found := false
	for _, e := range rep.Errors {
		found = found || e.Field == "training.optimizer.lr" && e.Line == 5 && strings.Contains(e.Message, "not a finite number")
	}
	if !found {
		t.Errorf("no lr error with its position in %+v", rep.Errors)
	}
}

// TestEveryCommandTakesJSON: the README says every command takes --json.
func TestEveryCommandTakesJSON(t *testing.T) {
	app := newApp(&env{})
	for _, c := range app.Commands {
		if findFlag(c.Flags, "json") == nil {
			t.Errorf("distill %s has no --json flag", c.Name)
		}
	}
}
