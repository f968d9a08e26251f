#!/usr/bin/env bash
# abi-check.sh: check driver.go's hand-written CUDA driver and cuBLAS
# declarations against the real headers (cuda.h, cublas_v2.h from
# nvidia-cuda-dev): that each symbol name is what the header maps the API
# name to (the _v2 versions), that the prototypes match (function pointers
# of driver.go's shapes are initialised from the header's functions with
# -Werror), and that the enum values driver.go hard-codes are right.
# kernels-check.sh runs it with the cached toolkit's headers.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -n '/^typedef struct {$/,/^} dc_memcpy2d;$/p' "$(dirname "$0")/driver.go" > "$tmp/dc_memcpy2d.h"
grep -q dc_memcpy2d "$tmp/dc_memcpy2d.h" || { echo "abi-check: no dc_memcpy2d struct in driver.go" >&2; exit 1; }
cat > "$tmp/abi.c" <<'C'
#include <cuda.h>
#include <cublas_v2.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#define STR(x) #x
#define XSTR(x) STR(x)
static int bad;
#define NAME(api, want) if (strcmp(XSTR(api), want)) { printf("%s maps to %s, driver.go uses %s\n", #api, XSTR(api), want); bad = 1; }
#define VAL(c, v) if ((long long)(c) != (v)) { printf("%s = %lld, driver.go uses %lld\n", #c, (long long)(c), (long long)(v)); bad = 1; }

CUresult (*p_cuDeviceTotalMem)(size_t*, CUdevice) = cuDeviceTotalMem;
CUresult (*p_cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice) = cuDevicePrimaryCtxRetain;
CUresult (*p_cuModuleLoadDataEx)(CUmodule*, const void*, unsigned, CUjit_option*, void**) = cuModuleLoadDataEx;
CUresult (*p_cuModuleGetFunction)(CUfunction*, CUmodule, const char*) = cuModuleGetFunction;
CUresult (*p_cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             CUstream, void**, void**) = cuLaunchKernel;
CUresult (*p_cuMemAlloc)(CUdeviceptr*, size_t) = cuMemAlloc;
CUresult (*p_cuMemFree)(CUdeviceptr) = cuMemFree;
CUresult (*p_cuMemAllocHost)(void**, size_t) = cuMemAllocHost;
CUresult (*p_cuMemcpyHtoDAsync)(CUdeviceptr, const void*, size_t, CUstream) = cuMemcpyHtoDAsync;
CUresult (*p_cuMemcpyDtoHAsync)(void*, CUdeviceptr, size_t, CUstream) = cuMemcpyDtoHAsync;
CUresult (*p_cuMemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream) = cuMemcpyDtoDAsync;
CUresult (*p_cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream) = cuMemsetD8Async;
CUresult (*p_cuMemcpy2DAsync)(const CUDA_MEMCPY2D*, CUstream) = cuMemcpy2DAsync;
// driver.go's dc_memcpy2d (extracted from it), which must have
// CUDA_MEMCPY2D's layout.
#include "dc_memcpy2d.h"
#define OFF(f) VAL(offsetof(CUDA_MEMCPY2D, f), offsetof(dc_memcpy2d, f))
CUresult (*p_cuStreamCreate)(CUstream*, unsigned) = cuStreamCreate;
CUresult (*p_cuStreamDestroy)(CUstream) = cuStreamDestroy;
CUresult (*p_cuModuleUnload)(CUmodule) = cuModuleUnload;
CUresult (*p_cuMemFreeHost)(void*) = cuMemFreeHost;
CUresult (*p_cuDevicePrimaryCtxRelease)(CUdevice) = cuDevicePrimaryCtxRelease;
CUresult (*p_cuMemGetInfo)(size_t*, size_t*) = cuMemGetInfo;
CUresult (*p_cuGetErrorString)(CUresult, const char**) = cuGetErrorString;
cublasStatus_t (*p_cublasCreate)(cublasHandle_t*) = cublasCreate;
cublasStatus_t (*p_cublasDestroy)(cublasHandle_t) = cublasDestroy;
cublasStatus_t (*p_cublasSetStream)(cublasHandle_t, cudaStream_t) = cublasSetStream;
cublasStatus_t (*p_gemm)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
    const void*, cudaDataType, int, long long, const void*, cudaDataType, int, long long, const void*, void*,
    cudaDataType, int, long long, int, cublasComputeType_t, cublasGemmAlgo_t) = cublasGemmStridedBatchedEx;

