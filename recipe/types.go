package recipe

// The recipe's Go types. The struct tags are the single source of truth for
// the file format:
//
//	json:"key"        the YAML key (and the key of the canonical JSON)
//	doc:"..."         the description shown by editors (JSON Schema)
//	default:"..."     the value when the key is absent, written in YAML
//	enum:"a,b"        the allowed values
//	min/max:"x"       inclusive bounds; xmin/xmax exclusive ones
//	required:"true"   the key must be present
//	items:"n"         a list must have exactly n items
//
// The decoder applies the defaults, the schema generator copies all of them
// into schema.json, and Validate enforces enum and bounds, so the three never
// disagree.

// Recipe is one parsed recipe file: every section with its defaults applied
// and every path made absolute.
type Recipe struct {
	Name         string        `json:"name" doc:"Run name, used in reports. Default: the recipe file's base name without extension."`
	Description  string        `json:"description" doc:"Free text shown in the report."`
	Teacher      Teacher       `json:"teacher" required:"true" doc:"The model to distill from."`
	Data         Data          `json:"data" required:"true" doc:"Training and validation text."`
	Student      Student       `json:"student" required:"true" doc:"How the student is built and initialised from the teacher."`
	Distillation Distillation  `json:"distillation" doc:"Loss terms and teacher soft labels."`
	Training     Training      `json:"training" doc:"Optimizer, schedule, batch, precision, checkpoints."`
	Evaluation   Evaluation    `json:"evaluation" doc:"How teacher, student and quantized students are measured."`
	Quantization *Quantization `json:"quantization" doc:"Quantized variants of the trained student. Absent: no quantize stage."`
	Export       []Export      `json:"export" doc:"Files to write for deployment. Absent: none besides the training checkpoint."`
	Gates        *Gates        `json:"gates" doc:"Pass/fail thresholds; a failed gate makes distill run exit with the gate-failure code."`
	Output       Path          `json:"output" doc:"Run directory (manifest, checkpoints, report). Default: runs/<name> beside the recipe."`

	file string         // the recipe file as given to Load/Parse
	dir  string         // absolute folder of the recipe file
	pos  map[string]Pos // field path -> position in the file
	// warnings are accepted but deprecated spellings, with positions.
	warnings Errors
}

// Path is a file or folder name from the recipe. ${VAR} and ${VAR:-default}
// are expanded from the environment and a relative result is joined to the
// recipe's folder, so after parsing every Path is absolute.
type Path string

// ByteSize is a memory amount: a plain integer (bytes) or a number with a
// unit, "512MiB", "8GiB", "2GB" (powers of 1024 for KiB..TiB, of 1000 for
// KB..TB).
type ByteSize int64

// Teacher formats.
const (
	FormatAuto    = "auto"
	FormatLlama2C = "llama2c"
	FormatHF      = "hf"
	FormatGGUF    = "gguf"
)

// Teacher names the checkpoint to distill from.
type Teacher struct {
	Path      Path   `json:"path" required:"true" doc:"Checkpoint: a llama2.c .bin, a GGUF file, or an HF directory with config.json and safetensors."`
	Format    string `json:"format" default:"auto" enum:"auto,llama2c,hf,gguf" doc:"Checkpoint format; auto: a directory is hf, a file starting with the GGUF magic is gguf, any other file llama2c."`
	Tokenizer Path   `json:"tokenizer" doc:"Tokenizer file (llama2.c tokenizer.bin, tokenizer.json, or a folder with encoder.json + vocab.bpe). Default: the one beside or inside the checkpoint."`
}

// Data formats.
const (
	DataText  = "text"
	DataJSONL = "jsonl"
)

