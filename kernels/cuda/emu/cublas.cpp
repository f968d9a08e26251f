// cublas.cpp: a reference cuBLAS for the emulator: cublasCreate_v2,
// cublasDestroy_v2, cublasSetStream_v2 and cublasGemmStridedBatchedEx
// (column-major, float64 sums), with the documented argument checks:
// lda >= max(1, transa == N ? m : k), ldb >= max(1, transb == N ? k : n),
// ldc >= max(1, m), compute type CUBLAS_COMPUTE_32F and its type table.
// C is not read when beta == 0. Built twice by build.sh: as
// libcublas.so.12, and with EMU_CREATE_FAILS as libcublas.so.13 whose
// cublasCreate fails, as a cuBLAS newer than the driver does.
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <algorithm>

extern "C" void emu_count_object(int d); // driver.cpp (libcuda.so.1)

enum { R32F = 0, R16F = 2, R16BF = 14, COMPUTE_32F = 68 };
enum { OK = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7, NOT_SUPPORTED = 15 };

static float load(const void* p, int t, long long i) {
    if (t == R32F) return ((const float*)p)[i];
    uint16_t h = ((const uint16_t*)p)[i];
    if (t == R16F) {
        _Float16 f;
        memcpy(&f, &h, 2);
        return (float)f;
    }
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void store(void* p, int t, long long i, float v) {
    if (t == R32F) {
        ((float*)p)[i] = v;
        return;
    }
    uint16_t h;
    if (t == R16F) {
        _Float16 f = (_Float16)v;
        memcpy(&h, &f, 2);
    } else {
        uint32_t u;
        memcpy(&u, &v, 4);
        if ((u & 0x7fffffffu) > 0x7f800000u) h = (uint16_t)((u >> 16) | 0x40);
        else h = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
    ((uint16_t*)p)[i] = h;
}

extern "C" {
int cublasCreate_v2(void** h) {
#ifdef EMU_CREATE_FAILS
    (void)h;
    return NOT_INITIALIZED;
#else
    *h = new int;
    emu_count_object(1);
    return OK;
#endif
}
int cublasDestroy_v2(void* h) {
    delete (int*)h;
    emu_count_object(-1);
    return OK;
}
int cublasSetStream_v2(void*, void*) { return OK; }
int cublasGemmStridedBatchedEx(void* h, int ta, int tb, int m, int n, int k, const void* alpha, const void* A, int at,
                               int lda, long long sa, const void* B, int bt, int ldb, long long sb, const void* beta,
                               void* C, int ct, int ldc, long long sc, int batch, int compute, int algo) {
    (void)algo;
    if (!h) return NOT_INITIALIZED;
    if (ta < 0 || ta > 2 || tb < 0 || tb > 2 || m < 0 || n < 0 || k < 0 || batch < 0) {
        fprintf(stderr, "EMU ERROR: cublasGemmStridedBatchedEx: invalid operation or size\n");
        return INVALID_VALUE;
    }
    if (lda < std::max(1, ta == 0 ? m : k) || ldb < std::max(1, tb == 0 ? k : n) || ldc < std::max(1, m)) {
        fprintf(stderr, "EMU ERROR: cublasGemmStridedBatchedEx: bad leading dimension m=%d n=%d k=%d lda=%d ldb=%d ldc=%d ta=%d tb=%d\n",
                m, n, k, lda, ldb, ldc, ta, tb);
        return INVALID_VALUE;
    }
    if (compute != COMPUTE_32F) {
        fprintf(stderr, "EMU ERROR: cublasGemmStridedBatchedEx: compute type %d\n", compute);
        return NOT_SUPPORTED;
    }
    bool ok = at == bt && ((at == R32F && ct == R32F) || (at == R16F && (ct == R16F || ct == R32F)) ||
                           (at == R16BF && (ct == R16BF || ct == R32F)));
    if (!ok) {
        fprintf(stderr, "EMU ERROR: cublasGemmStridedBatchedEx: unsupported types A=%d B=%d C=%d\n", at, bt, ct);
        return NOT_SUPPORTED;
    }
    const float al = *(const float*)alpha, be = *(const float*)beta;
    for (long long bi = 0; bi < batch; bi++)
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    float a = ta == 0 ? load(A, at, bi * sa + i + (long long)l * lda) : load(A, at, bi * sa + l + (long long)i * lda);
                    float b = tb == 0 ? load(B, bt, bi * sb + l + (long long)j * ldb) : load(B, bt, bi * sb + j + (long long)l * ldb);
                    s += (double)a * (double)b;
                }
                long long ci = bi * sc + i + (long long)j * ldc;
                float v = al * (float)s;
                if (be != 0.f) v += be * load(C, ct, ci);
                store(C, ct, ci, v);
            }
    return OK;
}
}
