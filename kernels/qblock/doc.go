// Package qblock encodes and decodes the block-quantized storage types of
// package kernels: the GGML formats Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K,
// Q3_K, Q4_K, Q5_K and Q6_K (bit-exact with llama.cpp) and distill's own
// I8CH, I4S_G* and I4A_G*.
//
// A row of n elements is stored as n/B consecutive blocks of B elements
// (kernels.DType.BlockSize); all multi-byte fields are little-endian and
// "f16" means an IEEE binary16 rounded to nearest even (GGML_FP32_TO_FP16).
// Decoding always happens in float32.
//
// # GGML formats
//
// The encoders port quantize_row_*_ref (and quantize_row_*_impl for the
// importance-weighted EncodeRowWeighted) and the decoders dequantize_row_*
// from ggml/src/ggml-quants.c of ggml-org/llama.cpp (checked at commit
// 01243c587feceaa5d6a6c2305535ef2f549c48b8): same float32 operations in the
// same order, nearest_int's round-half-even trick, fp16 rounding of the
// stored scales. They are checked byte for byte against llama.cpp itself:
// the vectors in testdata/llamacpp come from quantize_<type> and
// dequantize_row_<type> in the prebuilt libggml-base.so of the npm package
// node-llama-cpp 3.22.1 (all ten types, and the importance-weighted _impl
// encoders of the k-quants), and agreed on 2^20 values of varied
// distributions as well (see llamacpp_test.go).
//
//	Q8_0 (32 elements, 34 bytes): d f16 | qs[32] int8
//	    d = max|x|/127, q = roundf(x/d) (ties away from zero), x ≈ q*d
//	Q4_0 (32 elements, 18 bytes): d f16 | qs[16]
//	    d = m/-8 with m the element of largest magnitude (signed),
//	    q = min(15, trunc(x/d + 8.5)), x ≈ (q-8)*d
//	Q4_1 (32 elements, 20 bytes): d f16 | m f16 | qs[16]
//	    m = min x, d = (max x - m)/15, q = min(15, trunc((x-m)/d + 0.5)),
//	    x ≈ q*d + m
//
//	Q5_0 (32 elements, 22 bytes): d f16 | qh[4] | qs[16]
//	    d = m/-16 with m the element of largest magnitude (signed),
//	    q = min(31, trunc(x/d + 16.5)), x ≈ (q-16)*d
//	Q5_1 (32 elements, 24 bytes): d f16 | m f16 | qh[4] | qs[16]
//	    m = min x, d = (max x - m)/31, q = trunc((x-m)/d + 0.5), x ≈ q*d + m
//
// In Q4_0 and Q4_1 element j (0..15) is the low nibble of qs[j] and element
// j+16 its high nibble. Q5_0 and Q5_1 store the low 4 bits the same way and
// the 5th bit of element j (0..31) at bit j of the little-endian uint32 qh.
//
//	Q4_K (256 elements, 144 bytes): d f16 | dmin f16 | scales[12] | qs[128]
//	    8 sub-blocks of 32 with a 6-bit scale sc_j and 6-bit min m_j:
//	    x ≈ d*sc_j*q - dmin*m_j, q in 0..15.
//	    scales: for j < 4, sc_j = scales[j]&63 and m_j = scales[j+4]&63;
//	    for j >= 4, sc_j = scales[j+4]&15 | (scales[j-4]>>6)<<4 and
//	    m_j = scales[j+4]>>4 | (scales[j]>>6)<<4 (get_scale_min_k4).
//	    qs: sub-blocks 2i and 2i+1 share qs[32i:32i+32], 2i in the low
//	    nibbles, 2i+1 in the high ones.
//	    Encoding: per sub-block a weighted asymmetric fit (make_qkx2_quants,
//	    weights av|x| + |x_l|, 21 candidate scales), then sc_j, m_j quantized
//	    to 6 bits against the largest scale/min, then q recomputed against the
//	    stored values.
//	Q5_K (256 elements, 176 bytes): d f16 | dmin f16 | scales[12] | qh[32] | qs[128]
//	    Q4_K's scales and nibble layout (make_qkx2_quants with q in 0..31,
//	    16 candidate scales) plus the 5th bit of element 64i + l at bit 2i
//	    of qh[l] and of element 64i + 32 + l at bit 2i+1.
//	Q3_K (256 elements, 110 bytes): hmask[32] | qs[64] | scales[12] | d f16
//	    16 sub-blocks of 16: x ≈ d*(s_j-32)*(q-4), q in 0..7, s_j 6 bits
//	    (low 4 bits in scales[j%8], low nibble for j < 8, high for j >= 8;
//	    high 2 bits at bits 2(j/4) of scales[8 + j%4]). The low 2 bits of q
//	    are packed as Q2_K's, the 3rd bit of element e at bit e/32 of
//	    hmask[e%32]. Encoding: per sub-block a symmetric x^2-weighted fit
//	    with coordinate-descent refinement (make_q3_quants), scales to 6 bits
//	    against the largest one, q recomputed against the stored values.
//	Q2_K (256 elements, 84 bytes): scales[16] | qs[64] | d f16 | dmin f16
//	    16 sub-blocks of 16: x ≈ d*sc_j*q - dmin*m_j, q in 0..3, sc_j the
//	    low and m_j the high nibble of scales[j]. Element 128h + 32k + l
//	    sits at bits 2k of qs[32h + l]. Encoding: make_qkx2_quants per
//	    sub-block with weights |x| and the absolute (not squared) error.
//	Q6_K (256 elements, 210 bytes): ql[128] | qh[64] | scales[16] int8 | d f16
//	    16 sub-blocks of 16: x ≈ d*scales[j]*(q-32), q in 0..63 split into a
//	    low nibble in ql and two high bits in qh. Element 128h + 32k + l
//	    (h 0..1, k 0..3, l 0..31) has its low nibble in ql[64h + l + 32(k&1)]
//	    (low half of the byte for k < 2, high half for k >= 2), its high bits
//	    at bit 2k of qh[32h + l], and its scale in scales[8h + 2k + l/16].
//	    Encoding: per sub-block a symmetric x^2-weighted fit over 19
//	    candidate scales (make_qx_quants), then scales quantized to int8
//	    against the largest one, q recomputed against the stored values.
//
// # distill formats
//
//	I8CH (a whole row of K elements, 4+K bytes): s float32 | q[K] int8
//	    s = max|x|/127, q = roundf(x/s) (ties away from zero), x ≈ q*s.
//	    Per output channel: one row of a [N, K] weight is one channel.
//	I4S_G{32,64,128} (g elements, 2+g/2 bytes): s f16 | qs[g/2]
//	    x ≈ (q-8)*s, q in 0..15. s = f16(m/-8) with m the element of largest
//	    magnitude, as Q4_0 (so that extreme lands exactly on level -8 and all
//	    16 levels are used), but q = clamp(round_half_even(x/s)+8, 0, 15) is
//	    computed against the stored f16 s, which gives a smaller error than
//	    Q4_0's truncation against the unrounded scale. An element equal to -m
//	    clamps to level 15, error |s|.
//	I4A_G{32,64,128} (g elements, 4+g/2 bytes): s f16 | min f16 | qs[g/2]
//	    x ≈ q*s + min, q in 0..15. min = f16(min x),
//	    s = f16((max x - min)/15), q = clamp(round_half_even((x-min)/s), 0, 15)
//	    against the stored f16 values.
//
// In the int4 group formats element j (0..g/2-1) is the low nibble of qs[j]
// and element j+g/2 its high nibble (Q4_0's order, generalised).
//
// # Edge cases
//
// An all-zero block encodes to zero scales and decodes to zeros (Q4_0 and
// I4S store q = 8, Q4_1 and I4A q = 0). A constant block decodes to the
// constant up to the f16 rounding of its scale (Q4_1/I4A: of its min). A
// single huge outlier sets the scale of its block alone; the other elements
// of that block lose precision, other blocks are unaffected. Inputs must be
// finite and their scales representable in f16 (|x| up to about 8*65504 for
// the int4 formats): NaN or Inf gives an unspecified block, never a panic.
//
// # Calibrated and weighted encoding
//
// EncodeRowWeighted takes per-element importance weights (llama.cpp's
// imatrix) for Q4_0, Q4_1, Q5_0, Q5_1 and the k-quants Q2_K ... Q6_K, bit-exact
// with quantize_row_<type>_impl. Grid exposes one block's grid once its
// scales are fixed (Q8_0, the 4- and 5-bit legacy types, Q4_K, Q5_K, Q6_K
// and the int4 group formats): NewGrid (the encoder's choice, weighted or
// not), Grid.Quantize, Grid.Value (bit-identical to DecodeRow) and
// Grid.Encode let GPTQ-style quantizers round weights one at a time against
// the grid they will be stored with.
//
// # Speed
//
// Decoding must stay bit-identical to dequantize_row_*, so the vector
// kernels (amd64 AVX2 + F16C, in row_amd64.s and nibble_amd64.s) do exactly
// the reference's float32 operations, one multiply and one add each
// rounded, with scales widened by VCVTPH2PS (exact). Whole rows go through
// one assembly call (per 16 super-blocks for the k-quants, whose per-block
// constants d*sc and dmin*m are computed in Go). The pure-Go per-block
// decoders (used elsewhere and with -tags purego) look nibble values up in a
// 16-entry table per (sub-)block, filled with the same float operations.
// DotRow multiplies against the encoded row without materialising it (for
// GEMV), with FMA, and equals dot(x, decoded) up to float32 summation order.
//
// IntDot is llama.cpp's vec_dot: activations quantized to 8 bits per block
// (QuantizeAct: Q8_0 blocks for Q8_0/Q4_0 weights, Q8_K super-blocks with
// 16-element sums for Q4_K/Q5_K/Q6_K), integer products summed in int32 and
// scaled once per (sub-)block. QuantizeAct is byte for byte llama.cpp's
// quantize_row_q8_0 (its SIMD rounding) and quantize_row_q8_K, and IntDot
// agrees with its ggml_vec_dot_<type>_q8_{0,K} to 2e-6
// (TestLlamaCppIntDot, values from node-llama-cpp 3.22.1's binaries).
// Assembly: Q8_0 and Q4_0 in AVX2 (VPMADDUBSW/VPMADDWD, vecdot_amd64.s);
// Q4_K, Q5_K and Q6_K in AVX2 (vecdot_kquant_amd64.s, llama.cpp's scheme:
// unsigned levels times signed activations, sub-block scales by
// VPMADDWD, the k-quants' offsets through the activations' bsums) and Q6_K,
// where the CPU has AVX-512 VNNI, on 512-bit registers with VPDPWSSD
// (vecdot_vnni_amd64.s, ~9% less CPU time; its Q4_K and Q5_K siblings
// measured slower than AVX2 and are not dispatched); Go otherwise (-tags
// purego). CPU time per 4096-element row (best of 15, shared machine):
// Q4_K 128 ns, Q5_K 155, Q6_K 126 (0.03-0.04 ns per element). kernels/cpu's MatMul
// calls it for generation-sized products (see its doc).
//
// Many activation rows (ActRows, quantized once by QuantizeRows) times
// many weight rows: PanelDot, for Q8_0, Q4_0, Q4_K, Q5_K and Q6_K weights
// repacked into panels of 16 rows (PackPanels; panel_amd64.s,
// panel_k_amd64.s: one weight row per int32 lane, four activation levels
// broadcast by VPDPBUSD itself, the block or sub-block scales one vector
// for 16 rows, the k-quants' scale and min sums in int32 as llama.cpp
// does them; llama.cpp repacks for its CPU backend the same way), AVX-512
// VNNI, Go elsewhere; the same integer block sums as IntDot, float
// additions in another order. One thread, [m, 1024] x [256, 1024]^T,
// activation quantization included (BenchmarkMultiRow, 2026-12-02, 2-core
// AMD EPYC Zen 5): Q8_0 and Q4_0 190-215 GOP/s at m = 1 and 300-330 at m
// = 8 and 128, Q4_K 280 and 550-580, Q5_K 230 and 510-560, Q6_K 210 and
// 470-500, where the tiles of 4 weight rows x 8
// activation rows on the GGUF layout that came before ran 30-100 and
// 95-200.
//
// Q5_K, Q3_K and Q2_K rows decode in one assembly call too (q5kRowAVX2
// adds the 5th bits to Q4_K's kernel; q3kRowAVX2 and q2kRowAVX2 extract 2
// bits per element with a variable shift): best of 3, 4096-element rows,
// one run on the shared machine, Q4_K 0.62 us, Q5_K 0.83, Q3_K 1.5, Q2_K
// 0.81 (Q3_K and Q2_K took 9-14 and 5-7 us in Go); Q5_0 and Q5_1
// (row5DecodeAVX2, the 5th bits by a per-lane variable shift of qh) 0.56
// and 0.6 us against Q4_0's 0.53. Their DotRow and the per-block decoders
// are Go: levels unpacked to bytes, then converted by the vectorised int8s
// and levels loops (levels.go).
//
// Measured on this repository's AVX-512 Xeon (2 shared cores), 4096-element
// rows, ns per element, decode / DotRow: Q8_0 0.055 / 0.069, Q4_0 0.075 /
// 0.078, Q4_1 0.11 / 0.10, Q4_K 0.12 / 0.13 (31 ns per 256-element block),
// Q6_K 0.13 / 0.14, I8CH 0.04 / 0.06, I4S/I4A 0.07-0.09 / 0.07-0.10.
// Encoding (pure Go, reference search): Q8_0/Q4_0/Q4_1/I4* 2-5 ns, Q6_K
// ~60 ns, Q4_K ~100 ns per element.
package qblock
