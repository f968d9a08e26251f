// Package kerneltest is the conformance suite every kernels.Backend must
// pass (in the manner of gonum's blas/testblas): Run(t, backend) checks each
// Backend method against the naive float64 references in reference.go,
// using only the Backend interface so that the CPU and CUDA backends run the
// same tests.
//
// The references are llm.c-style loops over flat slices with explicit sizes.
// Their backward functions are themselves checked against central finite
// differences of the forward functions (reference_test.go), with the scalar
// loss sum(out .* w).
//
// How values are compared: inputs are created in the dtype under test and
// read back, so the reference sees exactly the rounded values the backend
// sees; an output stored in dtype dt must then match within
// Tol(dt) * max(1, |want|): 1e-4 for F32 (float32 accumulation), 2e-3 for
// F16 and 1.6e-2 for BF16 (one output rounding of 2^-11 or 2^-8, with
// slack). Every tensor is a View into a parent with an extra row before and
// after: inputs get NaN guard rows, so a read outside the tensor poisons the
// result; outputs get guard rows of a known value, which must be unchanged
// (a write outside the tensor). Outputs that the op must not read start as
// NaN; accumulating outputs (gradients, beta != 0) start random.
//
// Shapes include single elements, odd sizes, sizes that span several
// attention tiles or threads, grouped-query ratios 1, 2 and 4, PosStart > 0
// (KV-cache decoding, also checked row by row against the full pass), both
// RoPE styles, every float dtype combination for MatMul and the block
// types (skipped while package qblock reports "not implemented").
package kerneltest
