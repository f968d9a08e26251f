//go:build cuda

package cuda

// The CUDA driver API and cuBLAS, bound by hand and loaded with dlopen at
// Open time. Nothing here runs at process start, so a cuda-tagged binary
// on a machine without a GPU, driver or cuBLAS starts normally and Open
// returns an error naming what is missing (gorgonia.org/cu's init() calls
// cuInit and exits the process instead). No CUDA header or library is
// needed to build: the few types and constants used are declared below,
// with the versioned symbol names (cuMemAlloc_v2, ...) the headers would
// map to; abi-check.sh checks the declarations against cuda.h/cublas_v2.h.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>

typedef int CUresult;
typedef int CUdevice;
typedef void* CUcontext;
typedef void* CUmodule;
typedef void* CUfunction;
typedef void* CUstream;
typedef unsigned long long CUdeviceptr;
typedef int cublasStatus_t;
typedef void* cublasHandle_t;

// dc_memcpy2d is cuda.h's CUDA_MEMCPY2D (field for field; abi-check.sh
// compares the offsets). Memory type 2 is CU_MEMORYTYPE_DEVICE.
typedef struct {
    size_t srcXInBytes, srcY;
    int srcMemoryType;
    const void* srcHost;
    CUdeviceptr srcDevice;
    void* srcArray;
    size_t srcPitch;
    size_t dstXInBytes, dstY;
    int dstMemoryType;
    void* dstHost;
    CUdeviceptr dstDevice;
    void* dstArray;
    size_t dstPitch;
    size_t WidthInBytes, Height;
} dc_memcpy2d;

