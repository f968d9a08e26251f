package quant

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/distill-dev/distill/checkpoint/gguf"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// Imatrix is an importance matrix in llama.cpp's sense: for each matrix
// (by canonical tensor name) the mean squared activation of each input
// column over calibration text. The importance-weighted encoders
// (qblock.EncodeRowWeighted) use it to spend precision on the columns the
// model actually drives hard.
type Imatrix map[string][]float32

// CollectImatrix runs the unquantized model src on the calibration windows
// (equal length, at most MaxSeqLen tokens) on backend b and returns every
// matrix's per-column mean squared input, as llama-imatrix does.
func CollectImatrix(cfg model.Config, src model.TensorSource, b kernels.Backend, calib [][]int32) (Imatrix, error) {
	if err := checkWindows(calib, cfg.MaxSeqLen); err != nil {
		return nil, fmt.Errorf("quant: imatrix: %w", err)
	}
	var targets []TensorPlan
	for _, p := range cfg.Params() {
		if len(p.Shape) == 2 && p.Name != model.NameTokenEmbd {
			targets = append(targets, TensorPlan{Name: p.Name, Shape: p.Shape})
		}
	}
	hs, err := capture(cfg, &captureBackend{Backend: b}, src, targets, calib, true)
	if err != nil {
		return nil, err
	}
	im := Imatrix{}
	for name, h := range hs {
		if h.rows == 0 {
			continue // not an input of any matrix product (e.g. tied)
		}
		v := make([]float32, h.k)
		for i := range v {
			v[i] = float32(h.sum[i] / float64(h.rows))
		}
		im[name] = v
	}
	return im, nil
}

// ReadImatrix reads an importance matrix written by llama.cpp's
// llama-imatrix: the legacy binary format (imatrix.dat) or the GGUF one
// (<name>.in_sum2 and <name>.counts tensors). Mixture-of-experts entries
// (several matrices per name) are not supported.
func ReadImatrix(path string) (Imatrix, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("imatrix: %w", err)
	}
	var im Imatrix
	if bytes.HasPrefix(data, []byte("GGUF")) {
		im, err = readImatrixGGUF(path, data)
	} else {
		im, err = readImatrixLegacy(data)
	}
	if err != nil {
		return nil, fmt.Errorf("imatrix %s: %w (want a file written by llama.cpp's llama-imatrix)", path, err)
	}
	if len(im) == 0 {
		return nil, fmt.Errorf("imatrix %s: no entries", path)
	}
	return im, nil
}

// readImatrixLegacy parses llama-imatrix's legacy format: int32 n_entries,
// then per entry int32 name length, the name, int32 ncall, int32 nval and
// nval float32 (mean squared activation times ncall); then an optional
// trailer (last call, dataset name) that is ignored.
func readImatrixLegacy(data []byte) (Imatrix, error) {
	r := bytes.NewReader(data)
	var n int32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n <= 0 || int64(n) > int64(len(data)) {
		return nil, fmt.Errorf("not a legacy imatrix: bad entry count")
	}
	im := Imatrix{}
	for i := range int(n) {
		var nameLen int32
		if err := binary.Read(r, binary.LittleEndian, &nameLen); err != nil || nameLen <= 0 || int(nameLen) > r.Len() {
			return nil, fmt.Errorf("entry %d: bad name length", i)
		}
		name := make([]byte, nameLen)
		if _, err := io.ReadFull(r, name); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		var hdr [2]int32 // ncall, nval
		if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil || hdr[1] <= 0 || int(hdr[1])*4 > r.Len() {
			return nil, fmt.Errorf("entry %d (%s): truncated or bad size", i, name)
		}
		v := make([]float32, hdr[1])
		if err := binary.Read(r, binary.LittleEndian, v); err != nil {
			return nil, fmt.Errorf("entry %d (%s): %w", i, name, err)
		}
		if hdr[0] > 0 {
			for j := range v {
				v[j] /= float32(hdr[0])
			}
		}
		im[string(name)] = v
	}
	return im, nil
}

// readImatrixGGUF parses the GGUF imatrix: per matrix name a float32
// tensor <name>.in_sum2 [n_mat, k] of summed squared activations and
// <name>.counts [n_mat, 1] of rows seen; the mean is their quotient.
func readImatrixGGUF(path string, data []byte) (Imatrix, error) {
	f, err := gguf.Read(path, data)
	if err != nil {
		return nil, err
	}
	im := Imatrix{}
	for _, t := range f.Tensors() {
		name, ok := strings.CutSuffix(t.Name, ".in_sum2")
		if !ok {
			continue
		}
		ct, err := f.Tensor(name + ".counts")
		if err != nil {
			return nil, fmt.Errorf("%s has no counts: %w", t.Name, err)
		}
		if t.Type != gguf.TypeF32 || ct.Type != gguf.TypeF32 || len(t.Shape) == 0 {
			return nil, fmt.Errorf("%s: want float32 in_sum2 and counts, got %s and %s", name, t.Type, ct.Type)
		}
		if nmat := t.NumElements() / t.Shape[len(t.Shape)-1]; nmat != 1 || ct.NumElements() != 1 {
			return nil, fmt.Errorf("%s: %d matrices (mixture of experts) are not supported", name, nmat)
		}
		count := math.Float32frombits(binary.LittleEndian.Uint32(ct.Data))
		v := make([]float32, t.NumElements())
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*j:]))
			if count > 0 {
				v[j] /= count
			}
		}
		im[name] = v
	}
	return im, nil
}

// Check verifies that im describes the model cfg: every entry names one of
// its matrices and has one value per input column, and at least one matrix
// is covered. Matrices without an entry are quantized unweighted, as
// llama-quantize does.
func (im Imatrix) Check(cfg model.Config) error {
	width := map[string]int{}
	for _, p := range cfg.Params() {
		if len(p.Shape) == 2 {
			width[p.Name] = p.Shape[1]
		}
	}
	var errs []error
	names := make([]string, 0, len(im))
	for name := range im {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		k, ok := width[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s is not a matrix of this model", name))
		case len(im[name]) != k:
			errs = append(errs, fmt.Errorf("%s has %d columns, the model's has %d", name, len(im[name]), k))
		}
		if len(errs) == 5 {
			errs = append(errs, fmt.Errorf("(and maybe more)"))
			break
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("imatrix does not match the model (was it made for another model?): %w", errors.Join(errs...))
	}
	return nil
}
