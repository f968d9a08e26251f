// train.cu: training ops: sum of squares (gradient norms), the inf/NaN
// check of loss scaling, the AdamW update and teacher top-k extraction.
#include "common.cuh"

// k_sum_squares writes one float64 partial sum per block; the host adds
// them in block order, so the result does not depend on scheduling.
extern "C" __global__ void k_sum_squares(double* partial, const void* x, int dt, ll n) {
    __shared__ double s[32];
    double acc = 0.0;
    GRID_STRIDE(i, n) {
        double v = ld(x, dt, i);
        acc += v * v;
    }
    for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    if (lane == 0) s[w] = acc;
    __syncthreads();
    if (threadIdx.x == 0) {
        double t = 0.0;
        for (int i = 0; i < (int)(blockDim.x >> 5); i++) t += s[i];
        partial[blockIdx.x] = t;
    }
}

// k_non_finite sets *flag when an element is NaN or infinite.
extern "C" __global__ void k_non_finite(int* flag, const void* x, int dt, ll n) {
    GRID_STRIDE(i, n) {
        if (!isfinite(ld(x, dt, i))) *flag = 1;
    }
}

// k_adamw: the update of kernels.TrainOps.AdamW, in the CPU backend's
// float32 operation order; bc1, bc2 = 1 - beta^step from the host.
extern "C" __global__ void k_adamw(float* param, const void* grad, int dtg, float* m, float* v, ll n, float lr,
                                   float b1, float b2, float eps, float wd, float bc1, float bc2, float invGS) {
    GRID_STRIDE(i, n) {
        float g = ld(grad, dtg, i) * invGS;
        float mi = b1 * m[i] + (1.f - b1) * g;
        float vi = b2 * v[i] + (1.f - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        float mhat = mi / bc1, vhat = vi / bc2;
        param[i] -= lr * (mhat / (sqrtf(vhat) + eps) + wd * param[i]);
    }
}

// ranks_before orders logits for top-k: larger value first, ties to the
// smaller id, NaN after every number (ties among NaNs to the smaller id),
// so a row with fewer than k numbers still yields k distinct ids. An id
// < 0 is "nothing yet" and ranks after everything.
__device__ __forceinline__ bool ranks_before(float v, int id, float v2, int id2) {
    if (id2 < 0) return id >= 0;
    if (id < 0) return false;
    const bool n = isnan(v), n2 = isnan(v2);
    if (n != n2) return n2;
    if (!n && v != v2) return v > v2;
    return id < id2;
}

// better keeps in (v, id) whichever of it and (v2, id2) ranks first.
__device__ __forceinline__ void better(float& v, int& id, float v2, int id2) {
    if (ranks_before(v2, id2, v, id)) {
        v = v2;
        id = id2;
    }
}

// k_topk: one block per row of logits [N, V]. z = x/T (x * invT, as the
// CPU does); lse = logsumexp(z); then k selection passes, pass j taking the
// best entry strictly after pass j-1's in the ranks_before order.
// O(k V) per row, meant for k up to a few hundred.
extern "C" __global__ void k_topk(int* ids, void* lps, int dtl, const void* x, int dtx, int V, int k, float invT) {
    __shared__ float sv[32];
    __shared__ int sid[32];
    __shared__ float prevV;
    __shared__ int prevID;
    const ll base = (ll)blockIdx.x * V;
    float m = -INFINITY;
    for (int c = threadIdx.x; c < V; c += blockDim.x) m = fmaxf(m, ld(x, dtx, base + c) * invT);
    m = block_max(m);
    float s = 0.f;
    for (int c = threadIdx.x; c < V; c += blockDim.x) s += expf(ld(x, dtx, base + c) * invT - m);
    const float lse = m + logf(block_sum(s));
    if (threadIdx.x == 0) {
        prevV = 0.f;
        prevID = -1; // nothing taken yet
    }
    __syncthreads();
    const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int j = 0; j < k; j++) {
        const float pv = prevV;
        const int pid = prevID;
        float bv = 0.f;
        int bid = -1;
        for (int c = threadIdx.x; c < V; c += blockDim.x) {
            float z = ld(x, dtx, base + c) * invT;
            if (pid < 0 || ranks_before(pv, pid, z, c)) better(bv, bid, z, c);
        }
        for (int o = 16; o > 0; o >>= 1) better(bv, bid, __shfl_xor_sync(0xffffffffu, bv, o), __shfl_xor_sync(0xffffffffu, bid, o));
        __syncthreads(); // everyone has read prevV/prevID
        if (lane == 0) {
            sv[w] = bv;
            sid[w] = bid;
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            for (int i = 1; i < nw; i++) better(bv, bid, sv[i], sid[i]);
            ids[(ll)blockIdx.x * k + j] = bid;
            st(lps, dtl, (ll)blockIdx.x * k + j, bv - lse);
            prevV = bv;
            prevID = bid;
        }
        __syncthreads();
    }
}