// Data is the text the student learns from and is evaluated on. Text is
// tokenised with the teacher's tokenizer.
type Data struct {
	Train           Path    `json:"train" required:"true" doc:"Training text."`
	Validation      Path    `json:"validation" doc:"Validation text. Default: the last validation_split of the training documents."`
	Format          string  `json:"format" default:"text" enum:"text,jsonl" doc:"text: documents separated by separator; jsonl: one JSON object per line, text under text_field."`
	TextField       string  `json:"text_field" default:"text" doc:"JSONL field holding the document text."`
	Separator       string  `json:"separator" default:"\"\\n\\n\"" doc:"Document separator in text files: \"\\n\\n\" (the default) cuts at blank lines, lines holding only white space; any other string cuts there exactly."`
	SeqLen          int     `json:"seq_len" default:"256" min:"2" doc:"Training sequence length in tokens."`
	ValidationSplit float64 `json:"validation_split" default:"0.05" min:"0" xmax:"1" doc:"Fraction of training documents held out when no validation file is given."`
	BOS             string  `json:"bos" default:"document" enum:"document,stream,none" doc:"Where BOS tokens go: before every document, once before the whole token stream, or nowhere. The old spelling sequence (= stream) is accepted with a warning."`
}

// Student initialisations.
const (
	InitTeacherLayers = "teacher_layers"
	InitImportance    = "importance"
	InitRandom        = "random"
)

// Student describes the student's shape relative to the teacher. A zero
// width means "the teacher's". The depth is given by at most one of
// every_k, layers and n_layers; with none the student keeps every layer.
type Student struct {
	EveryK             int    `json:"every_k" min:"0" doc:"Keep every k-th teacher layer counting from 1: layers k-1, 2k-1, ... (DistilBERT style). 0: not used."`
	Layers             []int  `json:"layers" min:"0" doc:"Explicit teacher layer indices (0-based, increasing) the student keeps."`
	NLayers            int    `json:"n_layers" min:"0" doc:"Student depth; its layers come from evenly spaced teacher layers (first and last included; 1 keeps the last). 0: not used."`
	Dim                int    `json:"dim" min:"0" doc:"Model width. 0: the teacher's."`
	NHeads             int    `json:"n_heads" min:"0" doc:"Query heads. 0: the teacher's."`
	NKVHeads           int    `json:"n_kv_heads" min:"0" doc:"Key/value heads (grouped-query attention). 0: the teacher's; when n_heads is set, the largest divisor of n_heads not above the teacher's."`
	HiddenDim          int    `json:"hidden_dim" min:"0" doc:"Feed-forward width. 0: the teacher's."`
	Tokenizer          Path   `json:"tokenizer" doc:"The tokenizer the student should use (file or folder). Refused before any work unless it is the teacher's tokenizer, naming the first token that differs. Default: the teacher's."`
	Init               string `json:"init" default:"teacher_layers" enum:"teacher_layers,importance,random" doc:"teacher_layers: copy the chosen layers (widths must match the teacher); importance: also slice heads and FFN channels by importance; random: scaled random init."`
	Importance         string `json:"importance" default:"activations" enum:"activations,weights" doc:"With init importance: rank heads/channels by activation norms on calibration batches or by weight norms."`
	CalibrationBatches int    `json:"calibration_batches" default:"8" min:"1" doc:"Batches of training data used to measure activation importance."`
}

// Distillation losses.
const (
	LossKL        = "kl"
	LossReverseKL = "reverse_kl"
	LossJSD       = "jsd"
	LossCE        = "ce"
	LossMix       = "mix"

	SoftOnline = "online"
	SoftCached = "cached"
)

// Distillation is the training objective.
type Distillation struct {
	Loss        string      `json:"loss" default:"mix" enum:"kl,reverse_kl,jsd,ce,mix" doc:"kl: forward KL(teacher||student) * T^2; reverse_kl: KL(student||teacher); jsd: generalised Jensen-Shannon with beta; ce: hard labels only; mix: alpha * divergence + (1 - alpha) * ce."`
	Divergence  string      `json:"divergence" default:"kl" enum:"kl,reverse_kl,jsd" doc:"The distillation term of loss mix."`
	Alpha       float64     `json:"alpha" default:"0.5" min:"0" max:"1" doc:"Weight of the distillation term in loss mix."`
	Beta        float64     `json:"beta" default:"0.5" xmin:"0" xmax:"1" doc:"Mixture weight of the generalised JSD: M = beta * P + (1 - beta) * Q."`
	Temperature float64     `json:"temperature" default:"2" xmin:"0" doc:"Softmax temperature of teacher and student in the distillation term."`
	Hidden      *Hidden     `json:"hidden" doc:"Hidden-state matching loss. Absent: none."`
	SoftLabels  *SoftLabels `json:"soft_labels" doc:"Where the teacher's distributions come from. Default: online."`
	QAD         *QAD        `json:"qad" doc:"Quantization-aware distillation: the student trains on its weights fake-quantized as an export type. Absent: off."`
	OnPolicy    *OnPolicy   `json:"on_policy" doc:"On-policy distillation (GKD): a fraction of batches is sampled from the student and scored by the teacher. Needs the online teacher. Absent: off."`
}

