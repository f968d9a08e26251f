package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

func init() { register(generateCommand) }

func generateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "generate",
		Usage:     "continue a prompt (greedy, or sampled with temperature and top-p), streaming the text",
		ArgsUsage: "MODEL",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "prompt", Usage: "text to continue (empty: start from BOS)"},
			&cli.IntFlag{Name: "max-tokens", Value: 256, Usage: "tokens to generate at most, stopping early at the model's end-of-text token (0 = until the context is full)"},
			&cli.BoolFlag{Name: "ignore-eos", Usage: "go on past the model's end-of-text tokens (llama2.c: BOS; GGUF: eos/eot; HF: eos_token_id), e.g. for benchmarks"},
			&cli.Float64Flag{Name: "temperature", Usage: "sampling temperature (0 = greedy)"},
			&cli.Float64Flag{Name: "top-p", Value: 1, Usage: "nucleus sampling: sample from the smallest set of tokens with this much probability (1 = all)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed for sampling"},
			&cli.StringFlag{Name: "tokenizer", Usage: "tokenizer file or folder to use instead of the model's own; refused unless it fits the model (the same tokens as an embedded one)"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object at the end instead of streaming text"},
		},
		Action: func(c *cli.Context) error {
			if err := oneArg(c, "MODEL"); err != nil {
				return err
			}
			return runGenerate(e, c)
		},
	}
}

type generateReport struct {
	Model     modelSummary `json:"model"`
	Prompt    string       `json:"prompt"`
	PromptIDs []int32      `json:"prompt_ids"`
	IDs       []int32      `json:"ids"` // generated tokens only
	Text      string       `json:"text"`
	// StopReason is why generation stopped: "eos" (the model ended the
	// text), "max_tokens" or "context" (the context is full).
	StopReason string     `json:"stop_reason"`
	Options    genOptions `json:"options"`
	Seconds    float64    `json:"seconds"`
	TokPerSec  float64    `json:"tokens_per_second"`
}

func runGenerate(e *env, c *cli.Context) error {
	o := genOptions{MaxTokens: c.Int("max-tokens"), Temperature: c.Float64("temperature"), TopP: c.Float64("top-p"), Seed: c.Uint64("seed"), IgnoreEOS: c.Bool("ignore-eos")}
	switch {
	case o.MaxTokens < 0:
		return fmt.Errorf("--max-tokens %d is negative", o.MaxTokens)
	case o.Temperature < 0:
		return fmt.Errorf("--temperature %g is negative", o.Temperature)
	case !(o.TopP > 0 && o.TopP <= 1):
		return fmt.Errorf("--top-p %g outside (0, 1]", o.TopP)
	}
	m, err := e.models.load(c.Args().First(), c.String("tokenizer"), e)
	if err != nil {
		return err
	}
	defer m.close()
	prompt := c.String("prompt")
	stream := !c.Bool("json")
	if stream {
		fmt.Fprint(e.stdout, prompt)
	}
	var text strings.Builder // the continuation, as it extends the prompt
	start := time.Now()
	promptIDs, out, stop, err := m.Generate(prompt, o, func(piece string) {
		text.WriteString(piece)
		if stream {
			// Byte tokens may split a UTF-8 character: the bytes are
			// written as they come and the terminal joins them.
			fmt.Fprint(e.stdout, piece)
		}
	})
	if err != nil {
		if stream {
			fmt.Fprintln(e.stdout) // end the streamed prompt's line
		}
		return err
	}
	secs := time.Since(start).Seconds()
	if stream {
		fmt.Fprintln(e.stdout)
		fmt.Fprintf(e.stderr, "%d tokens in %.2f s (%.1f tokens/s), stopped: %s\n", len(out), secs, float64(len(out))/secs, stop)
		return nil
	}
	return writeJSON(e.stdout, generateReport{
		Model: summarize(m), Prompt: prompt, PromptIDs: promptIDs, IDs: out,
		Text: text.String(), StopReason: stop, Options: o, Seconds: secs, TokPerSec: float64(len(out)) / secs,
	})
}
