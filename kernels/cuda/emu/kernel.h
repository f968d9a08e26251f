// kernel.h: what a .cu file of kernels/cuda needs to compile as host C++.
//
// Each GPU thread of a block is a fiber (its own stack, switched by
// emu_swap in driver.cpp) on the launching OS thread; __syncthreads and
// warp shuffles suspend the fiber until the scheduler has gathered the
// block (or the warp) there. Blocks run one at a time, so a kernel's
// function-static "__shared__" arrays behave as per-block shared memory;
// they live in one linker section that the driver poisons (0xFF bytes,
// NaN as float) before every block, as it does the dynamic shared memory.
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <algorithm>
#include <utility>
#include <vector>
using std::max;
using std::min;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static __attribute__((section("emu_shared")))

struct dim3 {
    unsigned x, y, z;
};

extern dim3 emu_blockIdx, emu_blockDim, emu_gridDim;
extern unsigned char* emu_dyn_smem;
dim3& emu_thread_idx();
#define threadIdx (emu_thread_idx())
#define blockIdx emu_blockIdx
#define blockDim emu_blockDim
#define gridDim emu_gridDim

void emu_syncthreads();
// emu_shfl exchanges v across the calling warp: mode 0 reads lane src,
// mode 1 lane (own lane ^ src). Every lane must take part (full mask).
uint64_t emu_shfl(uint64_t v, int src, int mode, unsigned mask);
inline void __syncthreads() { emu_syncthreads(); }

template <class T>
inline T emu_shfl_t(unsigned mask, T v, int src, int mode) {
    uint64_t u = 0;
    memcpy(&u, &v, sizeof v);
    u = emu_shfl(u, src, mode, mask);
    T r;
    memcpy(&r, &u, sizeof r);
    return r;
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int o) { return emu_shfl_t(mask, v, o, 1); }
template <class T>
inline T __shfl_sync(unsigned mask, T v, int src) { return emu_shfl_t(mask, v, src, 0); }

// Fibers never run at the same time, so atomics are plain read-modify-writes.
inline unsigned atomicOr(unsigned* p, unsigned v) { unsigned o = *p; *p = o | v; return o; }
inline int atomicAdd(int* p, int v) { int o = *p; *p = o + v; return o; }
inline float atomicAdd(float* p, float v) { float o = *p; *p = o + v; return o; }

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }

// cuda_fp16.h's few conversions, on the compiler's IEEE binary16.
typedef _Float16 __half;
inline float __half2float(__half h) { return (float)h; }
inline __half __float2half_rn(float f) { return (__half)f; }
inline __half __ushort_as_half(unsigned short u) { __half h; memcpy(&h, &u, 2); return h; }
inline unsigned short __half_as_ushort(__half h) { unsigned short u; memcpy(&u, &h, 2); return u; }

// Kernel registration: EMU_REG(k_name), appended to each generated .cpp by
// build.sh, records the kernel's host function, a caller that unpacks the
// driver's parameter array into its arguments, and the argument sizes
// (checked against the PTX .entry signature at cuModuleGetFunction).
typedef void (*EmuInvoker)(void* fn, void** params);
void emu_register(const char* name, void* fn, EmuInvoker inv, std::vector<int> sizes);
template <class... A, size_t... I>
void emu_call(void (*f)(A...), void** p, std::index_sequence<I...>) { f(*(A*)p[I]...); }
template <class... A>
void emu_invoke(void* fn, void** p) { emu_call((void (*)(A...))fn, p, std::index_sequence_for<A...>{}); }
template <class... A>
int emu_reg(const char* name, void (*f)(A...)) {
    emu_register(name, (void*)f, &emu_invoke<A...>, {(int)sizeof(A)...});
    return 0;
}
#define EMU_REG(k) static int emu_reg_##k = emu_reg(#k, k);
