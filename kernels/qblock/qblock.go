package qblock

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/half"
)

// DecodeRow dequantizes one row segment: src holds the encoded blocks of
// exactly len(dst) elements of dtype dt (for I8CH, a whole row including its
// scale). The plain float types F32, F16 and BF16 (little-endian bytes) are
// accepted too. It panics when the sizes do not match or dt is I32.
func DecodeRow(dt kernels.DType, dst []float32, src []byte) {
	checkSizes("DecodeRow", dt, len(dst), len(src))
	switch dt {
	case kernels.F32, kernels.F16, kernels.BF16:
		decodePlain(dt, dst, src)
	case kernels.I8CH:
		decodeI8CH(dst, src)
	default:
		if decodeRowArch(dt, dst, src) {
			return
		}
		f := formats[dt]
		bs := dt.BlockSize()
		bb := f.blockBytes
		for i := 0; i < len(dst); i += bs {
			f.decode(dst[i:i+bs:i+bs], src[i/bs*bb:(i/bs+1)*bb:(i/bs+1)*bb])
		}
	}
}

// EncodeRow quantizes src into dst (len(dst) must equal dt.RowBytes(len(src)))
// with llama.cpp's reference rounding for the GGML types (quantize_row_*_ref)
// and the rules in the package documentation for distill's own types. The
// plain float types F32, F16 and BF16 are accepted too (round to nearest
// even). Inputs should be finite: a NaN or Inf gives an unspecified block
// (but no panic). It panics when the sizes do not match or dt is I32.
func EncodeRow(dt kernels.DType, dst []byte, src []float32) {
	checkSizes("EncodeRow", dt, len(src), len(dst))
	switch dt {
	case kernels.F32:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case kernels.F16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], half.RoundF16(v))
		}
	case kernels.BF16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], half.RoundBF16(v))
		}
	case kernels.I8CH:
		encodeI8CH(dst, src)
	default:
		f := formats[dt]
		bs := dt.BlockSize()
		bb := f.blockBytes
		for i := 0; i < len(src); i += bs {
			f.encode(dst[i/bs*bb:(i/bs+1)*bb:(i/bs+1)*bb], src[i:i+bs:i+bs])
		}
	}
}

// EncodeRowWeighted is EncodeRow with per-element importance weights
// (llama.cpp's imatrix: typically the mean squared activation seen by each
// input channel), minimising sum_i w_i (x_i - q_i)^2 instead of the
// unweighted error. It is bit-exact with llama.cpp's quantize_row_*_impl for
// Q4_0, Q4_1, Q5_0, Q5_1 and the k-quants. For types without a weighted encoder
// (HasWeighted false) it panics.
func EncodeRowWeighted(dt kernels.DType, dst []byte, src, weights []float32) {
	checkSizes("EncodeRowWeighted", dt, len(src), len(dst))
	if len(weights) != len(src) {
		panic(fmt.Sprintf("qblock: EncodeRowWeighted: %d weights for %d elements", len(weights), len(src)))
	}
	f := formats[dt]
	if dt.IsQuantized() && f.encodeWeightedRow != nil {
		f.encodeWeightedRow(dst, src, weights)
		return
	}
	if !dt.IsQuantized() || f.encodeWeighted == nil {
		panic("qblock: EncodeRowWeighted: no weighted encoder for " + dt.String())
	}
	bs := dt.BlockSize()
	bb := f.blockBytes
	for i := 0; i < len(src); i += bs {
		f.encodeWeighted(dst[i/bs*bb:(i/bs+1)*bb:(i/bs+1)*bb], src[i:i+bs:i+bs], weights[i:i+bs:i+bs])
	}
}

// HasWeighted reports whether EncodeRowWeighted encodes dt (llama.cpp
// ignores an imatrix for the other types, Q8_0 among them).
func HasWeighted(dt kernels.DType) bool {
	if dt >= kernels.NumDTypes || !dt.IsQuantized() {
		return false
	}
	f := formats[dt]
	return f.encodeWeighted != nil || f.encodeWeightedRow != nil
}

// DotRow returns sum_i x[i] * v[i] where v is the row of len(x) elements of
// dtype dt encoded in src, without materialising v. It equals
// dot(x, DecodeRow(dt, src)) up to float32 summation order.
func DotRow(dt kernels.DType, x []float32, src []byte) float32 {
	checkSizes("DotRow", dt, len(x), len(src))
	switch dt {
	case kernels.F32, kernels.F16, kernels.BF16:
		var buf [256]float32
		var sum float32
		es := 2
		if dt == kernels.F32 {
			es = 4
		}
		for i := 0; i < len(x); i += len(buf) {
			n := min(len(buf), len(x)-i)
			decodePlain(dt, buf[:n], src[i*es:(i+n)*es])
			sum += dot(x[i:i+n], buf[:n])
		}
		return sum
	case kernels.I8CH:
		return dotI8CH(x, src)
	}
	if s, ok := dotRowArch(dt, x, src); ok {
		return s
	}
	f := formats[dt]
	bs := dt.BlockSize()
	bb := f.blockBytes
	var sum float32
	for i := 0; i < len(x); i += bs {
		sum += f.dot(x[i:i+bs:i+bs], src[i/bs*bb:(i/bs+1)*bb:(i/bs+1)*bb])
	}
	return sum
}

// format holds the per-block kernels of one block type. Each function handles
// exactly one block: len(x) == block size, len(b) == blockBytes.
type format struct {
	blockBytes     int
	decode         func(y []float32, b []byte)
	encode         func(b []byte, x []float32)
	encodeWeighted func(b []byte, x, w []float32)
	// encodeWeightedRow replaces encodeWeighted for types whose weighted
	// encoder needs statistics of the whole row (Q4_0, Q4_1, Q5_0, Q5_1).
	encodeWeightedRow func(dst []byte, x, w []float32)
	dot               func(x []float32, b []byte) float32
}

var formats [kernels.NumDTypes]format

func checkSizes(fn string, dt kernels.DType, n, nbytes int) {
	if dt == kernels.I32 || dt >= kernels.NumDTypes {
		panic(fmt.Sprintf("qblock: %s: unsupported dtype %s", fn, dt))
	}
	want, err := dt.RowBytes(n)
	if err != nil {
		panic(fmt.Sprintf("qblock: %s: %v", fn, err))
	}
	if nbytes != want {
		panic(fmt.Sprintf("qblock: %s: %s row of %d elements needs %d bytes, got %d", fn, dt, n, want, nbytes))
	}
}

// decodePlain decodes little-endian F32, F16 or BF16 bytes.
func decodePlain(dt kernels.DType, dst []float32, src []byte) {
	if dt == kernels.F32 {
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
		return
	}
	var buf [256]uint16
	for i := 0; i < len(dst); i += len(buf) {
		n := min(len(buf), len(dst)-i)
		for j := range n {
			buf[j] = binary.LittleEndian.Uint16(src[2*(i+j):])
		}
		if dt == kernels.F16 {
			half.F16ToF32(dst[i:i+n], buf[:n])
		} else {
			half.BF16ToF32(dst[i:i+n], buf[:n])
		}
	}
}

// dot is the plain float32 dot product, summed in order.
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// f16 reads the little-endian binary16 at b[0:2] as a float32.
func f16(b []byte) float32 { return half.WidenF16(binary.LittleEndian.Uint16(b)) }

// putF16 stores v rounded to binary16 (GGML_FP32_TO_FP16) at b[0:2].
func putF16(b []byte, v float32) { binary.LittleEndian.PutUint16(b, half.RoundF16(v)) }
