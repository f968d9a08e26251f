// Package student builds a smaller model from a teacher and trains it by
// knowledge distillation.
//
// # One job, two doors
//
// A Job is one distillation job: teacher, data (package corpus), student
// shape, trainer options, soft-label cache, memory limit, checkpoint folder,
// metrics, resume. `distill train` and `distill teach` fill it from flags,
// the recipe's teach and train stages from a recipe; both then run
// Job.Open (memory estimate, teacher, tokenised data, teacher identity) and
// Session.Teach or Session.Trainer, so the same options through either
// door give the same cache and the same student, bit for bit.
//
// # Construction
//
// Resolve derives the student's config from the teacher's with overrides
// (depth by every_k, an explicit layer list or an evenly spaced count;
// widths); recipe validation calls it too, so it approves exactly the model
// that is built, and its errors name the setting at fault (ShapeError). Build initialises its float32 master weights: InitTeacherLayers
// copies the embeddings, final norm, classifier and the chosen layers
// (DistilBERT), which needs the teacher's widths; InitRandom draws GPT-2
// style N(0, 0.02) weights with the residual projections scaled by
// 1/sqrt(2L). The vocabulary always comes from the teacher (CheckVocab).
// A vocabulary that differs only in padding rows beyond the tokenizer's ids
// (Options.TokenVocab) is accepted with the online teacher: its logits are
// mapped into the student's vocabulary per batch (padLogits), the
// student's padding ids getting PadLogit (teacher probability 0), the
// teacher's own padding columns dropped.
//
// # One optimizer step
//
// For each of GradAccum micro-batches of B windows of T tokens (Sampler:
// a seeded permutation of non-overlapping windows per epoch):
//
//	z_t = teacher(ids)                          (online soft labels; optionally top-k)
//	z_s = student.ForwardTrain(ids)
//	loss_n = alpha T^2 D(softmax(z_t/T), softmax(z_s/T)) + (1-alpha) CE(z_s, target)
//	dz_s = S * d loss / d z_s, S = loss_scale / (GradAccum B T)   (in place over z_s)
//	grads += student.Backward(dz_s)
//
// then, unless the gradients hold an inf or NaN (the step is skipped, and
// with fp16 the loss scale backs off),
//
//	norm = ||grads|| / loss_scale
//	c    = loss_scale * max(1, norm / clip)
//	AdamW(master, grads / c) per parameter, decay only on matrices (Decays)
//	half = round(master)                        (bf16 / fp16 runs)
//
// with the learning rate of Schedule (linear warmup, then cosine or linear
// decay to MinRatio*LR). In fp16 the loss scale doubles after Growth good
// steps. Master weights, moments and gradients are float32 ParamBlocks of
// one layout; saved activations (norm outputs, q/k/v, attention and FFN values) are stored in the half dtype; the residual stream, norm statistics, lse, logits and all gradients stay float32 (see model/train.go) (only the weight
// matrices the kernels read are half; norm weights and biases are read from
// the float32 master block, see fp32Vectors). On CPU a half step costs what
// a float32 one does: the gemm computes in float32 and widens half weights
// while packing them.
//
// Importance init (InitImportance, BuildImportance) slices heads, kv
// groups, FFN channels and residual channels by weight norms or by
// activation energy on calibration batches (see importance.go).
//
// # Soft labels
//
// Online, the teacher runs per batch (full distribution, or its top-k via
// Options.TopK). Offline, Teach writes the teacher's top-k log-probabilities
// (fp16, int32 ids) per window into checksummed shards with a manifest
// (teacher, tokenizer and token hashes, vocab, k, seq_len, temperature;
// TeacherIdentity is the one hash of teacher and tokenizer every door uses),
// resuming after the last finished shard; Options.Cache trains from them.
// The top-k tail is one extra bucket (kernels.SoftLabels).
//
// Options.Hidden adds a hidden-state loss (MSE or cosine) between mapped
// student and teacher block outputs of equal width.
//
// # On-policy and quantization-aware distillation
//
// Options.OnPolicy (GKD, onpolicy.go) replaces a seeded fraction lambda of
// the micro-batches by the student's own continuations of prompts cut from
// them (package generate), scored by the online teacher at the sampled
// positions only. Options.QAD (qad.go) runs the student on its weights
// fake-quantized by an export plan (quant.Plan.FakeQuantize), the
// straight-through gradient updating the float32 master weights, so the
// export of that type is the model that was trained: for the whole run, or
// (Options.QADSteps) only for its last steps, fine-tuning the trained fp32
// student as its export at the schedule's tail learning rate.
//
// # Checkpoints
//
// Save writes an HF checkpoint (model.safetensors + config.json, loadable
// by checkpoint.Load) and optimizer.safetensors: master weights, moments and,
// in its metadata, the trainer state (step, loss scale, data epoch and
// position, the on-policy batch counter, the QAD method and phase), written atomically last, so a run killed at any moment
// resumes (Resume) from a consistent checkpoint and continues
// bit-identically (TestKillResume kills a child process with SIGKILL).
//
// EstimateMemory prints and checks the memory a run needs.
package student
