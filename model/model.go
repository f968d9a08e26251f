package model

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/distill-dev/distill/internal/mmap"
	"github.com/distill-dev/distill/kernels"
)

// Layer holds one Transformer block's weights. Bias fields are nil unless
// the family has those biases; FFNGate is nil unless its FFN is gated.
type Layer struct {
	AttnNorm, AttnNormBias     kernels.Tensor // [C]
	Q, QBias                   kernels.Tensor // [QD, C], [QD] (QD = NHeads*HeadDim, usually C)
	K, KBias                   kernels.Tensor // [KV, C], [KV]
	V, VBias                   kernels.Tensor // [KV, C], [KV]
	QNorm, KNorm               kernels.Tensor // [HeadDim] each, families with QKNorm
	AttnOutput, AttnOutputBias kernels.Tensor // [C, QD], [C]
	FFNNorm, FFNNormBias       kernels.Tensor // [C]
	FFNGate, FFNGateBias       kernels.Tensor // [F, C], [F]
	FFNUp, FFNUpBias           kernels.Tensor // [F, C], [F]
	FFNDown, FFNDownBias       kernels.Tensor // [C, F], [C]

	// QKV and GateUp are the stacked projections of fuse.go, nil when the
	// layer's weights are not stored that way: QKV [QD+2KV, C] holds Q, K
	// and V (rows in that order), GateUp [2, F, C] FFNGate and FFNUp, and
	// the per-name fields above are views of them.
	QKV, GateUp kernels.Tensor
}

// Weights are a model's parameters as backend tensors, one field per
// canonical name.
type Weights struct {
	TokenEmbd                  kernels.Tensor // [V, C]
	PosEmbd                    kernels.Tensor // [MaxSeqLen, C], learned positions
	Layers                     []Layer
	OutputNorm, OutputNormBias kernels.Tensor // [C]
	Output                     kernels.Tensor // [V, C]; TokenEmbd when tied
}

// Model is a Transformer whose weights live on a kernels.Backend. Its
// methods are not safe for concurrent use (they share activation buffers).
type Model struct {
	Config  Config
	Backend kernels.Backend
	W       Weights

	fam *Family // Config's family
	// ropeFactors are Config.RopeFreqFactors, computed once (nil
	// without RoPE scaling).
	ropeFactors []float32
	byName      map[string]kernels.Tensor
	acts        *activations
	// stacked owns the stacked projections New made (fuse.go); fused is
	// set when any layer has QKV, so the activations hold its output.
	stacked []kernels.Tensor
	fused   bool
}

// New uploads the parameters of a model with config cfg from src to b.
// Every tensor of cfg.Params must exist in src with the right shape and a
// supported dtype; matrices keep their storage dtype (MatMul and Embedding
// decode F16, BF16 and block types), vectors (norms, biases) are widened to
// F32. A NaN or Inf weight is an error. Errors name src.Where() and the
// tensor.
func New(cfg Config, b kernels.Backend, src TensorSource) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", src.Where(), err)
	}
	ld := loader{b: b, src: src, tensors: make(map[string]kernels.Tensor), stacks: make(map[string]kernels.Tensor)}
	specs := cfg.Params()
	byName := make(map[string]ParamSpec, len(specs))
	for _, p := range specs {
		byName[p.Name] = p
	}
	stackable := kernels.StacksWeights(b)
	for _, p := range specs {
		if _, done := ld.tensors[p.Name]; done {
			continue
		}
		if g := stackGroupAt(cfg, p.Name); stackable && g != nil {
			if err := ld.stack(g, byName); err != nil {
				ld.free()
				return nil, err
			}
			continue
		}
		if err := ld.one(p); err != nil {
			ld.free()
			return nil, err
		}
	}
	m, err := NewFromTensors(cfg, b, ld.tensors)
	if err != nil {
		ld.free()
		return nil, err
	}
	m.useStacks(ld.stacks)
	return m, nil
}

// loader uploads a TensorSource's tensors for New.
type loader struct {
	b       kernels.Backend
	src     TensorSource
	tensors map[string]kernels.Tensor
	stacks  map[string]kernels.Tensor // stacked allocation by its first part's name
	scratch []float32
}

// host looks p up in the source and checks it.
func (ld *loader) host(p ParamSpec) (HostTensor, error) {
	ht, ok := ld.src.Lookup(p.Name)
	if !ok {
		return ht, fmt.Errorf("model: %s: missing tensor %s (shape %v)", ld.src.Where(), p.Name, p.Shape)
	}
	if err := CheckTensor(p, ht); err != nil {
		return ht, fmt.Errorf("model: %s: %w", ld.src.Where(), err)
	}
	return ht, nil
}

// one uploads parameter p (vectors widened to F32).
func (ld *loader) one(p ParamSpec) error {
	ht, err := ld.host(p)
	if err != nil {
		return err
	}
	b := ld.b
	t := b.FromBytes(ht.DType, ht.Data, ht.Shape...)
	if len(p.Shape) == 1 && ht.DType != kernels.F32 {
		w := b.Zeros(kernels.F32, p.Shape...)
		b.Copy(w, t)
		b.Free(t)
		t = w
	}
	ld.tensors[p.Name] = t
	return ld.finite(p.Name, t, ht)
}

