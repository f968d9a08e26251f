// loss.cu: embedding lookup and its gradient, log-softmax and
// cross-entropy (+ backward). One block per row; row statistics in float32
// with block reductions.
#include "common.cuh"

// k_embedding: out[i, :] = table[ids[i], :] (+ pos[posStart + i%T, :]).
extern "C" __global__ void k_embedding(void* o, int dto, const void* table, int dtt, const void* pos, int dtp,
                                       const int* ids, int C, int T, int posStart) {
    ll r = blockIdx.x;
    ll id = ids[r];
    ll p = posStart + r % T;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float v = ld(table, dtt, id * C + c);
        if (pos) v += ld(pos, dtp, p * C + c);
        st(o, dto, r * C + c, v);
    }
}

// k_gather_add: for each group g (one block), dst[keys[g], :] += sum over
// rows[off[g] .. off[g+1]) of src[row, :]. The host groups equal ids so
// every destination row has one writer: deterministic, no atomics.
extern "C" __global__ void k_gather_add(void* dst, int dtd, const void* src, int dts, const int* keys, const int* off,
                                        const int* rows, int C) {
    int g = blockIdx.x;
    ll key = keys[g];
    int lo = off[g], hi = off[g + 1];
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float s = 0.f;
        for (int j = lo; j < hi; j++) s += ld(src, dts, (ll)rows[j] * C + c);
        acc(dst, dtd, key * C + c, s);
    }
}

// row_lse returns logsumexp of row x[base .. base+V).
__device__ __forceinline__ float row_lse(const void* x, int dt, ll base, int V) {
    float m = -INFINITY;
    for (int c = threadIdx.x; c < V; c += blockDim.x) m = fmaxf(m, ld(x, dt, base + c));
    m = block_max(m);
    float s = 0.f;
    for (int c = threadIdx.x; c < V; c += blockDim.x) s += expf(ld(x, dt, base + c) - m);
    return m + logf(block_sum(s));
}

extern "C" __global__ void k_log_softmax(void* o, int dto, const void* x, int dtx, int V) {
    ll base = (ll)blockIdx.x * V;
    float lse = row_lse(x, dtx, base, V);
    for (int c = threadIdx.x; c < V; c += blockDim.x) st(o, dto, base + c, ld(x, dtx, base + c) - lse);
}

extern "C" __global__ void k_cross_entropy(float* losses, const void* x, int dtx, const int* targets, int V) {
    ll r = blockIdx.x;
    int tg = targets[r];
    if (tg < 0) {
        if (threadIdx.x == 0) losses[r] = 0.f;
        return;
    }
    ll base = r * V;
    float lse = row_lse(x, dtx, base, V);
    if (threadIdx.x == 0) losses[r] = lse - ld(x, dtx, base + tg);
}

extern "C" __global__ void k_cross_entropy_bwd(void* dl, int dtdl, const void* x, int dtx, const int* targets, int V,
                                               float scale) {
    ll r = blockIdx.x;
    int tg = targets[r];
    if (tg < 0) return;
    ll base = r * V;
    float lse = row_lse(x, dtx, base, V);
    for (int c = threadIdx.x; c < V; c += blockDim.x) {
        float p = expf(ld(x, dtx, base + c) - lse);
        acc(dl, dtdl, base + c, scale * (p - (c == tg ? 1.f : 0.f)));
    }
}