int main(void) {
    NAME(cuDeviceTotalMem, "cuDeviceTotalMem_v2");
    NAME(cuMemAlloc, "cuMemAlloc_v2");
    NAME(cuMemFree, "cuMemFree_v2");
    NAME(cuMemAllocHost, "cuMemAllocHost_v2");
    NAME(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
    NAME(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
    NAME(cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2");
    NAME(cuMemsetD8Async, "cuMemsetD8Async");
    NAME(cuMemcpy2DAsync, "cuMemcpy2DAsync_v2");
    VAL(CU_MEMORYTYPE_DEVICE, 2);
    VAL(sizeof(CUmemorytype), sizeof(int));
    VAL(sizeof(CUDA_MEMCPY2D), sizeof(dc_memcpy2d));
    OFF(srcXInBytes); OFF(srcY); OFF(srcMemoryType); OFF(srcHost); OFF(srcDevice); OFF(srcArray); OFF(srcPitch);
    OFF(dstXInBytes); OFF(dstY); OFF(dstMemoryType); OFF(dstHost); OFF(dstDevice); OFF(dstArray); OFF(dstPitch);
    OFF(WidthInBytes); OFF(Height);
    NAME(cuMemGetInfo, "cuMemGetInfo_v2");
    NAME(cuLaunchKernel, "cuLaunchKernel");
    NAME(cuStreamCreate, "cuStreamCreate");
    NAME(cuStreamSynchronize, "cuStreamSynchronize");
    NAME(cuModuleLoadDataEx, "cuModuleLoadDataEx");
    VAL(CU_JIT_ERROR_LOG_BUFFER, 5);
    VAL(CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, 6);
    VAL(sizeof(CUjit_option), sizeof(int));
    NAME(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    NAME(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
    NAME(cuStreamDestroy, "cuStreamDestroy_v2");
    NAME(cuModuleUnload, "cuModuleUnload");
    NAME(cuMemFreeHost, "cuMemFreeHost");
    NAME(cublasDestroy, "cublasDestroy_v2");
    NAME(cuCtxSetCurrent, "cuCtxSetCurrent");
    NAME(cublasCreate, "cublasCreate_v2");
    NAME(cublasSetStream, "cublasSetStream_v2");
    VAL(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 75);
    VAL(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 76);
    VAL(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 16);
    VAL(CU_STREAM_NON_BLOCKING, 1);
    VAL(CUDA_ERROR_OUT_OF_MEMORY, 2);
    VAL(CUDA_R_32F, 0);
    VAL(CUDA_R_16F, 2);
    VAL(CUDA_R_16BF, 14);
    VAL(CUBLAS_OP_N, 0);
    VAL(CUBLAS_OP_T, 1);
    VAL(CUBLAS_COMPUTE_32F, 68);
    VAL(CUBLAS_GEMM_DEFAULT, -1);
    VAL(sizeof(CUresult), sizeof(int));
    VAL(sizeof(CUdeviceptr), 8);
    VAL(sizeof(cudaDataType), sizeof(int));
    VAL(sizeof(cublasComputeType_t), sizeof(int));
    VAL(sizeof(cublasGemmAlgo_t), sizeof(int));
    if (!bad) printf("abi-check: driver.go's declarations match cuda.h %d and cublas_v2.h\n", CUDA_VERSION);
    return bad;
}
C
# The headers of an installed toolkit, else of the one fetch-toolkit.sh
# caches. Nothing is called, so the program links without the libraries.
inc=""
for d in /usr/local/cuda/include /usr/include "${CUDA_CACHE:-$HOME/.cache/distill/cuda}/root/usr/include"; do
  [ -f "$d/cuda.h" ] && { inc="-I$d"; break; }
done
[ -n "$inc" ] || { echo "abi-check: no cuda.h (install nvidia-cuda-dev or run fetch-toolkit.sh)" >&2; exit 1; }
cc -std=c11 -Wall -Werror $inc -I"$tmp" -o "$tmp/abi" "$tmp/abi.c" -Wl,--unresolved-symbols=ignore-all
"$tmp/abi"
