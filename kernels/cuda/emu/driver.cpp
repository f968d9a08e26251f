// driver.cpp: a fake libcuda.so.1 for kernels/cuda's dlopen binding. It
// runs the host-compiled kernels (kernel.h) and checks what the real driver
// would reject or what would differ on a GPU:
//   - launch limits: grid x < 2^31, grid y/z <= 65535, 1..1024 threads in
//     x only, static + dynamic shared memory <= 48 KiB and registers x
//     threads <= 65536, with the static shared memory and register counts
//     ptxas reported (ptx/ptxas.txt, EMU_PTXAS);
//   - arguments: the parameter array holds one 8-byte slot per kernel
//     argument, and the PTX .entry parameter sizes equal the .cu signature;
//   - barriers: every thread of a block reaches the same __syncthreads and
//     every lane of a warp the same full-mask shuffle (divergence and
//     deadlock are reported, the launch fails);
//   - races: within a block, warps run greedily in EMU_ORDER order (fwd,
//     rev or rand:SEED) from barrier to barrier, and blocks in that order
//     too, so a missing barrier reads another warp's stale or unwritten
//     (NaN-poisoned) data;
//   - memory: cuMemAlloc fills with 0xFF (NaN), frees of unknown pointers
//     fail, EMU_DEVICE_MEM bounds the device's memory;
//   - lifetime: emu_live_objects() counts allocations, modules, streams,
//     context retains and cuBLAS handles, so tests can check Close;
//   - errors: EMU_FAIL=NAME:N makes the N-th call of driver function NAME
//     fail, for the error paths of Open.
// "EMU ERROR" lines on stderr say what failed. It cannot check the PTX JIT,
// the GPU memory model, exact GPU math or timing.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>
#include "kernel.h"

typedef int CUresult;
enum {
    CUDA_SUCCESS = 0, CUDA_ERROR_INVALID_VALUE = 1, CUDA_ERROR_OUT_OF_MEMORY = 2, CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101, CUDA_ERROR_INVALID_PTX = 218, CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701, CUDA_ERROR_LAUNCH_FAILED = 719,
};

dim3 emu_blockIdx, emu_blockDim, emu_gridDim;
unsigned char* emu_dyn_smem;
extern "C" char __start_emu_shared[] __attribute__((weak));
extern "C" char __stop_emu_shared[] __attribute__((weak));

// ---- fibers ----

// emu_swap saves the callee-saved registers and stack pointer of the
// running context in *from and resumes the one saved at to.
extern "C" void emu_swap(void** from, void* to);
asm(R"(
.text
.globl emu_swap
.type emu_swap,@function
emu_swap:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
)");

enum State { RUNNING, AT_SYNC, AT_SHFL, DONE };
struct Fiber {
    void* sp;
    dim3 tid;
    State state;
    uint64_t val;
    int src, mode;
    unsigned mask;
    char* stack;
};
static const size_t kStack = 128 << 10;
static std::vector<Fiber> fibers;
static Fiber* cur;
static void* sched_sp;

struct Kernel {
    std::string name;
    void* fn;
    EmuInvoker inv;
    std::vector<int> sizes;
};
static Kernel* cur_kernel;
static void** cur_params;

dim3& emu_thread_idx() { return cur->tid; }

