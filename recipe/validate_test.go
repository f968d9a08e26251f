package recipe

import (
	"errors"
	"github.com/distill-dev/distill/corpus"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// stories260K is the shape of ../shared/data/stories260K (see its README).
var stories260K = TeacherInfo{Config: llama(5, 64, 8, 4, 172, 512, 512, true), TokenizerVocab: 512}

// llama is a Llama config of the given shape with llama2.c's fixed
// settings (model.ConfigFromLlama2C).
func llama(layers, dim, heads, kvHeads, hidden, vocab, maxSeqLen int, tied bool) model.Config {
	return model.Config{Arch: model.ArchLlama, Dim: dim, HiddenDim: hidden, NLayers: layers, NHeads: heads, NKVHeads: kvHeads,
		VocabSize: vocab, MaxSeqLen: maxSeqLen, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: tied, BOS: 1, EOS: 2}
}

// fixtureDir makes the files the validation tests name.
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"t.bin":            "\x40\x00\x00\x00 llama2c header...",
		"tok.bin":          "tokenizer",
		"train.txt":        "one story\n\nanother\n",
		"valid.txt":        "a story\n",
		"empty.txt":        "",
		"m.gguf":           "GGUF\x03\x00\x00\x00",
		"short.bin":        "ab",
		"outfile":          "x",
		"hf/config.json":   "{}",
		"nohf/placeholder": "",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestValidateErrors(t *testing.T) {
	dir := fixtureDir(t)
	file := filepath.Join(dir, "r.yaml")
	teacher := func(Teacher) (TeacherInfo, error) { return stories260K, nil }
	for _, tc := range []struct {
		name string
		src  string // appended to minimal unless it starts with "teacher:"
		want []string
	}{
		// Enum and bound tags.
		{"enum", "teacher: {path: t.bin, format: onnx}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{`1:32: teacher.format: unknown value "onnx" (want auto, llama2c, hf or gguf)`}},
		{"enum in list", "evaluation: {metrics: [ppl, bleu]}\n", []string{`5:29: evaluation.metrics[1]: unknown value "bleu" (want ppl, kl or agreement)`}},
		{"integer enum", "quantization: {methods: [{method: gptq-int4, group_size: 100}]}\n",
			[]string{"5:58: quantization.methods[0].group_size: unknown value 100 (want 32, 64 or 128)"}},
		{"unknown method", "quantization: {methods: [iq2_xs]}\n",
			[]string{`5:26: quantization.methods[0].method: unknown value "iq2_xs" (want q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k_m, q4_k_s, q4_k_m, q5_k_s, q5_k_m, q6_k, int8, int4-g32, int4-g64, int4-g128, gptq-int4 or plan)`}},
		{"unknown loss", "distillation: {loss: mse}\n", []string{`5:22: distillation.loss: unknown value "mse" (want kl, reverse_kl, jsd, ce or mix)`}},
		{"unknown precision", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, precision: fp8}\n",
			[]string{`4:33: training.precision: unknown value "fp8" (want fp32, bf16 or fp16)`}},
		{"seq_len < 2", "teacher: {path: t.bin}\ndata: {train: train.txt, seq_len: 1}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"2:35: data.seq_len: 1 must be >= 2"}},
		{"lr <= 0", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, optimizer: {lr: 0}}\n",
			[]string{"4:38: training.optimizer.lr: 0 must be > 0"}},
		{"negative lr", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, optimizer: {lr: -1e-3}}\n",
			[]string{"4:38: training.optimizer.lr: -0.001 must be > 0"}},
		{"temperature <= 0", "distillation: {temperature: 0}\n", []string{"5:29: distillation.temperature: 0 must be > 0"}},
		{"alpha > 1", "distillation: {alpha: 1.5}\n", []string{"5:23: distillation.alpha: 1.5 must be <= 1"}},
		{"alpha < 0", "distillation: {alpha: -0.1}\n", []string{"5:23: distillation.alpha: -0.1 must be >= 0"}},
		{"beta = 1", "distillation: {loss: jsd, beta: 1}\n", []string{"5:33: distillation.beta: 1 must be < 1"}},
		{"top_k < 1", "distillation: {soft_labels: {mode: cached, top_k: 0}}\n", []string{"5:51: distillation.soft_labels.top_k: 0 must be >= 1"}},
		{"validation_split = 1", "teacher: {path: t.bin}\ndata: {train: train.txt, validation_split: 1}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"2:44: data.validation_split: 1 must be < 1"}},
		{"betas count", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, optimizer: {betas: [0.9]}}\n",
			[]string{"4:34: training.optimizer.betas: want 2 values, got 1"}},
		{"beta2 = 1", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, optimizer: {betas: [0.9, 1]}}\n",
			[]string{"4:47: training.optimizer.betas[1]: 1 must be < 1"}},
		{"device", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, device: gpu}\n",
			[]string{`4:30: training.device: invalid value "gpu" (want cpu or cuda:N)`}},
		{"negative layer", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {layers: [-1, 2]}\ntraining: {steps: 1}\n",
			[]string{"3:20: student.layers[0]: -1 must be >= 0"}},
		{"agreement gate > 1", "gates: {agreement_min: 2}\n", []string{"5:24: gates.agreement_min: 2 must be <= 1"}},
		{"method gate bound", "quantization: {methods: [q8_0]}\ngates: {methods: {q8_0: {kl_max: -1}}}\n",
			[]string{"6:34: gates.methods.q8_0.kl_max: -1 must be >= 0"}},
		{"grad_accum 0", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, grad_accum: 0}\n",
			[]string{"4:34: training.grad_accum: 0 must be >= 1"}},

		// Non-finite floats and overflowing products (issue 10).
		{"lr .inf", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, optimizer: {lr: .inf}}\n",
			[]string{"4:38: training.optimizer.lr: +Inf is not a finite number"}},
		{"temperature .nan", "distillation: {temperature: .nan}\n", []string{"5:29: distillation.temperature: NaN is not a finite number"}},
		{"gate -.inf", "gates: {kl_max: -.inf}\n", []string{"5:17: gates.kl_max: -Inf is not a finite number"}},
		{"batch_size 2^63-1", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, batch_size: 9223372036854775807}\n",
			[]string{"4:34: training.batch_size: 9223372036854775807 sequences of 256 tokens per micro-batch exceed 4294967296 tokens"}},
		{"grad_accum 2^62", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, grad_accum: 4611686018427387904}\n",
			[]string{"4:34: training.grad_accum: 4611686018427387904 micro-batches of 2048 tokens per step exceed 1099511627776 tokens"}},
		{"tokens 2^63-1", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {tokens: 9223372036854775807}\n",
			[]string{"4:20: training.tokens: 4503599627370496 optimizer steps are more than 2147483648"}},
		{"steps 2^40", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1099511627776}\n",
			[]string{"4:19: training.steps: 1099511627776 optimizer steps are more than 2147483648"}},
		{"calibration_batches 2^63-1", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {init: importance, calibration_batches: 9223372036854775807}\ntraining: {steps: 1}\n",
			[]string{"3:50: student.calibration_batches: 9223372036854775807 batches of 2048 tokens exceed 1099511627776 calibration tokens"}},
		{"threads 100000", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, threads: 100000}\n",
			[]string{"4:31: training.threads: " + kernels.CheckThreads("threads", 100000).Error()}},
		{"bf16_matmul on cuda", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, device: cuda, bf16_matmul: true}\n",
			[]string{"4:49: training.bf16_matmul: only the cpu device has it, not \"cuda\" (remove bf16_matmul or set device: cpu)"}},

		// Data.
		{"split with validation file", "teacher: {path: t.bin}\ndata: {train: train.txt, validation: valid.txt, validation_split: 0.1}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"2:67: data.validation_split: not used when data.validation is given"}},
		{"text_field with text", "teacher: {path: t.bin}\ndata: {train: train.txt, text_field: body}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"2:38: data.text_field: only used with format jsonl"}},
		{"separator with jsonl", "teacher: {path: t.bin}\ndata: {train: train.txt, format: jsonl, separator: x}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"2:52: data.separator: only used with format text"}},
		{"empty separator", "teacher: {path: t.bin}\ndata: {train: train.txt, separator: \"\"}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"2:37: data.separator: must not be empty"}},
		{"empty text_field", "teacher: {path: t.bin}\ndata: {train: train.txt, format: jsonl, text_field: \"\"}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"2:53: data.text_field: must not be empty"}},

		// Student.
		{"two depth settings", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {every_k: 2, n_layers: 2}\ntraining: {steps: 1}\n",
			[]string{"3:33: student.n_layers: give only one of every_k, layers and n_layers (every_k is set too)"}},
		{"empty layers", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {layers: []}\ntraining: {steps: 1}\n",
			[]string{"3:11: student.layers: must list at least one layer"}},
		{"layers not increasing", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {layers: [0, 3, 3]}\ntraining: {steps: 1}\n",
			[]string{"3:26: student.layers[2]: layer 3 after 3: layers must be increasing"}},
		{"every_k 0", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {every_k: 0}\ntraining: {steps: 1}\n",
			[]string{"3:20: student.every_k: 0 must be >= 1"}},
		{"n_layers 0", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {n_layers: 0}\ntraining: {steps: 1}\n",
			[]string{"3:21: student.n_layers: 0 must be >= 1"}},
		{"negative dim", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {dim: -8}\ntraining: {steps: 1}\n",
			[]string{"3:16: student.dim: -8 must be >= 0"}},
		{"importance without init importance", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {importance: weights}\ntraining: {steps: 1}\n",
			[]string{"3:23: student.importance: only used with init importance"}},
		{"calibration without activations", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {init: importance, importance: weights, calibration_batches: 4}\ntraining: {steps: 1}\n",
			[]string{"3:71: student.calibration_batches: only used with init importance and importance activations"}},
		{"dim not multiple of heads", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {dim: 50, n_heads: 6, init: random}\ntraining: {steps: 1}\n",
			[]string{"3:16: student.dim: 50 is not a multiple of n_heads 6"}},
		{"heads not multiple of kv", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {n_heads: 8, n_kv_heads: 3, init: random}\ntraining: {steps: 1}\n",
			[]string{"3:35: student.n_kv_heads: n_heads 8 is not a multiple of n_kv_heads 3"}},

		// Distillation.
		{"alpha without mix", "distillation: {loss: kl, alpha: 0.5}\n", []string{"5:33: distillation.alpha: only used with loss mix"}},
		{"divergence without mix", "distillation: {loss: ce, divergence: jsd}\n", []string{"5:38: distillation.divergence: only used with loss mix"}},
		{"beta without jsd", "distillation: {beta: 0.3}\n", []string{"5:22: distillation.beta: only used with loss jsd, or loss mix with divergence jsd"}},
		{"temperature with ce", "distillation: {loss: ce, temperature: 2}\n", []string{"5:39: distillation.temperature: not used with loss ce"}},
		{"top_k online", "distillation: {soft_labels: {top_k: 8}}\n", []string{"5:37: distillation.soft_labels.top_k: only used with mode cached"}},
		{"cache_dir online", "distillation: {soft_labels: {cache_dir: c}}\n", []string{"5:41: distillation.soft_labels.cache_dir: only used with mode cached"}},
		{"layer_map twice", "distillation: {hidden: {layer_map: [[0, 1], [0, 2]]}}\n",
			[]string{"5:45: distillation.hidden.layer_map[1]: student layer 0 is mapped twice"}},
		{"hidden weight 0", "distillation: {hidden: {weight: 0}}\n", []string{"5:33: distillation.hidden.weight: 0 must be > 0"}},

		// Training.
		{"steps and tokens", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1, tokens: 100}\n",
			[]string{"4:30: training.tokens: give only one of steps and tokens"}},
		{"no length", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {seed: 3}\n",
			[]string{"4:1: training: give steps or tokens (how long to train)"}},
		{"no training section", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\n",
			[]string{"1:1: training: give steps or tokens (how long to train)"}},
		{"warmup too long", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 10, schedule: {warmup_steps: 10}}\n",
			[]string{"4:48: training.schedule.warmup_steps: 10 is not less than the 10 training steps"}},
		{"warmup vs tokens", "teacher: {path: t.bin}\ndata: {train: train.txt, seq_len: 10}\nstudent: {}\ntraining: {tokens: 100, batch_size: 2, schedule: {warmup_steps: 5}}\n",
			[]string{"4:65: training.schedule.warmup_steps: 5 is not less than the 5 training steps"}},
		{"min_lr_ratio with constant", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 10, schedule: {kind: constant, min_lr_ratio: 0}}\n",
			[]string{"4:64: training.schedule.min_lr_ratio: only used with kind cosine or linear"}},
		{"loss_scale without fp16", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 10, precision: bf16, loss_scale: {initial: 1024}}\n",
			[]string{"4:40: training.loss_scale: only used with precision fp16"}},
		{"loss_scale backoff", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 10, precision: fp16, loss_scale: {backoff_factor: 1}}\n",
			[]string{"4:69: training.loss_scale.backoff_factor: 1 must be < 1"}},

		// Evaluation.
		{"no metrics", "evaluation: {metrics: []}\n", []string{"5:14: evaluation.metrics: must list at least one metric"}},
		{"metric twice", "evaluation: {metrics: [kl, ppl, kl]}\n", []string{"5:33: evaluation.metrics[2]: kl is listed twice"}},
		{"context 1", "evaluation: {context: 1, stride: 1}\n", []string{"5:23: evaluation.context: 1 must be >= 2"}},
		{"stride > context", "evaluation: {context: 64, stride: 65}\n", []string{"5:35: evaluation.stride: 65 is larger than context 64"}},
		{"stride > default context", "evaluation: {stride: 300}\n", []string{"5:22: evaluation.stride: 300 is larger than context 256"}},

		// Quantization.
		{"no methods", "quantization: {methods: []}\n", []string{"5:16: quantization.methods: must list at least one method"}},
		{"method twice", "quantization: {methods: [q8_0, int8, {method: q8_0}]}\n", []string{"5:38: quantization.methods[2]: q8_0 is listed twice"}},
		{"asym and sym both fine", "quantization: {methods: [int4-g64, {method: int4-g64, asymmetric: true}]}\n", nil},
		{"asymmetric unused", "quantization: {methods: [{method: q4_0, asymmetric: true}]}\n",
			[]string{"5:53: quantization.methods[0].asymmetric: only used with int4-g32, int4-g64, int4-g128 and gptq-int4"}},
		{"gptq options unused", "quantization: {methods: [{method: int4-g32, calibration_samples: 8, act_order: true}]}\n",
			[]string{
				"5:66: quantization.methods[0].calibration_samples: only used with gptq-int4, gptq and plan",
				"5:80: quantization.methods[0].act_order: only used with gptq-int4 and gptq",
			}},
		{"plan and gptq fine", "quantization: {methods: [{method: plan, target_kl: 0.01}, {method: plan, target_ppl_delta: 2, gptq: true}, {method: q4_k_m, gptq: true}]}\n", nil},
		{"plan without a target", "quantization: {methods: [{method: plan}]}\n",
			[]string{"5:26: quantization.methods[0]: plan needs exactly one of target_kl and target_ppl_delta, positive"}},
		{"plan with two targets", "quantization: {methods: [{method: plan, target_kl: 0.01, target_ppl_delta: 1}]}\n",
			[]string{"5:26: quantization.methods[0]: plan needs exactly one of target_kl and target_ppl_delta, positive"}},
		{"target unused", "quantization: {methods: [{method: q4_0, target_kl: 0.01}]}\n",
			[]string{"5:52: quantization.methods[0].target_kl: only used with plan"}},
		{"gptq onto q3_k", "quantization: {methods: [{method: q3_k_m, gptq: true}]}\n",
			[]string{"5:49: quantization.methods[0].gptq: GPTQ writes the GGUF types Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K: not method q3_k_m (gptq-int4 is its own method)"}},
		{"bad keep pattern", "quantization: {methods: [q8_0], keep: [\"[\"]}\n",
			[]string{`5:40: quantization.keep[0]: bad pattern "[": syntax error in pattern`}},
		{"bad method keep pattern", "quantization: {methods: [{method: q8_0, keep: [\"a[\"]}]}\n",
			[]string{`5:48: quantization.methods[0].keep[0]: bad pattern "a[": syntax error in pattern`}},
		{"gptq damp", "quantization: {methods: [{method: gptq-int4, damp: 0}]}\n",
			[]string{"5:52: quantization.methods[0].damp: 0 must be > 0"}},

		// Export.
		{"safetensors q4", "export: [{format: safetensors, dtype: q4_k_m}]\n",
			[]string{"5:39: export[0].dtype: q4_k_m cannot be written as safetensors (want f32, f16 or bf16)"}},
		{"gguf bf16", "export: [{format: gguf, dtype: bf16}]\n",
			[]string{"5:32: export[0].dtype: bf16 cannot be written as gguf (want f32, f16, q8_0, q4_0, q5_0, q5_1, q2_k, q3_k_m, q4_k_s, q4_k_m, q5_k_s, q5_k_m or q6_k)"}},
		{"export twice", "export: [{format: gguf}, {format: gguf, dtype: f16}]\n", []string{"5:26: export[1]: gguf f16 is listed twice"}},
		{"export format", "export: [{format: onnx}]\n", []string{`5:19: export[0].format: unknown value "onnx" (want gguf or safetensors)`}},

		// Gates that reference nothing.
		{"ppl gate without ppl", "evaluation: {metrics: [kl]}\ngates: {student_ppl_max: 9, ppl_ratio_max: 2}\n",
			[]string{
				"6:26: gates.student_ppl_max: needs metric ppl in evaluation.metrics",
				"6:44: gates.ppl_ratio_max: needs metric ppl in evaluation.metrics",
			}},
		{"kl gate without kl", "evaluation: {metrics: [ppl]}\ngates: {kl_max: 1}\n",
			[]string{"6:17: gates.kl_max: needs metric kl in evaluation.metrics"}},
		{"agreement gate without agreement", "evaluation: {metrics: [ppl]}\ngates: {agreement_min: 0.5}\n",
			[]string{"6:24: gates.agreement_min: needs metric agreement in evaluation.metrics"}},
		{"quant gate without quantization", "gates: {quant_ppl_delta_max: 0.1}\n",
			[]string{"5:30: gates.quant_ppl_delta_max: no quantization methods to gate"}},
		{"quant gate without ppl", "evaluation: {metrics: [kl]}\nquantization: {methods: [q8_0]}\ngates: {quant_ppl_delta_max: 0.1}\n",
			[]string{"7:30: gates.quant_ppl_delta_max: needs metric ppl in evaluation.metrics"}},
		{"method gate without methods", "gates: {methods: {q8_0: {size_max_mb: 1}}}\n",
			[]string{`5:19: gates.methods.q8_0: no quantization method "q8_0" (there are none)`}},
		{"method gate for other method", "quantization: {methods: [q8_0, {method: int4-g32, asymmetric: true}]}\ngates: {methods: {int4-g32: {size_max_mb: 1}}}\n",
			[]string{`6:19: gates.methods.int4-g32: no quantization method "int4-g32" (have q8_0, int4-g32-asym)`}},
		{"method gate metrics", "evaluation: {metrics: [ppl]}\nquantization: {methods: [q8_0]}\ngates: {methods: {q8_0: {kl_max: 1, agreement_min: 0.5}}}\n",
			[]string{
				"7:34: gates.methods.q8_0.kl_max: needs metric kl in evaluation.metrics",
				"7:52: gates.methods.q8_0.agreement_min: needs metric agreement in evaluation.metrics",
			}},
		{"method ppl gates", "evaluation: {metrics: [kl]}\nquantization: {methods: [q8_0]}\ngates: {methods: {q8_0: {ppl_max: 9, quant_ppl_delta_max: 0.1}}}\n",
			[]string{
				"7:35: gates.methods.q8_0.ppl_max: needs metric ppl in evaluation.metrics",
				"7:59: gates.methods.q8_0.quant_ppl_delta_max: needs metric ppl in evaluation.metrics",
			}},

		// Files.
		{"teacher missing", "teacher: {path: nope.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"1:17: teacher.path: $D/nope.bin: no such file or directory"}},
		{"tokenizer missing", "teacher: {path: t.bin, tokenizer: tok.json}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"1:35: teacher.tokenizer: $D/tok.json: no such file or directory"}},
		{"train missing", "teacher: {path: t.bin}\ndata: {train: train2.txt}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"2:15: data.train: $D/train2.txt: no such file or directory"}},
		{"validation is a directory", "teacher: {path: t.bin}\ndata: {train: train.txt, validation: hf}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"2:38: data.validation: $D/hf is a directory, not a text file"}},
		{"evaluation data empty", "evaluation: {data: empty.txt}\n", []string{"5:20: evaluation.data: $D/empty.txt is empty"}},
		{"output is a file", "output: outfile\n", []string{"5:9: output: $D/outfile is a file, not a folder"}},
		{"hf wants directory", "teacher: {path: t.bin, format: hf}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"1:17: teacher.path: format hf wants a directory with config.json, $D/t.bin is a file"}},
		{"hf without config", "teacher: {path: nohf}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"1:17: teacher.path: $D/nohf has no config.json (an HF checkpoint directory needs one)"}},
		{"gguf wants file", "teacher: {path: hf, format: gguf}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"1:17: teacher.path: format gguf wants a file, $D/hf is a directory"}},
		{"gguf without magic", "teacher: {path: t.bin, format: gguf}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"1:17: teacher.path: format gguf but $D/t.bin does not start with the GGUF magic"}},
		{"llama2c given gguf", "teacher: {path: m.gguf, format: llama2c}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"1:17: teacher.path: format llama2c but $D/m.gguf is a GGUF file"}},
		{"teacher too short", "teacher: {path: short.bin}\ndata: {train: train.txt}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"1:17: teacher.path: $D/short.bin is too short to be a checkpoint"}},

		// Against the teacher (stories260K's shape).
		{"every_k selects nothing", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {every_k: 6}\ntraining: {steps: 1}\n",
			[]string{"3:20: student.every_k: 6 selects no layer of the teacher's 5"}},
		{"n_layers too many", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {n_layers: 6}\ntraining: {steps: 1}\n",
			[]string{"3:21: student.n_layers: 6 is more than the teacher's 5 layers"}},
		{"layer out of range", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {layers: [0, 5]}\ntraining: {steps: 1}\n",
			[]string{"3:23: student.layers[1]: layer 5 out of range for the teacher's 5 layers (0..4)"}},
		{"student wider", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {dim: 128, init: random}\ntraining: {steps: 1}\n",
			[]string{"3:16: student.dim: 128 is larger than the teacher's 64"}},
		{"student more heads", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {n_heads: 16, n_kv_heads: 16, init: random}\ntraining: {steps: 1}\n",
			[]string{
				"3:20: student.n_heads: 16 is larger than the teacher's 8",
				"3:36: student.n_kv_heads: 16 is larger than the teacher's 4",
			}},
		{"student bigger FFN", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {hidden_dim: 256, init: importance}\ntraining: {steps: 1}\n",
			[]string{"3:23: student.hidden_dim: 256 is larger than the teacher's 172"}},
		{"teacher_layers with other width", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {hidden_dim: 128}\ntraining: {steps: 1}\n",
			[]string{"3:23: student.hidden_dim: 128 differs from the teacher's 172: init teacher_layers copies whole layers (use init importance or random)"}},
		{"dim vs teacher heads", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {dim: 60, init: importance}\ntraining: {steps: 1}\n",
			[]string{"3:16: student.dim: 60 is not a multiple of n_heads 8"}},
		{"kv vs teacher heads", "teacher: {path: t.bin}\ndata: {train: train.txt}\nstudent: {n_kv_heads: 3, init: importance}\ntraining: {steps: 1}\n",
			[]string{"3:23: student.n_kv_heads: n_heads 8 is not a multiple of n_kv_heads 3"}},
		{"top_k > vocab", "distillation: {soft_labels: {mode: cached, top_k: 600}}\n",
			[]string{"5:51: distillation.soft_labels.top_k: 600 is larger than the teacher's vocabulary 512"}},
		{"seq_len > context", "teacher: {path: t.bin}\ndata: {train: train.txt, seq_len: 1024}\nstudent: {}\ntraining: {steps: 1}\n",
			[]string{"2:35: data.seq_len: 1024 is longer than the teacher's context 512"}},
		{"eval context > context", "evaluation: {context: 600, stride: 100}\n",
			[]string{"5:23: evaluation.context: 600 is longer than the teacher's context 512"}},
		{"layer_map out of range", "distillation: {hidden: {layer_map: [[2, 5]]}}\n",
			[]string{
				"5:38: distillation.hidden.layer_map[0].student: layer 2 out of range for the student's 2 layers",
				"5:41: distillation.hidden.layer_map[0].teacher: layer 5 out of range for the teacher's 5 layers",
			}},

		// Calibration never sees the evaluated text.
		{"calibration is validation", "teacher: {path: t.bin}\ndata: {train: train.txt, validation: valid.txt}\nstudent: {}\ntraining: {steps: 1}\nquantization: {methods: [gptq-int4], calibration: valid.txt}\n",
			[]string{"5:51: quantization.calibration: $D/valid.txt is the data.validation text: calibration must never see the text quantized students are evaluated on (give another file, or leave calibration out to use the training documents)"}},
		{"calibration is evaluation", "evaluation: {data: valid.txt}\nquantization: {methods: [gptq-int4], calibration: valid.txt}\n",
			[]string{"6:51: quantization.calibration: $D/valid.txt is the evaluation.data text: calibration must never see the text quantized students are evaluated on (give another file, or leave calibration out to use the training documents)"}},
		{"calibration is split training", "quantization: {methods: [gptq-int4], calibration: train.txt}\n",
			[]string{"5:51: quantization.calibration: $D/train.txt is data.train, whose last validation_split documents are the validation text: leave calibration out to calibrate on the training documents without them"}},
		{"default calibration is evaluated", "evaluation: {data: train.txt}\nquantization: {methods: [gptq-int4]}\n",
			[]string{"6:16: quantization.methods: gptq-int4, gptq and plan calibrate on the training documents, and evaluation.data is data.train: give quantization.calibration a file that is not evaluated"}},
		{"calibration unused", "quantization: {methods: [q8_0], calibration: valid.txt}\n",
			[]string{"5:46: quantization.calibration: only used with gptq-int4, gptq and plan"}},

		// Several problems at once, in file order.
		{"several", "teacher: {path: nope.bin}\ndata: {train: train.txt, seq_len: 0}\nstudent: {}\ntraining: {steps: 1, optimizer: {lr: 0}}\n",
			[]string{
				"1:17: teacher.path: $D/nope.bin: no such file or directory",
				"2:35: data.seq_len: 0 must be >= 2",
				"4:38: training.optimizer.lr: 0 must be > 0",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			if !strings.HasPrefix(src, "teacher:") {
				src = minimal + src
			}
			r, err := parse(file, []byte(src), lookupIn(nil))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got := errorLines(t, r.Validate(ValidateContext{Teacher: teacher}), file)
			var want []string
			for _, w := range tc.want {
				want = append(want, strings.ReplaceAll(w, "$D", dir))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got errors\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// Old BOS spellings parse, as the one vocabulary of package corpus, with a
// warning at their position; the enum is that vocabulary.
func TestBOSAliases(t *testing.T) {
	for _, tc := range []struct{ bos, want, warning string }{
		{"document", "document", ""},
		{"stream", "stream", ""},
		{"sequence", "stream", `r.yaml:2:31: data.bos: BOS placement "sequence" is deprecated: write "stream"`},
		{"doc", "document", `r.yaml:2:31: data.bos: BOS placement "doc" is deprecated: write "document"`},
	} {
		r, err := Parse("r.yaml", []byte("teacher: {path: t.bin}\ndata: {train: train.txt, bos: "+tc.bos+"}\nstudent: {}\ntraining: {steps: 1}\n"))
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if w := r.Warnings(); len(w) > 0 {
			got = w.Error()
		}
		if r.Data.BOS != tc.want || got != tc.warning || r.Data.Split().BOS.String() != tc.want {
			t.Errorf("bos %s: got %q, warning %q; want %q, %q", tc.bos, r.Data.BOS, got, tc.want, tc.warning)
		}
	}
	f, _ := reflect.TypeFor[Data]().FieldByName("BOS")
	if enum := f.Tag.Get("enum"); enum != strings.Join(corpus.BOSNames, ",") {
		t.Errorf("data.bos enum %q, want corpus.BOSNames %v", enum, corpus.BOSNames)
	}
}

func TestValidateTeacherHook(t *testing.T) {
	dir := fixtureDir(t)
	file := filepath.Join(dir, "r.yaml")
	for _, tc := range []struct {
		name string
		src  string
		info TeacherInfo
		err  error
		want []string
	}{
		{"hook error", minimal, TeacherInfo{}, errors.New("bad header"),
			[]string{"1:17: teacher.path: cannot read the teacher: bad header"}},
		{"tokenizer larger than vocab", minimal, withTok(stories260K, 600), nil,
			[]string{"1:17: teacher.path: the tokenizer has 600 tokens but the teacher's vocabulary has 512"}},
		{"explicit tokenizer larger than vocab", strings.Replace(minimal, "{path: t.bin}", "{path: t.bin, tokenizer: tok.bin}", 1),
			withTok(stories260K, 600), nil,
			[]string{"1:35: teacher.tokenizer: the tokenizer has 600 tokens but the teacher's vocabulary has 512"}},
		{"padding rows are fine", minimal, withTok(stories260K, 500), nil, nil},
		{"unknown tokenizer size", minimal, withTok(stories260K, 0), nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parse(file, []byte(tc.src), lookupIn(nil))
			if err != nil {
				t.Fatal(err)
			}
			var called Teacher
			hook := func(tt Teacher) (TeacherInfo, error) { called = tt; return tc.info, tc.err }
			got := errorLines(t, r.Validate(ValidateContext{Teacher: hook}), file)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if called.Path != Path(filepath.Join(dir, "t.bin")) {
				t.Errorf("hook got teacher %+v", called)
			}
		})
	}
	// The hook is not called when the teacher file is missing, and files
	// are not looked at with SkipFiles.
	r, err := parse(file, []byte(strings.Replace(minimal, "t.bin", "nope.bin", 1)), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	hook := func(Teacher) (TeacherInfo, error) {
		t.Error("hook called for a missing teacher")
		return stories260K, nil
	}
	if err := r.Validate(ValidateContext{Teacher: hook}); err == nil {
		t.Error("missing teacher accepted")
	}
	if err := r.Validate(ValidateContext{SkipFiles: true}); err != nil {
		t.Errorf("SkipFiles: %v", err)
	}
}

func withTok(t TeacherInfo, n int) TeacherInfo {
	t.TokenizerVocab = n
	return t
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name   string
		s      Student
		layers []int
		dim    int
		heads  [2]int
	}{
		{"all layers", Student{}, []int{0, 1, 2, 3, 4}, 64, [2]int{8, 4}},
		{"every 2nd", Student{EveryK: 2}, []int{1, 3}, 64, [2]int{8, 4}},
		{"every 5th", Student{EveryK: 5}, []int{4}, 64, [2]int{8, 4}},
		{"n_layers 3", Student{NLayers: 3}, []int{0, 2, 4}, 64, [2]int{8, 4}},
		{"n_layers 2", Student{NLayers: 2}, []int{0, 4}, 64, [2]int{8, 4}},
		{"n_layers 1", Student{NLayers: 1}, []int{4}, 64, [2]int{8, 4}},
		{"explicit", Student{Layers: []int{0, 4}}, []int{0, 4}, 64, [2]int{8, 4}},
		{"4 heads keep kv 4", Student{NHeads: 4, Dim: 32}, []int{0, 1, 2, 3, 4}, 32, [2]int{4, 4}},
		{"2 heads", Student{NHeads: 2}, []int{0, 1, 2, 3, 4}, 64, [2]int{2, 2}},
		{"6 heads: kv 3", Student{NHeads: 6, Dim: 48}, []int{0, 1, 2, 3, 4}, 48, [2]int{6, 3}},
	} {
		c, layers, err := tc.s.Resolve(stories260K)
		if err != nil || !reflect.DeepEqual(layers, tc.layers) || c.Dim != tc.dim || [2]int{c.NHeads, c.NKVHeads} != tc.heads ||
			c.HiddenDim != 172 || c.VocabSize != 512 || !c.TiedEmbeddings || c.NLayers != len(tc.layers) {
			t.Errorf("%s: got layers %v, %v, %v; want layers %v, dim %d, heads %v", tc.name, layers, c, err, tc.layers, tc.dim, tc.heads)
		}
	}
	// stories260K's parameter count is known exactly from its README.
	if got := stories260K.Config.NumParams(); got != 264128-2*512*4 { // minus the two unused RoPE tables
		t.Errorf("stories260K params = %d", got)
	}
}

// TestDefaultsAreValid checks that the tag defaults satisfy the tag bounds:
// a recipe that sets only what is required validates cleanly.
func TestDefaultsAreValid(t *testing.T) {
	dir := fixtureDir(t)
	src := `teacher: {path: t.bin}
data: {train: train.txt}
student: {every_k: 2}
distillation: {hidden: {}, soft_labels: {mode: cached}}
training: {steps: 10, precision: fp16}
quantization: {methods: [q8_0, gptq-int4]}
export: [{format: gguf}, {format: safetensors}]
gates: {methods: {gptq-int4: {}}}
`
	r, err := parse(filepath.Join(dir, "r.yaml"), []byte(src), lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(ValidateContext{Teacher: func(Teacher) (TeacherInfo, error) { return stories260K, nil }}); err != nil {
		t.Errorf("defaults do not validate:\n%v", err)
	}
}

func TestDetectFormat(t *testing.T) {
	dir := fixtureDir(t)
	for _, tc := range []struct {
		path, format, want string
	}{
		{"t.bin", FormatAuto, FormatLlama2C},
		{"m.gguf", FormatAuto, FormatGGUF},
		{"hf", FormatAuto, FormatHF},
		{"t.bin", FormatLlama2C, FormatLlama2C},
		{"m.gguf", FormatGGUF, FormatGGUF},
		{"hf", FormatHF, FormatHF},
	} {
		got, err := Teacher{Path: Path(filepath.Join(dir, tc.path)), Format: tc.format}.DetectFormat()
		if err != nil || got != tc.want {
			t.Errorf("%s (%s): %q, %v; want %q", tc.path, tc.format, got, err, tc.want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if err == nil || !strings.HasPrefix(err.Error(), "recipe: open ") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
	_, err = LoadAndValidate(filepath.Join(t.TempDir(), "none.yaml"), ValidateContext{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadAndValidate err = %v", err)
	}
}
