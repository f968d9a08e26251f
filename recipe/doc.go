// Package recipe defines distill's recipe file: one YAML document that
// describes a whole pipeline, teacher -> student training -> evaluation ->
// quantization -> export, with the gates CI checks. `distill run recipe.yaml`
// executes it, `distill validate recipe.yaml` only checks it.
//
// # Format
//
// An annotated recipe (every key not written takes the default documented on
// its Go field and in recipes/schema.json):
//
//	# yaml-language-server: $schema=./schema.json   <- editors complete keys from the schema
//	name: tiny                      # default: the file name without .yaml
//	output: ../runs/tiny            # run directory; default runs/<name> beside the recipe
//
//	teacher:
//	  path: ${DISTILL_DATA}/stories260K/stories260K.bin   # ${VAR}, ${VAR:-default}
//	  format: auto                  # auto | llama2c | hf | gguf
//	  tokenizer: ${DISTILL_DATA}/stories260K/tok512.bin
//
//	data:
//	  train: data/train.txt         # relative to this file's folder
//	  validation: data/valid.txt    # or validation_split: 0.05 of train
//	  format: text                  # text (separator "\n\n") | jsonl (text_field)
//	  seq_len: 256
//	  bos: document                 # document | stream | none
//
//	student:
//	  every_k: 2                    # or layers: [0, 2, 4], or n_layers: 3
//	  dim: 0                        # 0 = the teacher's; also n_heads, n_kv_heads, hidden_dim
//	  init: teacher_layers          # teacher_layers | importance | random
//
//	distillation:
//	  loss: mix                     # kl | reverse_kl | jsd | ce | mix
//	  alpha: 0.5                    # mix = alpha * divergence + (1 - alpha) * ce
//	  temperature: 2
//	  hidden: {loss: mse, weight: 0.1, layer_map: [[0, 1], [1, 3]]}
//	  soft_labels: {mode: cached, top_k: 64}
//
//	training:
//	  steps: 1000                   # or tokens: 2000000
//	  batch_size: 8
//	  grad_accum: 1
//	  optimizer: {lr: 5.0e-4, betas: [0.9, 0.95], weight_decay: 0.1}
//	  schedule: {kind: cosine, warmup_steps: 50}
//	  precision: bf16               # fp32 | bf16 | fp16 (+ loss_scale)
//	  memory_limit: 4GiB
//
//	evaluation: {metrics: [ppl, kl, agreement], context: 256, stride: 128}
//
//	quantization:
//	  methods: [q8_0, q4_k_m, {method: gptq-int4, group_size: 128}]
//
//	export: [{format: gguf, dtype: q4_k_m}]
//
//	gates:
//	  ppl_ratio_max: 1.5            # student ppl / teacher ppl
//	  agreement_min: 0.6
//	  quant_ppl_delta_max: 0.05     # (ppl_quantized - ppl_student) / ppl_student
//	  methods: {q8_0: {quant_ppl_delta_max: 0.005}}
//
// # Loading and validation
//
// Load decodes strictly through yaml.Node: unknown keys (with a "did you
// mean" hint), duplicate keys and wrong types are errors, each with
// file:line:column, and all of them are reported together as Errors.
// Defaults come from the `default` struct tags; defaults that depend on
// other fields (output, evaluation.context/stride/data, the soft-label cache
// folder, the fp16 loss scale) are filled in after decoding, so a parsed
// Recipe holds every value the runner needs. Paths expand ${VAR} and
// ${VAR:-default} (an unset variable without default is an error at its
// position; "$$" is a literal "$") and relative ones are joined to the
// recipe's folder. In flow mappings ({path: ...}) quote a path that holds
// "${": the braces would otherwise end the mapping.
//
// Validate then checks, before any work starts: enum values and numeric
// bounds (the same tags schema.json states), settings that contradict each
// other or have no effect (alpha without loss mix, loss_scale without fp16),
// impossible shapes (dim % n_heads, n_heads % n_kv_heads), gates that
// reference no metric or method, missing or wrong-kind files, and, through
// the ValidateContext.Teacher hook the runner supplies, everything that
// needs the teacher's shape: layer indices, every_k that selects nothing, a
// student wider than the teacher, a tokenizer larger than the vocabulary,
// top_k and sequence lengths beyond the teacher's.
//
// The student's depth follows DistilBERT: every_k: k keeps teacher layers
// k-1, 2k-1, ... (every k-th counting from one); n_layers: n keeps n evenly
// spaced layers, round(i (L-1) / (n-1)); layers lists them. Student.Resolve
// turns these and the zero ("the teacher's") widths into the student's
// model.Config with student.Resolve, the function the trainer builds the
// student with, so validation approves exactly the model that is built; its
// errors are reported at the student setting they name.
//
// # Schema and hashing
//
// JSONSchema generates a draft 2020-12 JSON Schema from the same types and
// tags; `go generate ./recipe` writes it to recipes/schema.json and a test
// fails when the committed file is stale. Canonical re-serialises parsed
// sections as JSON with every default applied, so the runner can hash a
// stage's inputs independently of how the recipe was written.
package recipe
