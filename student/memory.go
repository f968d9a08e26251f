package student

import (
	"fmt"
	"strings"

	"github.com/distill-dev/distill/model"
)

// Memory is the estimated memory of a training run, in bytes.
type Memory struct {
	Teacher            int64 // teacher weights
	TeacherActivations int64 // its inference buffers for one micro-batch
	Student            int64 // master weights (+ half copy)
	Gradients          int64
	Optimizer          int64 // AdamW moments
	Activations        int64 // student training activations and backward scratch
	SoftLabels         int64 // top-k ids and log-probs, per-row losses
	Runtime            int64 // the Go runtime, code, matmul packing buffers (RuntimeOverhead)
}

// RuntimeOverhead is the memory a distill process holds besides weights,
// activations and optimizer state: the Go runtime and code, the matmul
// packing buffers and other per-thread scratch (measured by cmd/scalebench
// at 2 threads).
const RuntimeOverhead = 48 << 20

// Total is the sum of all parts.
func (m Memory) Total() int64 {
	return m.Teacher + m.TeacherActivations + m.Student + m.Gradients + m.Optimizer + m.Activations + m.SoftLabels + m.Runtime
}

// String prints one line per part, in MiB.
func (m Memory) String() string {
	var sb strings.Builder
	for _, p := range []struct {
		name string
		v    int64
	}{{"teacher weights", m.Teacher}, {"teacher activations", m.TeacherActivations}, {"student weights", m.Student},
		{"gradients", m.Gradients}, {"optimizer state", m.Optimizer}, {"student activations", m.Activations},
		{"soft labels", m.SoftLabels}, {"runtime, scratch", m.Runtime}, {"total", m.Total()}} {
		fmt.Fprintf(&sb, "%-20s %10.1f MiB\n", p.name, float64(p.v)/(1<<20))
	}
	return sb.String()
}

// Check refuses (with the breakdown in the error) when the estimate exceeds
// limit bytes; limit 0 means no limit.
func (m Memory) Check(limit int64) error {
	if limit > 0 && m.Total() > limit {
		return fmt.Errorf("student: training needs an estimated %.1f MiB, more than the limit of %.1f MiB:\n%s"+
			"reduce batch_size or seq_len (activations), or use precision bf16", float64(m.Total())/(1<<20), float64(limit)/(1<<20), m)
	}
	return nil
}

// EstimateMemory estimates a run of a student with config s against a
// teacher with config t stored at teacherBytes bytes per parameter (4 for
// F32), for micro-batches of B x T tokens, as NewTrainer and
// model.ForwardTrain allocate them (teacher nil config: hard labels only).
func EstimateMemory(t *model.Config, teacherBytes float64, s model.Config, o Options, B, T int) Memory {
	const f32 = 4
	P, N := int64(s.NumParams()), int64(B*T)
	m := Memory{Student: f32 * P, Gradients: f32 * P, Optimizer: 2 * f32 * P, Runtime: RuntimeOverhead}
	act := int64(f32)
	if o.Precision == BF16 || o.Precision == FP16 {
		m.Student += 2 * P
		act = 2
	} else if o.QAD != "" { // the fake-quantized copy the student runs on
		m.Student += f32 * P
	}
	m.Activations = trainActivations(s, N, act)
	m.SoftLabels = f32 * N
	if t != nil {
		m.Teacher, m.TeacherActivations = teacherMemory(*t, teacherBytes, N)
		if o.Hidden != nil { // the teacher runs ForwardTrain to expose its block outputs
			m.TeacherActivations = trainActivations(*t, N, f32)
			if t.Dim != s.Dim { // projections: weights, gradient, moments, out and dOut
				m.Activations += f32 * int64(len(o.Hidden.Pairs)) * (4*int64(t.Dim)*int64(s.Dim) + 2*N*int64(t.Dim))
			}
		}
		if o.TopK > 0 {
			m.SoftLabels += 2 * f32 * N * int64(o.TopK)
		}
	}
	return m
}

// EstimateInference estimates running teacher t (stored at teacherBytes
// bytes per parameter) forward over micro-batches of B x T tokens, as
// Model.Forward allocates them, keeping the top-k log-probabilities of
// every position when topK > 0 (distill teach).
func EstimateInference(t model.Config, teacherBytes float64, B, T, topK int) Memory {
	m := Memory{Runtime: RuntimeOverhead}
	N := int64(B * T)
	m.Teacher, m.TeacherActivations = teacherMemory(t, teacherBytes, N)
	if topK > 0 {
		m.SoftLabels = 2 * 4 * N * int64(topK)
	}
	return m
}

// teacherMemory is the teacher's weights and its forward buffers for N
// tokens.
func teacherMemory(t model.Config, teacherBytes float64, N int64) (weights, activations int64) {
	const f32 = 4
	tC, tF, tKV := int64(t.Dim), int64(t.HiddenDim), int64(t.KVDim())
	tQD := int64(t.QDim())
	// + the stacked q/k/v product (model/fuse.go), whether or not the
	// teacher's layers stack.
	return int64(teacherBytes * float64(t.NumParams())), f32 * N * (4*tC + 3*tQD + 4*tKV + 3*tF + int64(t.VocabSize))
}

// trainActivations is the memory of model.ForwardTrain's state and the
// backward scratch of config c for N tokens, with the saved matmul-side
// activations (norm outputs, q/k/v, attention output, FFN gate/up/hidden)
// stored at act bytes per value (4, or 2 with half activations); the
// residual stream, statistics, logits and gradient scratch are F32.
func trainActivations(c model.Config, N, act int64) int64 {
	const f32 = 4
	C, F, KV, V, H, L := int64(c.Dim), int64(c.HiddenDim), int64(c.KVDim()), int64(c.VocabSize), int64(c.NHeads), int64(c.NLayers)
	QD := int64(c.QDim()) // q and the attention output (C unless head_dim is explicit)
	halfPerLayer := 2*C + 2*QD + 2*KV + 3*F
	f32PerLayer := 2*C + H + 4
	scratch := 2*C + 2*QD + 2*KV + 3*F
	if c.Family().QKNorm { // q and k before their norms, the norms' rstd, their gradients
		halfPerLayer += QD + KV
		f32PerLayer += H + int64(c.NKVHeads)
		scratch += QD + KV
	}
	stacked := QD + 2*KV // the q/k/v product of stacked layers (model/fuse.go), shared by the layers
	return act*N*(L*halfPerLayer+C+stacked) + f32*N*(L*f32PerLayer+(L+1)*C+2+V+scratch)
}