static void report(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char* fmt, ...) {
    fprintf(stderr, "EMU ERROR [%s block (%u,%u,%u)]: ", cur_kernel ? cur_kernel->name.c_str() : "-", emu_blockIdx.x,
            emu_blockIdx.y, emu_blockIdx.z);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void emu_syncthreads() {
    cur->state = AT_SYNC;
    emu_swap(&cur->sp, sched_sp);
}

uint64_t emu_shfl(uint64_t v, int src, int mode, unsigned mask) {
    cur->val = v;
    cur->src = src;
    cur->mode = mode;
    cur->mask = mask;
    cur->state = AT_SHFL;
    emu_swap(&cur->sp, sched_sp);
    return cur->val;
}

static void fiber_main() {
    cur_kernel->inv(cur_kernel->fn, cur_params);
    cur->state = DONE;
    emu_swap(&cur->sp, sched_sp);
    abort(); // a finished fiber is never resumed
}

// ---- scheduling order ----
static int order_mode = -1; // 0 fwd, 1 rev, 2 rand
static std::mt19937_64 rng;

static void init_order() {
    if (order_mode >= 0) return;
    const char* o = getenv("EMU_ORDER");
    order_mode = 0;
    if (o && !strncmp(o, "rev", 3)) order_mode = 1;
    if (o && !strncmp(o, "rand", 4)) {
        order_mode = 2;
        const char* c = strchr(o, ':');
        rng.seed(c ? strtoull(c + 1, 0, 10) : 1);
    }
}

static std::vector<int> order(int n) {
    std::vector<int> v(n);
    for (int i = 0; i < n; i++) v[i] = order_mode == 1 ? n - 1 - i : i;
    if (order_mode == 2) std::shuffle(v.begin(), v.end(), rng);
    return v;
}

// run_block runs one block of n threads to completion; false on a
// divergent barrier or shuffle (reported).
static bool run_block(int n) {
    while ((int)fibers.size() < n) {
        fibers.push_back(Fiber{});
        fibers.back().stack = (char*)malloc(kStack);
    }
    if (+__start_emu_shared != +__stop_emu_shared) memset(__start_emu_shared, 0xFF, __stop_emu_shared - __start_emu_shared);
    for (int i = 0; i < n; i++) {
        Fiber& f = fibers[i];
        f.tid = dim3{(unsigned)i, 0, 0};
        f.state = RUNNING;
        void** sp = (void**)(((uintptr_t)f.stack + kStack) & ~(uintptr_t)15);
        *--sp = 0;                     // fiber_main's (absent) return address
        *--sp = (void*)fiber_main;     // where emu_swap's ret goes
        for (int r = 0; r < 6; r++) *--sp = 0; // rbp rbx r12-r15
        f.sp = sp;
    }
    const int nwarps = (n + 31) / 32;
    // The block's warp order and each warp's lane order (drawn once per
    // block in rand mode).
    const std::vector<int> warps = order(nwarps);
    std::vector<std::vector<int>> lanes(nwarps);
    for (int w = 0; w < nwarps; w++) lanes[w] = order(std::min(n, w * 32 + 32) - w * 32);
    for (;;) {
        // Each warp, in the policy's order, runs as far as it can (its
        // shuffles resolved as they come) before the next one starts: the
        // maximal skew between warps that barriers allow.
        for (int w : warps) {
            const int lo = w * 32, hi = std::min(n, lo + 32);
            for (;;) {
                for (int l : lanes[w]) {
                    Fiber& f = fibers[lo + l];
                    if (f.state != RUNNING) continue;
                    cur = &f;
                    emu_swap(&sched_sp, f.sp);
                }
                int at = 0;
                for (int i = lo; i < hi; i++) at += fibers[i].state == AT_SHFL;
                if (at == 0) break;
                if (at != 32) {
                    report("warp %d: %d of 32 lanes at a full-mask shuffle (the others exited or wait at __syncthreads)", w, at);
                    return false;
                }
                uint64_t vals[32];
                for (int i = lo; i < hi; i++) {
                    if (fibers[i].mask != 0xffffffffu || fibers[i].mode != fibers[lo].mode) {
                        report("warp %d: lanes disagree on the shuffle's mask or kind", w);
                        return false;
                    }
                    vals[i - lo] = fibers[i].val;
                }
                for (int i = lo; i < hi; i++) {
                    Fiber& f = fibers[i];
                    int lane = i - lo;
                    f.val = vals[(f.mode == 1 ? (lane ^ f.src) : f.src) & 31];
                    f.state = RUNNING;
                }
            }
        }
        int done = 0, sync = 0;
        for (int i = 0; i < n; i++) {
            done += fibers[i].state == DONE;
            sync += fibers[i].state == AT_SYNC;
        }
        if (done == n) return true;
        if (done > 0) {
            report("__syncthreads reached by %d threads while %d have exited (divergent barrier)", sync, done);
            return false;
        }
        for (int i = 0; i < n; i++) fibers[i].state = RUNNING;
    }
}

// ---- kernels, modules and ptxas resources ----
static std::map<std::string, Kernel>& registry() {
    static std::map<std::string, Kernel> r;
    return r;
}
void emu_register(const char* name, void* fn, EmuInvoker inv, std::vector<int> sizes) {
    registry()[name] = Kernel{name, fn, inv, sizes};
}

struct Resources {
    int regs, smem;
};
// resources reads EMU_PTXAS (ptx/ptxas.txt: kernel arch regs smem ...) for
// the emulated device's architecture.
static std::map<std::string, Resources>& resources() {
    static std::map<std::string, Resources> r;
    static bool loaded;
    if (loaded) return r;
    loaded = true;
    const char* path = getenv("EMU_PTXAS");
    const char* cc = getenv("EMU_CC");
    std::string arch = std::string("sm_") + (cc ? cc : "90");
    FILE* fp = path ? fopen(path, "r") : NULL;
    if (!fp) {
        fprintf(stderr, "EMU ERROR: EMU_PTXAS=%s: cannot read the ptxas resource table\n", path ? path : "(unset)");
        return r;
    }
    char line[512], name[256], a[32];
    int regs, smem;
    while (fgets(line, sizeof line, fp))
        if (line[0] != '#' && sscanf(line, "%255s %31s %d %d", name, a, &regs, &smem) == 4 && arch == a)
            r[name] = Resources{regs, smem};
    fclose(fp);
    return r;
}

struct Module {
    std::map<std::string, std::vector<int>> entries; // .entry name -> parameter sizes
};

// ---- bookkeeping: allocations, live objects, injected failures ----
static std::mutex mu;
static std::map<uint64_t, size_t> allocs;
static size_t allocated;
static std::atomic<long> live;

extern "C" long emu_live_objects() { return live.load(); }
extern "C" void emu_count_object(int d) { live += d; }

static size_t device_mem() {
    const char* s = getenv("EMU_DEVICE_MEM");
    return s ? strtoull(s, 0, 10) : (size_t)8 << 30;
}

// injected reports whether this call of fn is the one EMU_FAIL=fn:N names.
static bool injected(const char* fn) {
    static std::map<std::string, int> calls;
    const char* f = getenv("EMU_FAIL");
    if (!f) return false;
    const char* colon = strchr(f, ':');
    if (!colon || strncmp(f, fn, colon - f) || strlen(fn) != (size_t)(colon - f)) return false;
    return ++calls[fn] == atoi(colon + 1);
}
#define INJECT(fn, err)                                                   \
    do {                                                                  \
        if (injected(fn)) {                                               \
            fprintf(stderr, "EMU: injected failure of %s\n", fn);         \
            return err;                                                   \
        }                                                                 \
    } while (0)

extern "C" {
CUresult cuInit(unsigned) {
    // The binding's loading phase (dlopen, dlsym, cuInit) must be
    // serialised by the caller: overlapping calls are reported.
    static std::atomic<int> inside;
    if (inside++ > 0) {
        inside--;
        fprintf(stderr, "EMU ERROR: cuInit entered concurrently (the dlopen/cuInit phase is not guarded)\n");
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    usleep(5000);
    inside--;
    return CUDA_SUCCESS;
}
CUresult cuDriverGetVersion(int* v) { *v = 12040; return CUDA_SUCCESS; }
CUresult cuDeviceGetCount(int* n) { *n = 1; return CUDA_SUCCESS; }
CUresult cuDeviceGet(int* d, int ord) {
    if (ord != 0) return CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return CUDA_SUCCESS;
}
CUresult cuDeviceGetName(char* name, int len, int) {
    snprintf(name, len, "Emulated CUDA device (CPU)");
    return CUDA_SUCCESS;
}
CUresult cuDeviceGetAttribute(int* v, int attr, int) {
    const char* cc = getenv("EMU_CC");
    int c = cc ? atoi(cc) : 90;
    switch (attr) {
    case 75: *v = c / 10; return CUDA_SUCCESS; // compute capability major
    case 76: *v = c % 10; return CUDA_SUCCESS; // minor
    case 16: *v = 1; return CUDA_SUCCESS;      // multiprocessors
    }
    return CUDA_ERROR_INVALID_VALUE;
}
CUresult cuDeviceTotalMem_v2(size_t* m, int) { *m = device_mem(); return CUDA_SUCCESS; }
CUresult cuDevicePrimaryCtxRetain(void** c, int) {
    INJECT("cuDevicePrimaryCtxRetain", CUDA_ERROR_OUT_OF_MEMORY);
    static int ctx;
    *c = &ctx;
    live++;
    return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRelease_v2(int) { live--; return CUDA_SUCCESS; }
CUresult cuCtxSetCurrent(void*) { return CUDA_SUCCESS; }
CUresult cuModuleLoadDataEx(void** m, const void* image, unsigned, int*, void**) {
    INJECT("cuModuleLoadDataEx", CUDA_ERROR_INVALID_PTX);
    Module* mod = new Module;
    for (const char* p = (const char*)image; (p = strstr(p, ".entry "));) {
        p += 7;
        const char* open = strchr(p, '(');
        const char* close = strchr(open, ')');
        std::vector<int>& sizes = mod->entries[std::string(p, open - p)];
        for (const char* q = open; (q = strstr(q, ".param .")) && q < close; q += 8)
            sizes.push_back(q[9] == '6' ? 8 : 4); // .u64/.b64/.s64/.f64 vs 32-bit
        p = close;
    }
    *m = mod;
    live++;
    return CUDA_SUCCESS;
}
CUresult cuModuleUnload(void* m) {
    delete (Module*)m;
    live--;
    return CUDA_SUCCESS;
}
CUresult cuModuleGetFunction(void** f, void* m, const char* name) {
    Module* mod = (Module*)m;
    auto it = mod->entries.find(name);
    if (it == mod->entries.end()) return CUDA_ERROR_NOT_FOUND;
    auto r = registry().find(name);
    if (r == registry().end()) {
        fprintf(stderr, "EMU ERROR: %s is in the PTX but not in the host-compiled sources (PTX out of date?)\n", name);
        return CUDA_ERROR_NOT_FOUND;
    }
    if (r->second.sizes != it->second) {
        fprintf(stderr, "EMU ERROR: %s: the PTX parameter sizes differ from the .cu signature (PTX out of date?)\n", name);
        return CUDA_ERROR_INVALID_PTX;
    }
    *f = &r->second;
    return CUDA_SUCCESS;
}
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shmem, void*, void** params, void** extra) {
    std::lock_guard<std::mutex> g(mu);
    init_order();
    Kernel* k = (Kernel*)f;
    const char* name = k->name.c_str();
    if (const char* tr = getenv("EMU_TRACE")) { // kernels launched, for the coverage check
        static std::map<std::string, bool> seen;
        if (!seen[k->name]) {
            seen[k->name] = true;
            if (FILE* fp = fopen(tr, "a")) {
                fprintf(fp, "%s\n", name);
                fclose(fp);
            }
        }
    }
    if (gx == 0 || gy == 0 || gz == 0 || gx > 0x7fffffffu || gy > 65535 || gz > 65535) {
        fprintf(stderr, "EMU ERROR: %s: grid (%u,%u,%u) out of range (x < 2^31, y and z <= 65535)\n", name, gx, gy, gz);
        return CUDA_ERROR_INVALID_VALUE;
    }
    const unsigned nt = bx * by * bz;
    if (nt == 0 || nt > 1024 || by != 1 || bz != 1) {
        fprintf(stderr, "EMU ERROR: %s: block (%u,%u,%u) invalid (1..1024 threads, x only)\n", name, bx, by, bz);
        return CUDA_ERROR_INVALID_VALUE;
    }
    auto res = resources().find(k->name);
    if (res == resources().end()) {
        fprintf(stderr, "EMU ERROR: %s: not in the ptxas resource table EMU_PTXAS (run make kernels-check)\n", name);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if ((long)res->second.smem + shmem > 48 << 10) {
        fprintf(stderr, "EMU ERROR: %s: %d static + %u dynamic shared bytes exceed 48 KiB\n", name, res->second.smem, shmem);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if ((long)res->second.regs * nt > 65536) {
        fprintf(stderr, "EMU ERROR: %s: %d registers x %u threads > 65536\n", name, res->second.regs, nt);
        return CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
    }
    if (extra) {
        fprintf(stderr, "EMU ERROR: %s: the extra argument form is not emulated\n", name);
        return CUDA_ERROR_INVALID_VALUE;
    }
    // The binding passes argument i in slot i of one array of 8-byte slots.
    const size_t np = k->sizes.size();
    for (size_t i = 1; i < np; i++)
        if ((char*)params[i] != (char*)params[0] + 8 * i) {
            fprintf(stderr, "EMU ERROR: %s: parameter %zu is not in the caller's slot array (fewer than %zu arguments?)\n",
                    name, i, np);
            return CUDA_ERROR_INVALID_VALUE;
        }
    cur_kernel = k;
    cur_params = params;
    std::vector<unsigned char> dyn(shmem + 16);
    emu_dyn_smem = dyn.data();
    emu_gridDim = dim3{gx, gy, gz};
    emu_blockDim = dim3{bx, 1, 1};
    const long nb = (long)gx * gy * gz;
    for (long b : order((int)nb)) {
        emu_blockIdx = dim3{(unsigned)(b % gx), (unsigned)(b / gx % gy), (unsigned)(b / gx / gy)};
        memset(dyn.data(), 0xFF, dyn.size());
        if (!run_block(nt)) {
            cur_kernel = 0;
            return CUDA_ERROR_LAUNCH_FAILED;
        }
    }
    cur_kernel = 0;
    return CUDA_SUCCESS;
}
CUresult cuMemAlloc_v2(unsigned long long* p, size_t n) {
    std::lock_guard<std::mutex> g(mu);
    INJECT("cuMemAlloc_v2", CUDA_ERROR_OUT_OF_MEMORY);
    if (allocated + n > device_mem()) return CUDA_ERROR_OUT_OF_MEMORY;
    void* q = 0;
    if (posix_memalign(&q, 256, n ? n : 1)) return CUDA_ERROR_OUT_OF_MEMORY;
    memset(q, 0xFF, n); // uninitialised device memory reads as NaN
    *p = (unsigned long long)q;
    allocs[*p] = n;
    allocated += n;
    live++;
    return CUDA_SUCCESS;
}
CUresult cuMemFree_v2(unsigned long long p) {
    std::lock_guard<std::mutex> g(mu);
    auto it = allocs.find(p);
    if (it == allocs.end()) {
        fprintf(stderr, "EMU ERROR: cuMemFree of %#llx, not an allocation (double free?)\n", p);
        return CUDA_ERROR_INVALID_VALUE;
    }
    allocated -= it->second;
    allocs.erase(it);
    free((void*)p);
    live--;
    return CUDA_SUCCESS;
}
CUresult cuMemGetInfo_v2(size_t* f, size_t* t) {
    std::lock_guard<std::mutex> g(mu);
    *t = device_mem();
    *f = *t > allocated ? *t - allocated : 0;
    return CUDA_SUCCESS;
}
CUresult cuMemAllocHost_v2(void** p, size_t n) {
    *p = malloc(n);
    if (!*p) return CUDA_ERROR_OUT_OF_MEMORY;
    live++;
    return CUDA_SUCCESS;
}
CUresult cuMemFreeHost(void* p) {
    free(p);
    live--;
    return CUDA_SUCCESS;
}
// The stream is synchronous: every copy and launch completes before it returns.
CUresult cuMemcpyHtoDAsync_v2(unsigned long long d, const void* s, size_t n, void*) { memcpy((void*)d, s, n); return CUDA_SUCCESS; }
CUresult cuMemcpyDtoHAsync_v2(void* d, unsigned long long s, size_t n, void*) { memcpy(d, (void*)s, n); return CUDA_SUCCESS; }
CUresult cuMemcpyDtoDAsync_v2(unsigned long long d, unsigned long long s, size_t n, void*) { memmove((void*)d, (void*)s, n); return CUDA_SUCCESS; }
CUresult cuMemsetD8Async(unsigned long long d, unsigned char v, size_t n, void*) { memset((void*)d, v, n); return CUDA_SUCCESS; }
// CUDA_MEMCPY2D, cuda.h's layout.
struct CUDA_MEMCPY2D {
    size_t srcXInBytes, srcY;
    int srcMemoryType;
    const void* srcHost;
    unsigned long long srcDevice;
    void* srcArray;
    size_t srcPitch;
    size_t dstXInBytes, dstY;
    int dstMemoryType;
    void* dstHost;
    unsigned long long dstDevice;
    void* dstArray;
    size_t dstPitch;
    size_t WidthInBytes, Height;
};
// Device-to-device only, with the driver's pitch rule (a row fits in its
// pitch) and no overlap between source and destination bytes.
CUresult cuMemcpy2DAsync_v2(const CUDA_MEMCPY2D* m, void*) {
    if (m->srcMemoryType != 2 || m->dstMemoryType != 2 || m->srcXInBytes || m->srcY || m->dstXInBytes || m->dstY) {
        fprintf(stderr, "EMU ERROR: cuMemcpy2DAsync: only plain device-to-device copies are emulated\n");
        return CUDA_ERROR_INVALID_VALUE;
    }
    size_t w = m->WidthInBytes, h = m->Height;
    if (h > 1 && (w > m->srcPitch || w > m->dstPitch)) {
        fprintf(stderr, "EMU ERROR: cuMemcpy2DAsync: width %zu exceeds a pitch (%zu, %zu)\n", w, m->srcPitch, m->dstPitch);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (w == 0 || h == 0) return CUDA_SUCCESS;
    unsigned long long s0 = m->srcDevice, s1 = s0 + (h - 1) * m->srcPitch + w;
    unsigned long long d0 = m->dstDevice, d1 = d0 + (h - 1) * m->dstPitch + w;
    if (s0 < d1 && d0 < s1) {
        fprintf(stderr, "EMU ERROR: cuMemcpy2DAsync: source and destination overlap\n");
        return CUDA_ERROR_INVALID_VALUE;
    }
    for (size_t r = 0; r < h; r++) memcpy((void*)(d0 + r * m->dstPitch), (const void*)(s0 + r * m->srcPitch), w);
    return CUDA_SUCCESS;
}
CUresult cuStreamCreate(void** s, unsigned) {
    INJECT("cuStreamCreate", CUDA_ERROR_OUT_OF_MEMORY);
    *s = new int;
    live++;
    return CUDA_SUCCESS;
}
CUresult cuStreamDestroy_v2(void* s) {
    delete (int*)s;
    live--;
    return CUDA_SUCCESS;
}
CUresult cuStreamSynchronize(void*) { return CUDA_SUCCESS; }
CUresult cuGetErrorString(CUresult r, const char** s) {
    *s = r == CUDA_ERROR_LAUNCH_FAILED ? "emulated launch failure (see EMU ERROR above)" : "emulated CUDA error";
    return CUDA_SUCCESS;
}
}