static CUresult (*p_cuInit)(unsigned);
static CUresult (*p_cuDriverGetVersion)(int*);
static CUresult (*p_cuDeviceGetCount)(int*);
static CUresult (*p_cuDeviceGet)(CUdevice*, int);
static CUresult (*p_cuDeviceGetName)(char*, int, CUdevice);
static CUresult (*p_cuDeviceGetAttribute)(int*, int, CUdevice);
static CUresult (*p_cuDeviceTotalMem)(size_t*, CUdevice);
static CUresult (*p_cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice);
static CUresult (*p_cuCtxSetCurrent)(CUcontext);
static CUresult (*p_cuModuleLoadDataEx)(CUmodule*, const void*, unsigned, int*, void**);
static CUresult (*p_cuModuleGetFunction)(CUfunction*, CUmodule, const char*);
static CUresult (*p_cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                                    unsigned, CUstream, void**, void**);
static CUresult (*p_cuMemAlloc)(CUdeviceptr*, size_t);
static CUresult (*p_cuMemFree)(CUdeviceptr);
static CUresult (*p_cuMemAllocHost)(void**, size_t);
static CUresult (*p_cuMemFreeHost)(void*);
static CUresult (*p_cuMemcpyHtoDAsync)(CUdeviceptr, const void*, size_t, CUstream);
static CUresult (*p_cuMemcpyDtoHAsync)(void*, CUdeviceptr, size_t, CUstream);
static CUresult (*p_cuMemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
static CUresult (*p_cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
static CUresult (*p_cuMemcpy2DAsync)(const dc_memcpy2d*, CUstream);
static CUresult (*p_cuStreamCreate)(CUstream*, unsigned);
static CUresult (*p_cuStreamSynchronize)(CUstream);
static CUresult (*p_cuGetErrorString)(CUresult, const char**);
static CUresult (*p_cuMemGetInfo)(size_t*, size_t*);
static CUresult (*p_cuDevicePrimaryCtxRelease)(CUdevice);
static CUresult (*p_cuStreamDestroy)(CUstream);
static CUresult (*p_cuModuleUnload)(CUmodule);

static cublasStatus_t (*p_cublasCreate)(cublasHandle_t*);
static cublasStatus_t (*p_cublasDestroy)(cublasHandle_t);
static cublasStatus_t (*p_cublasSetStream)(cublasHandle_t, CUstream);
static cublasStatus_t (*p_cublasGemmStridedBatchedEx)(cublasHandle_t, int, int, int, int, int, const void*,
    const void*, int, int, long long, const void*, int, int, long long, const void*, void*, int, int, long long,
    int, int, int);

static char dc_err[512];

#define SYM(lib, var, name) do { *(void**)(&var) = dlsym(lib, name); \
    if (!var) { snprintf(dc_err, sizeof dc_err, "symbol %s not found", name); return dc_err; } } while (0)

// The library handles. The loading functions below are not thread-safe:
// the Go side calls them under loadMu.
static void* driver_lib;
static void* cublas_lib;

// dc_load_driver dlopens libcuda and resolves the driver entry points; it
// returns NULL or a message.
static const char* dc_load_driver(void) {
    if (driver_lib) return NULL;
    void* h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (!h) h = dlopen("libcuda.so", RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        const char* e = dlerror();
        snprintf(dc_err, sizeof dc_err, "%s", e ? e : "dlopen libcuda.so.1 failed");
        return dc_err;
    }
    SYM(h, p_cuInit, "cuInit");
    SYM(h, p_cuDriverGetVersion, "cuDriverGetVersion");
    SYM(h, p_cuDeviceGetCount, "cuDeviceGetCount");
    SYM(h, p_cuDeviceGet, "cuDeviceGet");
    SYM(h, p_cuDeviceGetName, "cuDeviceGetName");
    SYM(h, p_cuDeviceGetAttribute, "cuDeviceGetAttribute");
    SYM(h, p_cuDeviceTotalMem, "cuDeviceTotalMem_v2");
    SYM(h, p_cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    SYM(h, p_cuCtxSetCurrent, "cuCtxSetCurrent");
    SYM(h, p_cuModuleLoadDataEx, "cuModuleLoadDataEx");
    SYM(h, p_cuModuleGetFunction, "cuModuleGetFunction");
    SYM(h, p_cuLaunchKernel, "cuLaunchKernel");
    SYM(h, p_cuMemAlloc, "cuMemAlloc_v2");
    SYM(h, p_cuMemFree, "cuMemFree_v2");
    SYM(h, p_cuMemAllocHost, "cuMemAllocHost_v2");
    SYM(h, p_cuMemFreeHost, "cuMemFreeHost");
    SYM(h, p_cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
    SYM(h, p_cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
    SYM(h, p_cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2");
    SYM(h, p_cuMemsetD8Async, "cuMemsetD8Async");
    SYM(h, p_cuMemcpy2DAsync, "cuMemcpy2DAsync_v2");
    SYM(h, p_cuStreamCreate, "cuStreamCreate");
    SYM(h, p_cuStreamSynchronize, "cuStreamSynchronize");
    SYM(h, p_cuGetErrorString, "cuGetErrorString");
    SYM(h, p_cuMemGetInfo, "cuMemGetInfo_v2");
    SYM(h, p_cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
    SYM(h, p_cuStreamDestroy, "cuStreamDestroy_v2");
    SYM(h, p_cuModuleUnload, "cuModuleUnload");
    driver_lib = h;
    return NULL;
}

// dc_open_cublas dlopens one cuBLAS candidate and resolves its entry points
// (NULL or a message); dc_close_cublas undoes it when the candidate turns
// out unusable (cublasCreate fails: a cuBLAS newer than the driver).
static const char* dc_open_cublas(const char* name) {
    void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* e = dlerror();
        snprintf(dc_err, sizeof dc_err, "%s", e ? e : "dlopen failed");
        return dc_err;
    }
    cublas_lib = h;
    SYM(h, p_cublasCreate, "cublasCreate_v2");
    SYM(h, p_cublasDestroy, "cublasDestroy_v2");
    SYM(h, p_cublasSetStream, "cublasSetStream_v2");
    SYM(h, p_cublasGemmStridedBatchedEx, "cublasGemmStridedBatchedEx");
    return NULL;
}
static void dc_close_cublas(void) {
    if (cublas_lib) dlclose(cublas_lib);
    cublas_lib = NULL;
    p_cublasCreate = NULL;
}

// dc_live_objects is the CPU emulator's count of live driver objects
// (kernels/cuda/emu), -1 with a real driver.
static long dc_live_objects(void) {
    long (*f)(void) = driver_lib ? (long (*)(void))dlsym(driver_lib, "emu_live_objects") : NULL;
    return f ? f() : -1;
}

// Every call first makes the backend's context current on the calling OS
// thread: goroutines move between threads, and the call is cheap.
#define CTX(c) do { CUresult r_ = p_cuCtxSetCurrent(c); if (r_) return r_; } while (0)

static CUresult dc_init(void) { return p_cuInit(0); }
static CUresult dc_driver_version(int* v) { return p_cuDriverGetVersion(v); }
static CUresult dc_device_count(int* n) { return p_cuDeviceGetCount(n); }
static CUresult dc_device(int ord, CUdevice* d, char* name, int nlen, int* major, int* minor, int* sms, size_t* mem) {
    CUresult r = p_cuDeviceGet(d, ord);
    if (!r) r = p_cuDeviceGetName(name, nlen, *d);
    if (!r) r = p_cuDeviceGetAttribute(major, 75, *d); // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
    if (!r) r = p_cuDeviceGetAttribute(minor, 76, *d); // ..._MINOR
    if (!r) r = p_cuDeviceGetAttribute(sms, 16, *d);   // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
    if (!r) r = p_cuDeviceTotalMem(mem, *d);
    return r;
}
static CUresult dc_primary_ctx(CUdevice d, CUcontext* c) { return p_cuDevicePrimaryCtxRetain(c, d); }
static CUresult dc_stream(CUcontext c, CUstream* s) { CTX(c); return p_cuStreamCreate(s, 1); } // CU_STREAM_NON_BLOCKING
// dc_module JIT-compiles a PTX image; on failure log holds ptxas's errors.
static CUresult dc_module(CUcontext c, CUmodule* m, const char* image, char* log, size_t nlog) {
    CTX(c);
    int opts[2] = {5, 6}; // CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
    void* vals[2] = {log, (void*)nlog};
    log[0] = 0;
    return p_cuModuleLoadDataEx(m, image, 2, opts, vals);
}
static CUresult dc_function(CUcontext c, CUfunction* f, CUmodule m, const char* name) {
    CTX(c);
    return p_cuModuleGetFunction(f, m, name);
}
static CUresult dc_malloc(CUcontext c, CUdeviceptr* p, size_t n) { CTX(c); return p_cuMemAlloc(p, n); }
static CUresult dc_free(CUcontext c, CUdeviceptr p) { CTX(c); return p_cuMemFree(p); }
static CUresult dc_malloc_host(CUcontext c, void** p, size_t n) { CTX(c); return p_cuMemAllocHost(p, n); }
static CUresult dc_htod(CUcontext c, CUdeviceptr dst, const void* src, size_t n, CUstream s) {
    CTX(c);
    return p_cuMemcpyHtoDAsync(dst, src, n, s);
}
static CUresult dc_dtoh(CUcontext c, void* dst, CUdeviceptr src, size_t n, CUstream s) {
    CTX(c);
    return p_cuMemcpyDtoHAsync(dst, src, n, s);
}
static CUresult dc_dtod(CUcontext c, CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
    CTX(c);
    return p_cuMemcpyDtoDAsync(dst, src, n, s);
}
// dc_dtod2d copies height rows of width bytes from src to dst, rows
// spaced spitch and dpitch bytes apart (device to device).
static CUresult dc_dtod2d(CUcontext c, CUdeviceptr dst, size_t dpitch, CUdeviceptr src, size_t spitch, size_t width,
                          size_t height, CUstream s) {
    CTX(c);
    dc_memcpy2d m = {0};
    m.srcMemoryType = 2;
    m.srcDevice = src;
    m.srcPitch = spitch;
    m.dstMemoryType = 2;
    m.dstDevice = dst;
    m.dstPitch = dpitch;
    m.WidthInBytes = width;
    m.Height = height;
    return p_cuMemcpy2DAsync(&m, s);
}
static CUresult dc_memset0(CUcontext c, CUdeviceptr p, size_t n, CUstream s) { CTX(c); return p_cuMemsetD8Async(p, 0, n, s); }
static CUresult dc_sync(CUcontext c, CUstream s) { CTX(c); return p_cuStreamSynchronize(s); }
static CUresult dc_mem_info(CUcontext c, size_t* free, size_t* total) { CTX(c); return p_cuMemGetInfo(free, total); }
static const char* dc_error_string(CUresult r) {
    const char* s = NULL;
    if (p_cuGetErrorString) p_cuGetErrorString(r, &s);
    return s ? s : "unknown CUDA error";
}

// dc_launch passes each argument from its own 8-byte slot: the driver
// reads as many bytes as the kernel's parameter has (4 for int/float, 8 for
// pointers and long long), little-endian, so one slot layout fits all.
static CUresult dc_launch(CUcontext c, CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned shmem,
                          CUstream s, unsigned long long* args, int nargs) {
    void* params[32];
    for (int i = 0; i < nargs && i < 32; i++) params[i] = &args[i];
    CTX(c);
    return p_cuLaunchKernel(f, gx, gy, gz, bx, 1, 1, shmem, s, params, NULL);
}

static cublasStatus_t dc_cublas_create(CUcontext c, cublasHandle_t* h, CUstream s) {
    CUresult cr = p_cuCtxSetCurrent(c);
    if (cr) return 1000 + cr;
    cublasStatus_t r = p_cublasCreate(h);
    if (r) {
        *h = NULL;
        return r;
    }
    r = p_cublasSetStream(*h, s);
    if (r) {
        p_cublasDestroy(*h);
        *h = NULL;
    }
    return r;
}
static void dc_cublas_destroy(CUcontext c, cublasHandle_t h) {
    p_cuCtxSetCurrent(c);
    p_cublasDestroy(h);
}
static CUresult dc_stream_destroy(CUcontext c, CUstream s) { CTX(c); return p_cuStreamDestroy(s); }
static CUresult dc_module_unload(CUcontext c, CUmodule m) { CTX(c); return p_cuModuleUnload(m); }
static CUresult dc_primary_ctx_release(CUdevice d) { return p_cuDevicePrimaryCtxRelease(d); }
static CUresult dc_free_host(CUcontext c, void* p) { CTX(c); return p_cuMemFreeHost(p); }

// dc_gemm is cublasGemmStridedBatchedEx with float alpha/beta (compute type
// CUBLAS_COMPUTE_32F, default algorithm: tensor cores for 16-bit inputs).
static cublasStatus_t dc_gemm(CUcontext c, cublasHandle_t h, int ta, int tb, int m, int n, int k, float alpha,
                              CUdeviceptr A, int at, int lda, long long sa, CUdeviceptr B, int bt, int ldb,
                              long long sb, float beta, CUdeviceptr C, int ct, int ldc, long long sc, int batch) {
    CUresult r = p_cuCtxSetCurrent(c);
    if (r) return 1000 + r;
    return p_cublasGemmStridedBatchedEx(h, ta, tb, m, n, k, &alpha, (const void*)A, at, lda, sa, (const void*)B, bt,
                                        ldb, sb, &beta, (void*)C, ct, ldc, sc, batch, 68, -1);
}
*/
import "C"

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"unsafe"
)

// cuResult is a CUDA driver error code.
type cuResult C.CUresult

func (r cuResult) Error() string {
	return fmt.Sprintf("CUDA error %d (%s)", int(r), C.GoString(C.dc_error_string(C.CUresult(r))))
}

const cudaErrorOutOfMemory = 2

// check turns a driver result into an error.
func check(r C.CUresult) error {
	if r == 0 {
		return nil
	}
	return cuResult(r)
}

// cuBLAS data types (cudaDataType) and operations.
const (
	cudaR32F  = 0
	cudaR16F  = 2
	cudaR16BF = 14
	opN       = 0
	opT       = 1
)

// loadMu guards the package's dlopen state (the C statics above: library
// handles and entry points) and makes Open's loading phase one at a time.
var loadMu sync.Mutex

// cublasName is the cuBLAS that worked for the first backend opened; later
// backends use it too (its entry points are process-wide). Guarded by loadMu.
var cublasName string

// loadDriver dlopens libcuda and calls cuInit. Callers hold loadMu.
func loadDriver() error {
	if msg := C.dc_load_driver(); msg != nil {
		return fmt.Errorf("cannot load the NVIDIA driver library libcuda.so.1 (is the NVIDIA driver installed?): %s", C.GoString(msg))
	}
	if err := check(C.dc_init()); err != nil {
		return fmt.Errorf("cuInit: %w", err)
	}
	return nil
}

// cublasCandidates are the cuBLAS libraries Open tries, in order:
// $DISTILL_CUBLAS (a path to libcublas.so.N, e.g. inside a Python
// nvidia-cublas wheel), then the sonames the dynamic loader may find,
// newest first.
func cublasCandidates() []string {
	names := []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"}
	if p := os.Getenv("DISTILL_CUBLAS"); p != "" {
		names = append([]string{p}, names...)
	}
	return names
}

// createCUBLAS makes a cuBLAS handle bound to c's stream. The first call
// tries each candidate until one loads and its cublasCreate succeeds (a
// cuBLAS newer than the driver loads but fails there, and an older one may
// still work); later calls use the one found. Callers hold loadMu.
func (c *driverCtx) createCUBLAS() error {
	if cublasName != "" {
		if r := C.dc_cublas_create(c.ctx, &c.blas, c.stream); r != 0 {
			return fmt.Errorf("cublasCreate (%s): status %d", cublasName, int(r))
		}
		return nil
	}
	var tried []string
	for _, name := range cublasCandidates() {
		cs := C.CString(name)
		msg := C.dc_open_cublas(cs)
		C.free(unsafe.Pointer(cs))
		if msg != nil {
			tried = append(tried, fmt.Sprintf("%s: %s", name, C.GoString(msg)))
			C.dc_close_cublas()
			continue
		}
		if r := C.dc_cublas_create(c.ctx, &c.blas, c.stream); r != 0 {
			tried = append(tried, fmt.Sprintf("%s: cublasCreate status %d", name, int(r)))
			C.dc_close_cublas()
			continue
		}
		cublasName = name
		return nil
	}
	return fmt.Errorf("no usable cuBLAS (install the CUDA toolkit's libcublas matching the driver, or set DISTILL_CUBLAS to its path): %s",
		strings.Join(tried, "; "))
}

// driverLiveObjects is the CPU emulator's count of live driver objects
// (allocations, modules, streams, context retains, cuBLAS handles), for
// tests of Close; -1 with a real driver.
func driverLiveObjects() int { return int(C.dc_live_objects()) }

// deviceInfo describes one GPU.
type deviceInfo struct {
	dev          C.CUdevice
	name         string
	major, minor int
	sms          int
	mem          int64
}

func deviceCount() (int, error) {
	var n C.int
	if err := check(C.dc_device_count(&n)); err != nil {
		return 0, err
	}
	return int(n), nil
}

func driverVersion() int {
	var v C.int
	C.dc_driver_version(&v)
	return int(v)
}

func getDevice(ord int) (deviceInfo, error) {
	var d deviceInfo
	var name [256]C.char
	var major, minor, sms C.int
	var mem C.size_t
	if err := check(C.dc_device(C.int(ord), &d.dev, &name[0], C.int(len(name)), &major, &minor, &sms, &mem)); err != nil {
		return d, err
	}
	d.name = C.GoString(&name[0])
	d.major, d.minor, d.sms, d.mem = int(major), int(minor), int(sms), int64(mem)
	return d, nil
}

// devPtr is a device address.
type devPtr = uint64

// driverCtx is the per-backend context and stream every call runs on.
type driverCtx struct {
	dev      C.CUdevice
	ctx      C.CUcontext
	retained bool // ctx is a retained primary context
	stream   C.CUstream
	blas     C.cublasHandle_t
}

// newDriverCtx retains d's primary context and makes a stream and a cuBLAS
// handle on it; on failure it releases what it made. Callers hold loadMu.
func newDriverCtx(d deviceInfo) (*driverCtx, error) {
	c := &driverCtx{dev: d.dev}
	if err := check(C.dc_primary_ctx(d.dev, &c.ctx)); err != nil {
		return nil, fmt.Errorf("retaining the primary context: %w", err)
	}
	c.retained = true
	if err := check(C.dc_stream(c.ctx, &c.stream)); err != nil {
		c.close()
		return nil, fmt.Errorf("creating a stream: %w", err)
	}
	if err := c.createCUBLAS(); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// close destroys the cuBLAS handle and the stream and releases the
// primary context, each if made; it is idempotent.
func (c *driverCtx) close() {
	if c.blas != nil {
		C.dc_cublas_destroy(c.ctx, c.blas)
		c.blas = nil
	}
	if c.stream != nil {
		_ = check(C.dc_stream_destroy(c.ctx, c.stream))
		c.stream = nil
	}
	if c.retained {
		_ = check(C.dc_primary_ctx_release(c.dev))
		c.retained = false
	}
}

func (c *driverCtx) unloadModule(m C.CUmodule) error { return check(C.dc_module_unload(c.ctx, m)) }

func (c *driverCtx) freeHost(p unsafe.Pointer) error { return check(C.dc_free_host(c.ctx, p)) }

func (c *driverCtx) loadModule(image []byte) (C.CUmodule, error) {
	cs := C.CString(string(image)) // NUL-terminated PTX text
	defer C.free(unsafe.Pointer(cs))
	var m C.CUmodule
	var log [4096]C.char
	if err := check(C.dc_module(c.ctx, &m, cs, &log[0], C.size_t(len(log)))); err != nil {
		if msg := C.GoString(&log[0]); msg != "" {
			return m, fmt.Errorf("%w: %s", err, msg)
		}
		return m, err
	}
	return m, nil
}

func (c *driverCtx) function(m C.CUmodule, name string) (C.CUfunction, error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var f C.CUfunction
	return f, check(C.dc_function(c.ctx, &f, m, cs))
}

func (c *driverCtx) malloc(n int) (devPtr, error) {
	var p C.CUdeviceptr
	err := check(C.dc_malloc(c.ctx, &p, C.size_t(n)))
	return devPtr(p), err
}

func (c *driverCtx) free(p devPtr) error { return check(C.dc_free(c.ctx, C.CUdeviceptr(p))) }

func (c *driverCtx) mallocHost(n int) (unsafe.Pointer, error) {
	var p unsafe.Pointer
	err := check(C.dc_malloc_host(c.ctx, &p, C.size_t(n)))
	return p, err
}

func (c *driverCtx) htod(dst devPtr, src unsafe.Pointer, n int) error {
	return check(C.dc_htod(c.ctx, C.CUdeviceptr(dst), src, C.size_t(n), c.stream))
}

func (c *driverCtx) dtoh(dst unsafe.Pointer, src devPtr, n int) error {
	return check(C.dc_dtoh(c.ctx, dst, C.CUdeviceptr(src), C.size_t(n), c.stream))
}

func (c *driverCtx) dtod(dst, src devPtr, n int) error {
	return check(C.dc_dtod(c.ctx, C.CUdeviceptr(dst), C.CUdeviceptr(src), C.size_t(n), c.stream))
}

// dtod2d copies height rows of width bytes, the rows of dst dpitch bytes
// apart and those of src spitch bytes apart (cuMemcpy2DAsync).
func (c *driverCtx) dtod2d(dst devPtr, dpitch int, src devPtr, spitch, width, height int) error {
	return check(C.dc_dtod2d(c.ctx, C.CUdeviceptr(dst), C.size_t(dpitch), C.CUdeviceptr(src), C.size_t(spitch),
		C.size_t(width), C.size_t(height), c.stream))
}

func (c *driverCtx) memset0(p devPtr, n int) error {
	return check(C.dc_memset0(c.ctx, C.CUdeviceptr(p), C.size_t(n), c.stream))
}

func (c *driverCtx) sync() error { return check(C.dc_sync(c.ctx, c.stream)) }

func (c *driverCtx) memInfo() (free, total int64) {
	var f, t C.size_t
	C.dc_mem_info(c.ctx, &f, &t)
	return int64(f), int64(t)
}

func (c *driverCtx) launch(f C.CUfunction, gx, gy, gz, bx, shmem int, args []uint64) error {
	if len(args) > 32 {
		panic("kernels/cuda: more than 32 kernel arguments")
	}
	var p *C.ulonglong
	if len(args) > 0 {
		p = (*C.ulonglong)(unsafe.Pointer(&args[0]))
	}
	return check(C.dc_launch(c.ctx, f, C.uint(gx), C.uint(gy), C.uint(gz), C.uint(bx), C.uint(shmem), c.stream, p, C.int(len(args))))
}

// gemm calls cublasGemmStridedBatchedEx (column-major, as cuBLAS sees it).
func (c *driverCtx) gemm(ta, tb, m, n, k int, alpha float32, a devPtr, at, lda int, sa int64,
	b devPtr, bt, ldb int, sb int64, beta float32, cp devPtr, ct, ldc int, sc int64, batch int) error {
	r := C.dc_gemm(c.ctx, c.blas, C.int(ta), C.int(tb), C.int(m), C.int(n), C.int(k), C.float(alpha),
		C.CUdeviceptr(a), C.int(at), C.int(lda), C.longlong(sa), C.CUdeviceptr(b), C.int(bt), C.int(ldb), C.longlong(sb),
		C.float(beta), C.CUdeviceptr(cp), C.int(ct), C.int(ldc), C.longlong(sc), C.int(batch))
	if r != 0 {
		return fmt.Errorf("cublasGemmStridedBatchedEx: status %d", int(r))
	}
	return nil
}

// moduleRef and funcRef carry driver handles to files without cgo.
type moduleRef struct {
	name string
	mod  C.CUmodule
}

type funcRef struct{ fn C.CUfunction }
