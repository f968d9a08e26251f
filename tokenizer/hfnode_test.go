package tokenizer

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// hfCheckJS encodes every text with HF tokenizers (the npm package
// "tokenizers", Rust bindings) for each tokenizer.json and prints the ids
// and the decoded text (special tokens skipped) as JSON.
const hfCheckJS = `
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
const [dir] = process.argv.slice(2);
const d = JSON.parse(fs.readFileSync(dir + '/in.json'));
(async () => {
  const out = {};
  for (const name of d.names) {
    const tok = Tokenizer.fromFile(dir + '/' + name + '.json');
    out[name] = [];
    for (const s of d.texts) {
      const ids = (await tok.encode(s, null, { addSpecialTokens: false })).getIds();
      out[name].push({ ids, dec: await tok.decode(ids, true) });
    }
  }
  fs.writeFileSync(dir + '/out.json', JSON.stringify(out));
})();
`

// TestAgainstHFTokenizers compares encodings of the tokenizer.json files
// this package writes (llama2.c- and GPT-2-derived, and Metaspace
// variants) with HF tokenizers itself. It runs when HF_TOKENIZERS_NODE
// names a node_modules folder holding the npm package "tokenizers":
//
//	(cd /tmp/hf && npm install tokenizers) && HF_TOKENIZERS_NODE=/tmp/hf/node_modules go test -run AgainstHF ./tokenizer
func TestAgainstHFTokenizers(t *testing.T) {
	nodeModules := os.Getenv("HF_TOKENIZERS_NODE")
	if nodeModules == "" {
		t.Skip("HF_TOKENIZERS_NODE not set (a node_modules folder with the npm package tokenizers)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found")
	}
	metaspace := func(scheme string, split bool) func(m map[string]any) {
		return func(m map[string]any) {
			m["normalizer"] = nil
			m["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": scheme, "split": split}
			m["decoder"] = map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": scheme, "split": split}
		}
	}
	l2c := tinyHFBytes(t, VocabOf(loadTok512(t)))
	gpt2 := tinyHFBytes(t, VocabOf(loadGPT2(t)))
	docs := map[string][]byte{
		"l2c": l2c, "gpt2": gpt2, "tiny": tinyHFBytes(t, tinyLlamaVocab()),
		"msfirst":    modify(t, l2c, metaspace("first", false)),
		"msalways":   modify(t, l2c, metaspace("always", true)),
		"gpt2prefix": modify(t, gpt2, func(m map[string]any) { m["pre_tokenizer"].(map[string]any)["add_prefix_space"] = true }),
	}
	texts := []string{"Hello world</s>x", "<s>Once upon", "  two  spaces  ", "a</s></s>b", "o e",
		"x<|endoftext|> y", "é\u00a0é 🙂 漢字", "Tim's\tdog DON'T 3.14", "", " "}
	for _, c := range corpora {
		texts = append(texts, readText(t, c...))
	}
	dir := t.TempDir()
	var names []string
	for name, doc := range docs {
		names = append(names, name)
		if err := os.WriteFile(filepath.Join(dir, name+".json"), doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, _ := json.Marshal(map[string]any{"names": names, "texts": texts})
	if err := os.WriteFile(filepath.Join(dir, "in.json"), in, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "check.js"), []byte(hfCheckJS), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(dir, "check.js"), dir)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodeModules)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var out map[string][]struct {
		IDs []int32 `json:"ids"`
		Dec string  `json:"dec"`
	}
	readJSON(t, filepath.Join(dir, "out.json"), &out)
	for name, doc := range docs {
		tok, err := ParseHF(doc, name)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range texts {
			ids := tok.Encode(s, false, false)
			hf := out[name][i]
			if !slices.Equal(ids, hf.IDs) {
				j := mismatch(ids, hf.IDs)
				t.Errorf("%s: text %d: ids differ from HF at %d", name, i, j)
				continue
			}
			if d := tok.Decode(ids); d != hf.Dec {
				t.Errorf("%s: Decode(%.40q) = %.60q, HF %.60q", name, s, d, hf.Dec)
			}
		}
	}
}
