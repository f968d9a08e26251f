package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/recipe"
	"github.com/distill-dev/distill/tokenizer"
)

// readDocuments cuts a data file into documents as the recipe's data
// section says: text split at data.separator, or JSONL with the text under
// data.text_field. Empty documents are dropped.
func readDocuments(path string, d recipe.Data) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pipeline: data: %w", err)
	}
	var docs []string
	if d.Format == recipe.DataJSONL {
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		for line := 1; sc.Scan(); line++ {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var obj map[string]any
			if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
				return nil, fmt.Errorf("pipeline: data: %s:%d: %w", path, line, err)
			}
			s, ok := obj[d.TextField].(string)
			if !ok {
				return nil, fmt.Errorf("pipeline: data: %s:%d: no string field %q", path, line, d.TextField)
			}
			if s = strings.TrimSpace(s); s != "" {
				docs = append(docs, s)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("pipeline: data: %s: %w", path, err)
		}
		return docs, nil
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	for _, doc := range strings.Split(text, d.Separator) {
		if doc = strings.TrimSpace(doc); doc != "" {
			docs = append(docs, doc)
		}
	}
	return docs, nil
}

// splitData returns the training and validation documents: the two files,
// or the training file with its last validation_split held out.
func splitData(r *recipe.Recipe) (train, valid []string, err error) {
	train, err = readDocuments(string(r.Data.Train), r.Data)
	if err != nil {
		return nil, nil, err
	}
	if r.Data.Validation != "" {
		valid, err = readDocuments(string(r.Data.Validation), r.Data)
		return train, valid, err
	}
	n := int(math.Ceil(r.Data.ValidationSplit * float64(len(train))))
	if n >= len(train) {
		return nil, nil, fmt.Errorf("pipeline: data: %s: %d documents, too few to hold out %g for validation", r.Data.Train, len(train), r.Data.ValidationSplit)
	}
	return train[:len(train)-n], train[len(train)-n:], nil
}

// evalDocuments are the documents evaluation scores: evaluation.data, or
// the validation documents.
func evalDocuments(r *recipe.Recipe) ([]string, error) {
	if r.Evaluation.Data != "" {
		return readDocuments(string(r.Evaluation.Data), r.Data)
	}
	_, v, err := splitData(r)
	return v, err
}

// trainTokens tokenises training documents into one stream; with bos
// document (and sequence, which the sampler does not distinguish yet)
// every document starts with BOS.
func trainTokens(tok tokenizer.Tokenizer, docs []string, bos string) []int32 {
	var out []int32
	for _, d := range docs {
		out = append(out, tok.Encode(d, bos != recipe.BOSNone, false)...)
	}
	return out
}

// evalStream tokenises documents into an evaluation stream, BOS inserted
// as data.bos says (inserted BOS tokens are not scored).
func evalStream(tok tokenizer.Tokenizer, docs []string, bos string) eval.Stream {
	ids := make([][]int32, len(docs))
	for i, d := range docs {
		ids[i] = tok.Encode(d, false, false)
	}
	mode := eval.BOSDocument
	switch bos {
	case recipe.BOSNone:
		mode = eval.BOSNone
	case recipe.BOSSequence:
		mode = eval.BOSStream // one BOS, as the sampler sees the stream
	}
	return eval.BuildStream(ids, tok.BOS(), mode)
}

// truncate keeps the first n+1 positions of s (n scorable targets at most);
// n <= 0 keeps everything.
func truncate(s eval.Stream, n int64) eval.Stream {
	if n <= 0 || int64(len(s.IDs)) <= n+1 {
		return s
	}
	s.IDs = s.IDs[:n+1]
	if s.Target != nil {
		s.Target = s.Target[:n+1]
	}
	return s
}

// trainingData tokenises the training documents into the stream the
// sampler (and the soft-label cache) cut into windows, and returns the
// validation documents.
func trainingData(r *recipe.Recipe, tok tokenizer.Tokenizer) ([]int32, []string, error) {
	train, valid, err := splitData(r)
	if err != nil {
		return nil, nil, err
	}
	return trainTokens(tok, train, r.Data.BOS), valid, nil
}