// OnPolicy samples continuations from the current student for a fraction
// lambda of the batches and trains on them against the teacher's
// distribution at the sampled positions (the divergence of the loss, at
// full weight), as GKD does.
type OnPolicy struct {
	Lambda       float64 `json:"lambda" default:"0.5" min:"0" max:"1" doc:"Fraction of batches sampled from the student (chosen by the seeded generator, so runs repeat)."`
	MaxNewTokens int     `json:"max_new_tokens" default:"64" min:"1" doc:"Tokens the student samples per window, at most data.seq_len; the window's first seq_len + 1 - max_new_tokens tokens are the prompt."`
	Temperature  float64 `json:"temperature" default:"1" min:"0" doc:"Sampling temperature; 0: greedy."`
}

// QAD trains the student on its weights fake-quantized to an export type
// (straight-through gradients to the fp32 master weights), so that the
// exported file of that type is the model that was trained: for the whole
// run, or for its last Steps steps.
type QAD struct {
	Type  string `json:"type" required:"true" enum:"q8_0,q4_0,q4_1,q5_0,q5_1,q2_k,q3_k_m,q4_k_s,q4_k_m,q5_k_s,q5_k_m,q6_k,int8,int4-g32,int4-g64,int4-g128" doc:"The export type (a gguf export dtype or a quantization method) whose per-tensor plan the forward runs on; tensors whose rows do not fit its blocks fall back as the export does. Export or quantize the same type."`
	Steps int    `json:"steps" min:"0" doc:"Fake-quantize only the last N training steps: the trained fp32 student is fine-tuned as its export at the schedule's tail learning rate (NVIDIA ModelOpt's QAD). At most training.steps. Absent or 0: the whole run."`
}

// Hidden adds a loss between student and teacher hidden states.
type Hidden struct {
	Loss     string      `json:"loss" default:"mse" enum:"mse,cosine" doc:"Distance between (projected) student and teacher hidden states."`
	Weight   float64     `json:"weight" default:"1" xmin:"0" doc:"Weight of the hidden-state loss in the total."`
	LayerMap []LayerPair `json:"layer_map" doc:"Pairs [student_layer, teacher_layer] (outputs of those blocks). Default: each student layer with the teacher layer it was copied from."`
}

// LayerPair maps a student block output to a teacher block output. In YAML
// it is [student, teacher] or {student: s, teacher: t}.
type LayerPair struct {
	Student int `json:"student" min:"0" doc:"Student layer index."`
	Teacher int `json:"teacher" min:"0" doc:"Teacher layer index."`
}

// SoftLabels selects online teacher forwards or a cache of top-k
// log-probabilities written by distill teach.
type SoftLabels struct {
	Mode     string `json:"mode" default:"online" enum:"online,cached" doc:"online: the teacher runs on every batch; cached: read top-k log-probabilities written once by distill teach."`
	TopK     int    `json:"top_k" default:"64" min:"1" doc:"Log-probabilities kept per position in the cache."`
	CacheDir Path   `json:"cache_dir" doc:"Cache folder. Default: <output>/soft_labels."`
}

// Schedules and precisions.
const (
	ScheduleCosine   = "cosine"
	ScheduleLinear   = "linear"
	ScheduleConstant = "constant"

	PrecisionFP32 = "fp32"
	PrecisionBF16 = "bf16"
	PrecisionFP16 = "fp16"
)

