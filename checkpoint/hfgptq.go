package checkpoint

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/distill-dev/distill/checkpoint/safetensors"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// The GPTQ layout of AutoGPTQ / transformers / vLLM (checkpoint_format
// "gptq", 4 bits, sym, desc_act false) for distill's symmetric int4 group
// types I4S_G*: a matrix W [n out, k in] is stored as
//
//	<base>.qweight int32 [k/8, n]   8 levels (0..15) along the input, level b of the word at bits 4b
//	<base>.scales  f16   [k/g, n]   the group scales
//	<base>.qzeros  int32 [k/g, n/8] zero point minus one, packed along the output: 7 for sym
//	<base>.g_idx   int32 [k]        group of each input, i/g
//
// and dequantizes as scale * (q - (qzero+1)) = scale * (q - 8), exactly
// I4S's (q-8)*d. distill's scales may be negative (d = m/-8); the formula
// does not care.

// gptqSuffixes are the tensor name suffixes of one GPTQ matrix.
var gptqSuffixes = []string{".qweight", ".scales", ".qzeros", ".g_idx"}

// gptqGroupSize returns the group size of an I4S type, 0 for others.
func gptqGroupSize(dt kernels.DType) int {
	switch dt {
	case kernels.I4S_G32, kernels.I4S_G64, kernels.I4S_G128:
		return dt.BlockSize()
	}
	return 0
}

func i32Bytes(v []uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

// toGPTQ returns the four GPTQ tensors of t (an I4S tensor named
// <base>.weight, shape [n, k]).
func toGPTQ(t model.HostTensor) ([]safetensors.Tensor, error) {
	gs := gptqGroupSize(t.DType)
	if len(t.Shape) != 2 || gs == 0 || !strings.HasSuffix(t.Name, ".weight") {
		return nil, fmt.Errorf("tensor %s (%s %v) is not an int4 group matrix", t.Name, t.DType, t.Shape)
	}
	n, k := t.Shape[0], t.Shape[1]
	if n%8 != 0 || k%gs != 0 {
		return nil, fmt.Errorf("tensor %s %v: the GPTQ layout packs 8 outputs per qzeros word and needs inputs in whole groups of %d (keep it in float: --override %s=F16)", t.Name, t.Shape, gs, t.Name)
	}
	base := strings.TrimSuffix(t.Name, ".weight")
	bb := 2 + gs/2
	rowBytes := k / gs * bb
	qweight := make([]uint32, k/8*n)
	scales := make([]byte, 2*(k/gs)*n)
	for r := range n {
		row := t.Data[r*rowBytes : (r+1)*rowBytes]
		for g := range k / gs {
			blk := row[g*bb : (g+1)*bb]
			copy(scales[2*(g*n+r):], blk[:2])
			for j := range gs {
				q := blk[2+j%(gs/2)]
				if j >= gs/2 {
					q >>= 4
				}
				i := g*gs + j
				qweight[i/8*n+r] |= uint32(q&15) << (4 * (i % 8))
			}
		}
	}
	qzeros := make([]uint32, k/gs*n/8)
	for i := range qzeros {
		qzeros[i] = 0x77777777
	}
	gidx := make([]uint32, k)
	for i := range gidx {
		gidx[i] = uint32(i / gs)
	}
	return []safetensors.Tensor{
		{Name: base + ".qweight", DType: "I32", Shape: []int{k / 8, n}, Data: i32Bytes(qweight)},
		{Name: base + ".scales", DType: "F16", Shape: []int{k / gs, n}, Data: scales},
		{Name: base + ".qzeros", DType: "I32", Shape: []int{k / gs, n / 8}, Data: i32Bytes(qzeros)},
		{Name: base + ".g_idx", DType: "I32", Shape: []int{k}, Data: i32Bytes(gidx)},
	}, nil
}

// fromGPTQ rebuilds the I4S_G<gs> tensor <base>.weight from its four GPTQ
// tensors (by suffix), accepting only the layout toGPTQ writes.
func fromGPTQ(base string, parts map[string]model.HostTensor, gs int) (model.HostTensor, error) {
	qw, sc, qz, gi := parts[".qweight"], parts[".scales"], parts[".qzeros"], parts[".g_idx"]
	if len(qw.Shape) != 2 || len(sc.Shape) != 2 || len(qz.Shape) != 2 || len(gi.Shape) != 1 {
		return model.HostTensor{}, fmt.Errorf("GPTQ matrix %s: want qweight, scales, qzeros and g_idx", base)
	}
	k, n := qw.Shape[0]*8, qw.Shape[1]
	dt := map[int]kernels.DType{32: kernels.I4S_G32, 64: kernels.I4S_G64, 128: kernels.I4S_G128}[gs]
	if dt == 0 || k%gs != 0 || n%8 != 0 || sc.Shape[0] != k/gs || sc.Shape[1] != n || qz.Shape[0] != k/gs || qz.Shape[1] != n/8 || gi.Shape[0] != k ||
		len(qw.Data) != 4*k/8*n || len(sc.Data) != 2*k/gs*n || len(qz.Data) != 4*k/gs*n/8 || len(gi.Data) != 4*k {
		return model.HostTensor{}, fmt.Errorf("GPTQ matrix %s: shapes qweight %v scales %v qzeros %v g_idx %v do not fit group size %d", base, qw.Shape, sc.Shape, qz.Shape, gi.Shape, gs)
	}
	for i := 0; i < len(qz.Data); i += 4 {
		if binary.LittleEndian.Uint32(qz.Data[i:]) != 0x77777777 {
			return model.HostTensor{}, fmt.Errorf("GPTQ matrix %s: asymmetric zero points; distill reads the symmetric layout (sym true) only", base)
		}
	}
	for i := range k {
		if binary.LittleEndian.Uint32(gi.Data[4*i:]) != uint32(i/gs) {
			return model.HostTensor{}, fmt.Errorf("GPTQ matrix %s: g_idx is not input/group_size (desc_act true); distill reads desc_act false only", base)
		}
	}
	bb := 2 + gs/2
	rowBytes := k / gs * bb
	data := make([]byte, n*rowBytes)
	for r := range n {
		row := data[r*rowBytes : (r+1)*rowBytes]
		for g := range k / gs {
			blk := row[g*bb : (g+1)*bb]
			copy(blk[:2], sc.Data[2*(g*n+r):][:2])
			for j := range gs {
				i := g*gs + j
				q := byte(binary.LittleEndian.Uint32(qw.Data[4*(i/8*n+r):]) >> (4 * (i % 8)) & 15)
				if j < gs/2 {
					blk[2+j] |= q
				} else {
					blk[2+j-gs/2] |= q << 4
				}
			}
		}
	}
	return model.HostTensor{Name: base + ".weight", DType: dt, Shape: []int{n, k}, Data: data}, nil
}

// gptqQuantizationConfig is config.json's quantization_config for group
// size gs.
func gptqQuantizationConfig(gs int) map[string]any {
	return map[string]any{"quant_method": "gptq", "bits": 4, "group_size": gs, "desc_act": false, "sym": true,
		"checkpoint_format": "gptq"}
}
