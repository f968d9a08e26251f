package model

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
)

// ParamBlock holds every parameter of a config in one allocation, laid out
// back to back in Params order (llm.c's malloc_and_point_parameters), with a
// named view per parameter. Master weights, half-precision weight copies,
// gradients and the AdamW moments of a trainer are ParamBlocks of the same
// config, so an op over Flat covers all parameters at once (a global
// gradient norm, a cast of the master weights, zeroing the gradients).
type ParamBlock struct {
	Config Config
	Flat   kernels.Tensor            // [NumParams]
	Views  map[string]kernels.Tensor // by canonical name, shaped as in Params
	W      Weights                   // the views by role; Output is TokenEmbd when tied
}

// AllocParams allocates a zero-filled block of float dtype dt for cfg (the
// storage of NewParamBlock, with the views also arranged by role).
func AllocParams(cfg Config, b kernels.Backend, dt kernels.DType) (*ParamBlock, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !dt.IsFloat() {
		return nil, fmt.Errorf("model: parameter block of non-float dtype %s", dt)
	}
	p := &ParamBlock{Config: cfg}
	p.Flat, p.Views = NewParamBlock(cfg, b, dt)
	m, err := NewFromTensors(cfg, b, p.Views)
	if err != nil {
		return nil, err
	}
	p.W = m.W
	blockStacks(cfg, b, p.Flat, &p.W)
	return p, nil
}

// Model returns a model whose weights are the block's views (no copy).
func (p *ParamBlock) Model(b kernels.Backend) *Model {
	m, err := NewFromTensors(p.Config, b, p.Views)
	if err != nil {
		panic("model: ParamBlock.Model: " + err.Error()) // the block was built for its config
	}
	for l := range m.W.Layers {
		w := &m.W.Layers[l]
		w.QKV, w.GateUp = p.W.Layers[l].QKV, p.W.Layers[l].GateUp
		m.fused = m.fused || w.QKV != nil
	}
	return m
}

// Set copies host values (by canonical name, as RandomParams returns them)
// into the block; every parameter must be present with its element count.
func (p *ParamBlock) Set(b kernels.Backend, params map[string][]float32) error {
	for _, s := range p.Config.Params() {
		v, ok := params[s.Name]
		if !ok || len(v) != s.Numel() {
			return fmt.Errorf("model: ParamBlock.Set: parameter %s: %d values, want %d", s.Name, len(v), s.Numel())
		}
		t := b.FromFloat32(kernels.F32, v, s.Shape...)
		b.Copy(p.Views[s.Name], t)
		b.Free(t)
	}
	return nil
}

// CopyFrom copies every parameter of m into the block (converting dtypes;
// m's config must have the block's shapes).
func (p *ParamBlock) CopyFrom(b kernels.Backend, m *Model) error {
	for _, s := range p.Config.Params() {
		t := m.Param(s.Name)
		if t == nil || kernels.Numel(t) != s.Numel() {
			return fmt.Errorf("model: ParamBlock.CopyFrom: parameter %s missing or of another size", s.Name)
		}
		b.Copy(p.Views[s.Name], t)
	}
	return nil
}

// Free releases the block's storage.
func (p *ParamBlock) Free(b kernels.Backend) {
	b.Free(p.Flat)
	p.Views, p.W = nil, Weights{}
}