// Training holds the optimisation settings.
type Training struct {
	Optimizer       Optimizer  `json:"optimizer" doc:"AdamW settings."`
	Schedule        Schedule   `json:"schedule" doc:"Learning-rate schedule."`
	Steps           int        `json:"steps" min:"0" doc:"Optimizer steps. Exactly one of steps and tokens must be set."`
	Tokens          int64      `json:"tokens" min:"0" doc:"Training tokens; steps = tokens / (batch_size * grad_accum * seq_len), rounded up."`
	BatchSize       int        `json:"batch_size" default:"8" min:"1" doc:"Sequences per micro-batch."`
	GradAccum       int        `json:"grad_accum" default:"1" min:"1" doc:"Micro-batches accumulated per optimizer step."`
	GradClip        float64    `json:"grad_clip" default:"1" min:"0" doc:"Clip gradients to this global L2 norm; 0 turns clipping off."`
	Precision       string     `json:"precision" default:"fp32" enum:"fp32,bf16,fp16" doc:"Forward/backward precision; master weights and optimizer state stay fp32."`
	LossScale       *LossScale `json:"loss_scale" doc:"Dynamic loss scaling, fp16 only. Default when precision is fp16: the values below."`
	Seed            int64      `json:"seed" default:"1" doc:"Seed of initialisation and data order."`
	CheckpointEvery int        `json:"checkpoint_every" default:"200" min:"1" doc:"Write a checkpoint every this many steps (and at the end)."`
	EvalEvery       int        `json:"eval_every" default:"200" min:"1" doc:"Evaluate validation perplexity every this many steps (and at the end)."`
	MemoryLimit     ByteSize   `json:"memory_limit" min:"0" doc:"Refuse to start when the memory estimate exceeds this, e.g. 8GiB. 0: the machine's memory (or the cgroup's limit when lower)."`
	Device          string     `json:"device" default:"cpu" pattern:"^(cpu|cuda(:[0-9]+)?)$" patterndoc:"cpu or cuda:N" doc:"cpu or cuda:N."`
	Threads         int        `json:"threads" min:"0" doc:"CPU threads, at most 4 per core. 0: all cores."`
	BF16Matmul      bool       `json:"bf16_matmul" default:"false" doc:"cpu only: multiply bf16 weights (a bf16 teacher, a bf16-precision student) in bf16, activations rounded to bf16 and float32 sums, where the CPU has AMX or AVX512_BF16 (as --bf16-matmul); about 3x faster with AMX, slightly different numbers."`
}

// Optimizer is AdamW with decoupled weight decay.
type Optimizer struct {
	Name                string    `json:"name" default:"adamw" enum:"adamw" doc:"Optimizer."`
	LR                  float64   `json:"lr" default:"0.0005" xmin:"0" doc:"Peak learning rate."`
	Betas               []float64 `json:"betas" default:"[0.9, 0.95]" items:"2" min:"0" xmax:"1" doc:"Adam beta1, beta2."`
	Eps                 float64   `json:"eps" default:"1e-8" xmin:"0" doc:"Adam epsilon."`
	WeightDecay         float64   `json:"weight_decay" default:"0.1" min:"0" doc:"Decoupled weight decay."`
	DecayNormsEmbedding bool      `json:"decay_norms_and_embeddings" default:"false" doc:"Also decay norm weights and embeddings (off by default, as usual)."`
}

// Schedule is warmup followed by a decay.
type Schedule struct {
	Kind        string  `json:"kind" default:"cosine" enum:"cosine,linear,constant" doc:"Decay after warmup."`
	WarmupSteps int     `json:"warmup_steps" default:"0" min:"0" doc:"Linear warmup from 0 to lr over this many steps."`
	MinLRRatio  float64 `json:"min_lr_ratio" default:"0.1" min:"0" max:"1" doc:"Final learning rate as a fraction of lr (cosine and linear)."`
}

