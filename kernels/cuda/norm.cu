// norm.cu: RMSNorm and LayerNorm, forward and backward. One block per row
// for the row statistics and dx; the weight gradients are column sums with
// one thread per column (deterministic, no atomics).
#include "common.cuh"

extern "C" __global__ void k_rmsnorm(void* o, int dto, float* rstd, const void* x, int dtx, const void* w, int dtw,
                                     int C, float eps) {
    ll r = blockIdx.x;
    const ll base = r * C;
    float ss = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float v = ld(x, dtx, base + c);
        ss += v * v;
    }
    float rs = rsqrtf(block_sum(ss) / C + eps);
    if (rstd && threadIdx.x == 0) rstd[r] = rs;
    for (int c = threadIdx.x; c < C; c += blockDim.x) st(o, dto, base + c, ld(x, dtx, base + c) * rs * ld(w, dtw, c));
}

// dx += rstd * (dout*w - xhat * mean_c(dout*w*xhat)), xhat = x*rstd.
extern "C" __global__ void k_rmsnorm_bwd(void* dx, int dtdx, const void* dout, int dtdo, const void* x, int dtx,
                                         const void* w, int dtw, const float* rstd, int C) {
    ll r = blockIdx.x;
    const ll base = r * C;
    float rs = rstd[r];
    float dot = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x)
        dot += ld(dout, dtdo, base + c) * ld(w, dtw, c) * ld(x, dtx, base + c) * rs;
    dot = block_sum(dot) / C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float dn = ld(dout, dtdo, base + c) * ld(w, dtw, c);
        float xh = ld(x, dtx, base + c) * rs;
        acc(dx, dtdx, base + c, rs * (dn - xh * dot));
    }
}

// k_norm_dw: dw[c] += sum_n dout[n,c] * (x[n,c] - mean[n]) * rstd[n]
// (mean may be null: RMSNorm), and db[c] += sum_n dout[n,c] when db is set.
extern "C" __global__ void k_norm_dw(void* dw, int dtdw, void* db, int dtdb, const void* dout, int dtdo,
                                     const void* x, int dtx, const float* mean, const float* rstd, ll N, int C) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    float sw = 0.f, sb = 0.f;
    for (ll r = 0; r < N; r++) {
        float d = ld(dout, dtdo, r * C + c);
        float xv = ld(x, dtx, r * C + c);
        if (mean) xv -= mean[r];
        sw += d * xv * rstd[r];
        sb += d;
    }
    if (dw) acc(dw, dtdw, c, sw);
    if (db) acc(db, dtdb, c, sb);
}

extern "C" __global__ void k_layernorm(void* o, int dto, float* mean, float* rstd, const void* x, int dtx,
                                       const void* w, int dtw, const void* b, int dtb, int C, float eps) {
    ll r = blockIdx.x;
    const ll base = r * C;
    float s = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) s += ld(x, dtx, base + c);
    float mu = block_sum(s) / C;
    float v = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float d = ld(x, dtx, base + c) - mu;
        v += d * d;
    }
    float rs = rsqrtf(block_sum(v) / C + eps);
    if (threadIdx.x == 0) {
        if (mean) mean[r] = mu;
        if (rstd) rstd[r] = rs;
    }
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float y = (ld(x, dtx, base + c) - mu) * rs * ld(w, dtw, c);
        if (b) y += ld(b, dtb, c);
        st(o, dto, base + c, y);
    }
}

// dx += rstd * (dn - mean_c(dn) - xhat * mean_c(dn*xhat)), dn = dout*w.
extern "C" __global__ void k_layernorm_bwd(void* dx, int dtdx, const void* dout, int dtdo, const void* x, int dtx,
                                           const void* w, int dtw, const float* mean, const float* rstd, int C) {
    ll r = blockIdx.x;
    const ll base = r * C;
    float mu = mean[r], rs = rstd[r];
    float s1 = 0.f, s2 = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float dn = ld(dout, dtdo, base + c) * ld(w, dtw, c);
        s1 += dn;
        s2 += dn * (ld(x, dtx, base + c) - mu) * rs;
    }
    s1 = block_sum(s1) / C;
    s2 = block_sum(s2) / C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float dn = ld(dout, dtdo, base + c) * ld(w, dtw, c);
        float xh = (ld(x, dtx, base + c) - mu) * rs;
        acc(dx, dtdx, base + c, rs * (dn - s1 - xh * s2));
    }
}
