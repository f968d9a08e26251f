package qblock

import (
	"bytes"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// Blocks worked out by hand from the format definitions in doc.go (and, for
// the GGML types, llama.cpp's reference quantizers). Each comment gives the
// derivation.

func zeros(n int) []float32 { return make([]float32, n) }

func with(x []float32, kv ...float32) []float32 {
	for i := 0; i < len(kv); i += 2 {
		x[int(kv[i])] = kv[i+1]
	}
	return x
}

func rep(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// q6kInput: sub-block ib holds s_ib * lv[i] with s = 1 for even ib and 0.5
// for odd ib. Each sub-block is exactly on its grid with -32*s present, so
// make_qx_quants returns s exactly (Cauchy-Schwarz: no other candidate can
// beat an exact fit) and L = lv + 32.
var q6kLevels = [16]int{-32, -1, 0, 1, 31, 5, -5, 10, -10, 15, -15, 20, -20, 25, -25, 30}

func q6kInput() []float32 {
	x := make([]float32, 256)
	for ib := range 16 {
		s := float32(1)
		if ib%2 == 1 {
			s = 0.5
		}
		for i, l := range q6kLevels {
			x[16*ib+i] = s * float32(l)
		}
	}
	return x
}

// q6kWant: max scale 1 (sub-block 0), iscale = -128, d = f16(-1/128) =
// 0xA000, int8 scales -128 (0x80) for even and -64 (0xC0) for odd
// sub-blocks, so d*scale = 1 or 0.5 and L = level + 32. ql/qh are packed by
// the layout rule of doc.go.
func q6kWant() []byte {
	b := make([]byte, 210)
	for e := range 256 {
		L := byte(q6kLevels[e%16] + 32)
		h, k, l := e/128, (e%128)/32, e%32
		lo := &b[64*h+l+32*(k&1)]
		if k < 2 {
			*lo |= L & 15
		} else {
			*lo |= (L & 15) << 4
		}
		b[128+32*h+l] |= (L >> 4) << (2 * k)
	}
	for ib := range 16 {
		b[192+ib] = 0x80
		if ib%2 == 1 {
			b[192+ib] = 0xC0
		}
	}
	b[208], b[209] = 0x00, 0xA0
	return b
}

func q4kGrid(offset float32) []float32 {
	x := make([]float32, 256)
	for i := range x {
		x[i] = float32(i%16) + offset
	}
	return x
}

func TestHandBlocks(t *testing.T) {
	tests := []struct {
		name string
		dt   kernels.DType
		x    []float32
		want []byte
	}{
		// amax = 127: d = 1 (f16 0x3C00), id = 1, q = roundf(x), ties away from 0.
		{"Q8_0", kernels.Q8_0, with(zeros(32), 0, 127, 1, -127, 2, 0.5, 3, -0.5, 4, 1.49, 5, 2.5, 6, -2.5),
			cat([]byte{0x00, 0x3C, 0x7F, 0x81, 0x01, 0xFF, 0x01, 0x03, 0xFD}, rep(0, 25))},
		// max = -8: d = 1, q = min(15, trunc(x + 8.5)): -8->0, 7->15, 0->8,
		// 0.5->9, -0.5->8, 1.49->9; x16 = 3 -> 11, x17 = -3 -> 5.
		{"Q4_0", kernels.Q4_0, with(zeros(32), 0, -8, 1, 7, 3, 0.5, 4, -0.5, 5, 1.49, 16, 3, 17, -3),
			cat([]byte{0x00, 0x3C, 0xB0, 0x5F, 0x88, 0x89, 0x88, 0x89}, rep(0x88, 10))},
		// max = +8: d = -1 (0xBC00): 8 -> trunc(0.5) = 0, -7 -> 15, 0 -> 8.
		{"Q4_0 positive max", kernels.Q4_0, with(zeros(32), 0, 8, 16, -7),
			cat([]byte{0x00, 0xBC, 0xF0}, rep(0x88, 15))},
		// min = -1, max = 14: d = 1, m = -1 (0xBC00), q = min(15, trunc(x + 1.5)):
		// -1->0, 14->15, 0->1, 0.49->1, 0.5->2; x16 = 5 -> 6.
		{"Q4_1", kernels.Q4_1, with(zeros(32), 0, -1, 1, 14, 3, 0.49, 4, 0.5, 16, 5),
			cat([]byte{0x00, 0x3C, 0x00, 0xBC, 0x60, 0x1F, 0x11, 0x11, 0x12}, rep(0x11, 11))},
		// max = -16: d = 1, q = min(31, trunc(x + 16.5)): -16->0, 15->31,
		// 0->16, 0.5->17, -0.5->16; x16 = 3 -> 19, x17 = -3 -> 13. qh holds
		// bit 4 of q_j at bit j: every level but q0 and q17 is >= 16, so
		// qh = 0xFFFDFFFE.
		{"Q5_0", kernels.Q5_0, with(zeros(32), 0, -16, 1, 15, 3, 0.5, 4, -0.5, 16, 3, 17, -3),
			cat([]byte{0x00, 0x3C, 0xFE, 0xFF, 0xFD, 0xFF, 0x30, 0xDF, 0x00, 0x01}, rep(0, 12))},
		// min = -1, max = 30: d = 1, m = -1 (0xBC00), q = trunc(x + 1.5):
		// -1->0, 30->31, 0->1, 0.49->1, 0.5->2; x16 = 5 -> 6. Only q1 >= 16.
		{"Q5_1", kernels.Q5_1, with(zeros(32), 0, -1, 1, 30, 3, 0.49, 4, 0.5, 16, 5),
			cat([]byte{0x00, 0x3C, 0x00, 0xBC, 0x02, 0x00, 0x00, 0x00, 0x60, 0x1F, 0x11, 0x11, 0x12}, rep(0x11, 11))},
		// Each sub-block is 0..15 twice: make_qkx2_quants fits scale 1, min 0
		// with zero error (nothing can beat it), ls = 63, lm = 0;
		// d = f16(1/63) = 0x2410 (0.015869140625), dmin = 0; q = x since
		// x/(63d) = x/0.99976 rounds back to x. scales: bytes 0-3 = 63 | 3<<6,
		// 4-7 = lm = 0, 8-11 = 63&15; qs[32i+l] = (l%16) * 0x11.
		{"Q4_K min 0", kernels.Q4_K, q4kGrid(0),
			cat([]byte{0x10, 0x24, 0x00, 0x00}, rep(0xFF, 4), rep(0x00, 4), rep(0x0F, 4),
				bytes.Repeat(nibbleRamp(), 4))},
		// The same grid shifted by -8: scale 1, min 8 exactly; ls = lm = 63 so
		// all 12 scale bytes are 0xFF; dmin = f16(8/63) = 0x3010 (0.126953125);
		// (x + 63*dmin)/(63*d) = (k - 0.001953125)/0.999755859375 rounds to k.
		{"Q4_K min -8", kernels.Q4_K, q4kGrid(-8),
			cat([]byte{0x10, 0x24, 0x10, 0x30}, rep(0xFF, 12), bytes.Repeat(nibbleRamp(), 4))},
		{"Q6_K", kernels.Q6_K, q6kInput(), q6kWant()},
		// s = 127/127 = 1 (float32 0x3F800000); roundf(-63.5) = -64.
		{"I8CH", kernels.I8CH, []float32{127, -63.5, 0.5, 0},
			[]byte{0x00, 0x00, 0x80, 0x3F, 0x7F, 0xC0, 0x01, 0x00}},
		// s = f16(-8/-8) = 1; q = round_half_even(x) + 8: 0.5 -> 8 (Q4_0 gives 9),
		// 1.5 -> 10, -0.5 -> 8, x16 = 2.5 -> 10, x17 = -3 -> 5.
		{"I4S_G32", kernels.I4S_G32, with(zeros(32), 0, -8, 1, 7, 2, 0.5, 3, 1.5, 4, -0.5, 16, 2.5, 17, -3),
			cat([]byte{0x00, 0x3C, 0xA0, 0x5F, 0x88, 0x8A}, rep(0x88, 12))},
		// Group 64: element j pairs with j+32. x0 = -8 -> 0, x32 = 4 -> 12.
		{"I4S_G64", kernels.I4S_G64, with(zeros(64), 0, -8, 32, 4),
			cat([]byte{0x00, 0x3C, 0xC0}, rep(0x88, 31))},
		// min = -1 (0xBC00), s = 15/15 = 1; q = round_half_even(x + 1):
		// -1->0, 14->15, 0->1, 0.5->2 (1.5 even-rounds up), 1.5->2 (2.5 down); x16 = 5 -> 6.
		{"I4A_G32", kernels.I4A_G32, with(zeros(32), 0, -1, 1, 14, 3, 0.5, 4, 1.5, 16, 5),
			cat([]byte{0x00, 0x3C, 0x00, 0xBC, 0x60, 0x1F, 0x11, 0x12, 0x12}, rep(0x11, 11))},
	}
	for _, tt := range tests {
		if n, _ := tt.dt.RowBytes(len(tt.x)); n != len(tt.want) {
			t.Errorf("%s: want has %d bytes, RowBytes says %d", tt.name, len(tt.want), n)
			continue
		}
		got := make([]byte, len(tt.want))
		EncodeRow(tt.dt, got, tt.x)
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%s: EncodeRow\n got  % x\n want % x", tt.name, got, tt.want)
		}
	}
}

// nibbleRamp is 32 bytes (l%16)*0x11: both nibbles of byte l hold l%16.
func nibbleRamp() []byte {
	b := make([]byte, 32)
	for l := range b {
		b[l] = byte(l%16) * 0x11
	}
	return b
}