// LossScale is the fp16 dynamic loss scale.
type LossScale struct {
	Initial        float64 `json:"initial" default:"65536" xmin:"0" doc:"Starting loss scale."`
	GrowthInterval int     `json:"growth_interval" default:"1000" min:"1" doc:"Double the scale after this many steps without overflow."`
	GrowthFactor   float64 `json:"growth_factor" default:"2" xmin:"1" doc:"Factor applied after growth_interval good steps."`
	BackoffFactor  float64 `json:"backoff_factor" default:"0.5" xmin:"0" xmax:"1" doc:"Factor applied (and the step skipped) on inf/NaN gradients."`
}

// Evaluation metrics.
const (
	MetricPPL       = "ppl"
	MetricKL        = "kl"
	MetricAgreement = "agreement"
)

// Evaluation measures teacher, student and quantized students on the same
// tokens.
type Evaluation struct {
	Metrics   []string `json:"metrics" default:"[ppl, kl, agreement]" enum:"ppl,kl,agreement" doc:"ppl: perplexity; kl: mean KL(teacher||student) per token; agreement: top-1 agreement with the teacher."`
	Data      Path     `json:"data" doc:"Evaluation text, same format as data. Default: data.validation (or the held-out split)."`
	Context   int      `json:"context" min:"0" doc:"Context length of the sliding window. 0: data.seq_len."`
	Stride    int      `json:"stride" min:"0" doc:"Window stride; only the last stride tokens of each window are scored. 0: context (non-overlapping)."`
	MaxTokens int64    `json:"max_tokens" min:"0" doc:"Score at most this many tokens. 0: all."`
}

// Quantization methods.
const (
	MethodQ8_0     = "q8_0"
	MethodQ4_0     = "q4_0"
	MethodQ4_1     = "q4_1"
	MethodQ4_K_M   = "q4_k_m"
	MethodInt8     = "int8"
	MethodInt4G32  = "int4-g32"
	MethodInt4G64  = "int4-g64"
	MethodInt4G128 = "int4-g128"
	MethodGPTQInt4 = "gptq-int4"
	// MethodPlan is the quality-budget planner: per-tensor GGUF types
	// chosen to meet target_kl or target_ppl_delta at the fewest bytes.
	MethodPlan = "plan"
)

// Quantization lists the quantized variants of the student.
type Quantization struct {
	Methods []Method `json:"methods" required:"true" doc:"Methods to apply, each evaluated and gated separately."`
	Keep    []string `json:"keep" default:"[token_embd.weight, output.weight, \"*norm*\"]" doc:"Glob patterns (path.Match) of tensor names kept in high precision; [] quantizes everything."`
	// Calibration is never the text quantized students are evaluated on,
	// or their scores would be measured on their own calibration data.
	Calibration Path `json:"calibration" doc:"gptq-int4 calibration text (a file, read like data.train). Default: the training documents, without the validation_split held out of them. Never the validation or evaluation text."`
}

// Method is one quantization method. In YAML it is a name ("q4_k_m") or a
// mapping with method and options.
type Method struct {
	Method             string   `json:"method" required:"true" enum:"q8_0,q4_0,q4_1,q5_0,q5_1,q2_k,q3_k_m,q4_k_s,q4_k_m,q5_k_s,q5_k_m,q6_k,int8,int4-g32,int4-g64,int4-g128,gptq-int4,plan" doc:"Quantization method (q2_k ... q5_k_m are llama.cpp's per-tensor mixes; plan is the quality-budget planner, which picks per-tensor GGUF types to meet target_kl or target_ppl_delta at the fewest bytes)."`
	Asymmetric         bool     `json:"asymmetric" default:"false" doc:"int4-g* and gptq-int4: asymmetric (scale + zero point) instead of symmetric."`
	GroupSize          int      `json:"group_size" default:"128" enum:"32,64,128" doc:"gptq-int4 group size."`
	GPTQ               bool     `json:"gptq" default:"false" doc:"GGUF methods except q2_k and q3_k_m, and plan: GPTQ onto the method's llama.cpp grids (an ordinary GGUF), calibrated on quantization.calibration."`
	TargetKL           float64  `json:"target_kl" min:"0" doc:"plan: at most this mean KL(unquantized || quantized student) per token, nats, on the calibration text (gate it on the evaluation text with gates.methods.LABEL.quant_kl_max)."`
	TargetPPLDelta     float64  `json:"target_ppl_delta" min:"0" doc:"plan: at most this perplexity increase, in percent, on the calibration text."`
	CalibrationSamples int      `json:"calibration_samples" default:"128" min:"1" doc:"gptq-int4, gptq and plan: calibration sequences (of data.seq_len tokens) from quantization.calibration."`
	Damp               float64  `json:"damp" default:"0.01" xmin:"0" max:"1" doc:"gptq-int4 and gptq: Hessian damping as a fraction of its mean diagonal."`
	ActOrder           bool     `json:"act_order" default:"false" doc:"gptq-int4 and gptq: quantize columns in order of decreasing activation."`
	Keep               []string `json:"keep" doc:"Overrides quantization.keep for this method."`
}