// finite fails when t, uploaded from ht, holds a NaN or Inf. Float
// storage is checked in ht's bytes, in place (a float32 copy of the
// largest matrix would add its size to the peak memory of loading); block
// types are decoded.
func (ld *loader) finite(name string, t kernels.Tensor, ht HostTensor) error {
	if ht.DType == kernels.F32 || ht.DType == kernels.F16 || ht.DType == kernels.BF16 {
		if i := mmap.CheckFinite(ht.DType, ht.Data); i >= 0 {
			return fmt.Errorf("model: %s: tensor %s: non-finite value %g at element %d", ld.src.Where(), name, nonFinite(ht.DType, ht.Data, i), i)
		}
		return nil
	}
	ld.scratch = ld.b.ToFloat32(t, ld.scratch)
	if i := firstNonFinite(ld.scratch); i >= 0 {
		return fmt.Errorf("model: %s: tensor %s: non-finite value %g at element %d", ld.src.Where(), name, ld.scratch[i], i)
	}
	return nil
}

// free releases everything uploaded so far.
func (ld *loader) free() {
	freeAll(ld.b, ld.tensors)
	freeAll(ld.b, ld.stacks)
}

// NewFromTensors builds a model from tensors already on b, keyed by
// canonical name (e.g. views of one parameter block, as a trainer keeps
// them). The model uses the tensors without copying.
func NewFromTensors(cfg Config, b kernels.Backend, tensors map[string]kernels.Tensor) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, p := range cfg.Params() {
		t, ok := tensors[p.Name]
		if !ok {
			return nil, fmt.Errorf("model: missing tensor %s", p.Name)
		}
		if !slices.Equal(t.Shape(), p.Shape) {
			return nil, fmt.Errorf("model: tensor %s has shape %v, config wants %v", p.Name, t.Shape(), p.Shape)
		}
		if !supportedDType(t.DType(), len(p.Shape)) {
			return nil, fmt.Errorf("model: tensor %s has unsupported dtype %s", p.Name, t.DType())
		}
	}
	m := &Model{Config: cfg, Backend: b, fam: cfg.Family(), byName: tensors, ropeFactors: cfg.RopeFreqFactors()}
	get := func(name string) kernels.Tensor { return tensors[name] } // nil when absent
	m.W.TokenEmbd = get(NameTokenEmbd)
	m.W.PosEmbd = get(NamePosEmbd)
	m.W.OutputNorm = get(NameOutputNorm)
	m.W.OutputNormBias = get(NameOutputBias)
	m.W.Output = m.W.TokenEmbd
	if !cfg.TiedEmbeddings {
		m.W.Output = get(NameOutput)
	}
	m.W.Layers = make([]Layer, cfg.NLayers)
	for l := range m.W.Layers {
		w := func(part string) kernels.Tensor { return get(LayerName(l, part, "weight")) }
		bias := func(part string) kernels.Tensor { return get(LayerName(l, part, "bias")) }
		m.W.Layers[l] = Layer{
			AttnNorm: w(AttnNorm), AttnNormBias: bias(AttnNorm),
			Q: w(AttnQ), QBias: bias(AttnQ),
			K: w(AttnK), KBias: bias(AttnK),
			V: w(AttnV), VBias: bias(AttnV),
			QNorm: w(AttnQNorm), KNorm: w(AttnKNorm),
			AttnOutput: w(AttnOutput), AttnOutputBias: bias(AttnOutput),
			FFNNorm: w(FFNNorm), FFNNormBias: bias(FFNNorm),
			FFNGate: w(FFNGate), FFNGateBias: bias(FFNGate),
			FFNUp: w(FFNUp), FFNUpBias: bias(FFNUp),
			FFNDown: w(FFNDown), FFNDownBias: bias(FFNDown),
		}
	}
	return m, nil
}

// Param returns the tensor of the named parameter, nil when there is none.
func (m *Model) Param(name string) kernels.Tensor { return m.byName[name] }

// VocabSize is the number of logits per position.
func (m *Model) VocabSize() int { return m.Config.VocabSize }

// MaxSeqLen is the longest context the model supports.
func (m *Model) MaxSeqLen() int { return m.Config.MaxSeqLen }

// NumParams is the number of parameters (a tied classifier counts once).
func (m *Model) NumParams() int { return m.Config.NumParams() }

// Free releases the weights and buffers. The model must not be used after.
func (m *Model) Free() {
	freeAll(m.Backend, m.byName)
	m.byName = nil
	for _, t := range m.stacked {
		m.Backend.Free(t)
	}
	m.stacked = nil
	if m.acts != nil {
		m.acts.free(m.Backend)
		m.acts = nil
	}
}

func freeAll(b kernels.Backend, ts map[string]kernels.Tensor) {
	for _, t := range ts {
		b.Free(t)
	}
}

// nonFinite is the value (NaN or ±Inf) of element i of data stored as dt
// (F32, F16 or BF16), which mmap.CheckFinite found non-finite.
func nonFinite(dt kernels.DType, data []byte, i int) float32 {
	if dt == kernels.F32 {
		return math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	h := binary.LittleEndian.Uint16(data[2*i:])
	mant := h & 0x7f // bf16
	if dt == kernels.F16 {
		mant = h & 0x3ff
	}
	switch {
	case mant != 0:
		return float32(math.NaN())
	case h&0x8000 != 0:
		return float32(math.Inf(-1))
	}
	return float32(math.Inf(1))
}

// firstNonFinite returns the index of the first NaN or Inf in x, or -1.
func firstNonFinite(x []float32) int {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}
