// common.cuh: dtype-generic loads and stores and the reductions shared by
// every kernel. Storage dtypes are kernels.DType values (F32 0, F16 1,
// BF16 2); compute is float32, outputs rounded once (round to nearest even).
#pragma once
#include <cuda_fp16.h>

#define DT_F32 0
#define DT_F16 1
#define DT_BF16 2

typedef long long ll;

__device__ __forceinline__ float ld(const void* p, int dt, ll i) {
    if (dt == DT_F32) return ((const float*)p)[i];
    unsigned short h = ((const unsigned short*)p)[i];
    if (dt == DT_F16) return __half2float(__ushort_as_half(h));
    return __uint_as_float(((unsigned)h) << 16);
}

__device__ __forceinline__ void st(void* p, int dt, ll i, float v) {
    if (dt == DT_F32) {
        ((float*)p)[i] = v;
        return;
    }
    unsigned short h;
    if (dt == DT_F16) {
        h = __half_as_ushort(__float2half_rn(v));
    } else {
        unsigned u = __float_as_uint(v);
        if ((u & 0x7fffffffu) > 0x7f800000u) h = (unsigned short)((u >> 16) | 0x40); // quiet NaN
        else h = (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
    ((unsigned short*)p)[i] = h;
}

// ld_bf16_rounded is v rounded to bf16 (as st stores it), widened back.
__device__ __forceinline__ float ld_bf16_rounded(float v) {
    unsigned u = __float_as_uint(v);
    return __uint_as_float(((u + 0x7fffu + ((u >> 16) & 1u)) >> 16) << 16);
}

// acc adds v to element i (the accumulate-into-gradient convention).
__device__ __forceinline__ void acc(void* p, int dt, ll i, float v) { st(p, dt, i, ld(p, dt, i) + v); }

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// block_reduce reduces over the whole block (blockDim.x a multiple of 32,
// at most 1024) and returns the result to every thread. Each instance has
// its own shared array; the leading __syncthreads lets a block call it
// twice in a row.
template <bool MAX>
__device__ __forceinline__ float block_reduce(float v) {
    __shared__ float s[32];
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = MAX ? warp_max(v) : warp_sum(v);
    __syncthreads();
    if (lane == 0) s[w] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : (MAX ? -INFINITY : 0.f);
    return MAX ? warp_max(v) : warp_sum(v);
}

__device__ __forceinline__ float block_sum(float v) { return block_reduce<false>(v); }
__device__ __forceinline__ float block_max(float v) { return block_reduce<true>(v); }

#define GRID_STRIDE(i, n) for (ll i = (ll)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (ll)blockDim.x * gridDim.x)