// Export is one deployment file.
type Export struct {
	Format string `json:"format" required:"true" enum:"gguf,safetensors" doc:"gguf (llama.cpp) or safetensors (HF layout with config.json and tokenizer)."`
	DType  string `json:"dtype" default:"f16" enum:"f32,f16,bf16,q8_0,q4_0,q5_0,q5_1,q2_k,q3_k_m,q4_k_s,q4_k_m,q5_k_s,q5_k_m,q6_k" doc:"Tensor type: f32/f16/bf16 for safetensors; f32/f16/q8_0/q4_0/q5_0/q5_1 and llama.cpp's mixes q2_k/q3_k_m/q4_k_s/q4_k_m/q5_k_s/q5_k_m/q6_k for gguf."`
}

// Gates are the CI thresholds. Every field is optional; an absent gate is
// not checked.
type Gates struct {
	StudentPPLMax    *float64               `json:"student_ppl_max" xmin:"0" doc:"Maximum student perplexity."`
	PPLRatioMax      *float64               `json:"ppl_ratio_max" xmin:"0" doc:"Maximum student/teacher perplexity ratio."`
	KLMax            *float64               `json:"kl_max" min:"0" doc:"Maximum mean KL(teacher||student) per token."`
	AgreementMin     *float64               `json:"agreement_min" min:"0" max:"1" doc:"Minimum top-1 agreement with the teacher."`
	QuantPPLDeltaMax *float64               `json:"quant_ppl_delta_max" xmin:"-1" doc:"Maximum relative perplexity increase of every quantized student over the unquantized one ((ppl_q - ppl) / ppl)."`
	SizeMaxMB        *float64               `json:"size_max_mb" xmin:"0" doc:"Maximum size in MB (10^6 bytes) of the student checkpoint and of every quantized or exported file."`
	Methods          map[string]MethodGates `json:"methods" doc:"Gates of one quantized student, keyed by its label (the method name, with -asym appended for asymmetric int4); each replaces the top-level gate of the same name for that method."`
}

// MethodGates are the gates of one quantized student.
type MethodGates struct {
	PPLMax           *float64 `json:"ppl_max" xmin:"0" doc:"Maximum perplexity of this quantized student."`
	KLMax            *float64 `json:"kl_max" min:"0" doc:"Maximum KL(teacher||quantized student)."`
	AgreementMin     *float64 `json:"agreement_min" min:"0" max:"1" doc:"Minimum top-1 agreement with the teacher."`
	QuantPPLDeltaMax *float64 `json:"quant_ppl_delta_max" xmin:"-1" doc:"Maximum relative perplexity increase over the unquantized student."`
	SizeMaxMB        *float64 `json:"size_max_mb" xmin:"0" doc:"Maximum file size in MB (10^6 bytes)."`
	QuantKLMax       *float64 `json:"quant_kl_max" min:"0" doc:"Maximum mean KL(unquantized student || this quantized student) per token on the evaluation text, e.g. a plan's target_kl checked on held-out text."`
}
