package pipeline

import (
	"fmt"

	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/recipe"
)

// trainingData tokenises the training text into the stream the sampler
// (and the soft-label cache) cut into windows, and the validation text
// into its stream, through package corpus as the data section says.
func trainingData(r *recipe.Recipe, enc corpus.Encoder) (train, valid corpus.Stream, err error) {
	if train, valid, err = r.Data.Split().Streams(enc); err != nil {
		return corpus.Stream{}, corpus.Stream{}, fmt.Errorf("pipeline: data: %w", err)
	}
	return train, valid, nil
}

// evalStream is the stream evaluation scores: evaluation.data, or the
// validation text, at most evaluation.max_tokens scored tokens of it.
func evalStream(r *recipe.Recipe, enc corpus.Encoder) (corpus.Stream, error) {
	var s corpus.Stream
	var err error
	if r.Evaluation.Data != "" {
		d := r.Data.Split()
		s, err = corpus.TokenizeFile(string(r.Evaluation.Data), d.Read, enc, d.BOS)
	} else {
		_, s, err = trainingData(r, enc)
	}
	if err != nil {
		return corpus.Stream{}, fmt.Errorf("pipeline: evaluation data: %w", err)
	}
	return limitTargets(s, r.Evaluation.MaxTokens), nil
}

// calibrationStream is the text gptq-int4 calibrates on:
// quantization.calibration, or the training documents (never the
// validation ones; recipe validation refuses a calibration file that is
// the evaluated text).
func calibrationStream(r *recipe.Recipe, enc corpus.Encoder) (corpus.Stream, error) {
	if p := r.Quantization.Calibration; p != "" {
		d := r.Data.Split()
		s, err := corpus.TokenizeFile(string(p), d.Read, enc, d.BOS)
		if err != nil {
			return corpus.Stream{}, fmt.Errorf("pipeline: quantization.calibration: %w", err)
		}
		return s, nil
	}
	train, _, err := trainingData(r, enc)
	return train, err
}

// limitTargets keeps the first n+1 positions of s (n scorable targets at
// most); n <= 0 keeps everything.
func limitTargets(s corpus.Stream, n int64) corpus.Stream {
	if n <= 0 || n+1 >= int64(s.Len()) {
		return s
	}
	return s.Limit(int(n + 1))
}
