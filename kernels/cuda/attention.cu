// attention.cu: causal grouped-query attention, flash-attention style.
//
// Each warp owns one query row (forward, dq) or one key row (dk/dv); a
// block of ROWS warps shares tiles of KT key (or query) rows staged in
// shared memory as float32. Softmax is online (running max m and sum l,
// rescaled once per tile), so no [T, S] matrix ever exists: the forward
// keeps lse = m + log l per row, and the backward recomputes
// p = exp(scale q.k - lse) tile by tile (FlashAttention-2, Dao 2023):
//
//	D_t  = dout_t . out_t
//	dv_s += sum_t p_ts dout_t
//	ds_ts = p_ts (dout_t . v_s - D_t)
//	dq_t += scale sum_s ds_ts k_s
//	dk_s += scale sum_t ds_ts q_t
//
// Lane l holds channels l, l+32, ... of the head (hd <= 32*MAXJ).
#include "common.cuh"

#define ROWS 4
#define MAXJ 8

// load_row reads this lane's channels of one head row (zeros when !ok).
__device__ __forceinline__ void load_row(float* r, const void* p, int dt, ll base, int lane, int hd, bool ok) {
#pragma unroll
    for (int j = 0; j < MAXJ; j++) {
        int d = lane + 32 * j;
        r[j] = (ok && d < hd) ? ld(p, dt, base + d) : 0.f;
    }
}

// lane_dot is this lane's part of the dot product of r with a staged row.
__device__ __forceinline__ float lane_dot(const float* r, const float* row, int lane, int hd) {
    float s = 0.f;
#pragma unroll
    for (int j = 0; j < MAXJ; j++) {
        int d = lane + 32 * j;
        if (d < hd) s += r[j] * row[d];
    }
    return s;
}

// axpy_row does a += w * row over this lane's channels.
__device__ __forceinline__ void axpy_row(float* a, float w, const float* row, int lane, int hd) {
#pragma unroll
    for (int j = 0; j < MAXJ; j++) {
        int d = lane + 32 * j;
        if (d < hd) a[j] += w * row[d];
    }
}

// stage copies n rows of one head, starting at row r0 of a [B, R, nh*hd]
// tensor (batch b, head h), into A (and of a second tensor into Bt) as
// float [n, hd]. The caller brackets it with __syncthreads.
__device__ __forceinline__ void stage(float* A, const void* a, int dta, float* Bt, const void* bsrc, int dtb, int b,
                                      int R, int nh, int h, int hd, int r0, int n) {
    for (int idx = threadIdx.x; idx < n * hd; idx += blockDim.x) {
        int j = idx / hd, d = idx - j * hd;
        ll off = ((ll)(b * R + r0 + j) * nh + h) * hd + d;
        A[idx] = ld(a, dta, off);
        Bt[idx] = ld(bsrc, dtb, off);
    }
}

// k_attn_fwd: grid (ceil(T/ROWS), H, B), block 32*ROWS, dynamic shared
// 2*KT*hd floats. window > 0: row t sees keys (posStart+t-window,
// posStart+t] only (a sliding window), as in the backward kernels.
// q, out [B, T, H*hd]; k, v [B, S, KVH*hd]; lse [B, H, T].
extern "C" __global__ void k_attn_fwd(void* o, int dto, float* lse, const void* q, int dtq, const void* k, int dtk,
                                      const void* v, int dtv, int T, int S, int H, int KVH, int hd, float scale,
                                      int posStart, int KT, int window) {
    extern __shared__ float sm[];
    float* Ks = sm;
    float* Vs = sm + KT * hd;
    const int b = blockIdx.z, h = blockIdx.y, g = h / (H / KVH);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int t0 = blockIdx.x * ROWS, t = t0 + warp;
    const bool active = t < T;
    const ll qbase = ((ll)(b * T + t) * H + h) * hd;
    float qr[MAXJ], a[MAXJ];
    load_row(qr, q, dtq, qbase, lane, hd, active);
#pragma unroll
    for (int j = 0; j < MAXJ; j++) {
        qr[j] *= scale;
        a[j] = 0.f;
    }
    float m = -INFINITY, l = 0.f;
    const int kend = posStart + min(t0 + ROWS, T); // keys [0, kend) serve the block
    const int last = posStart + t;                 // this row's last key
    const int first = window > 0 ? max(0, last - window + 1) : 0; // and first
    for (int s0 = 0; s0 < kend; s0 += KT) {
        const int ns = min(KT, kend - s0);
        __syncthreads();
        stage(Ks, k, dtk, Vs, v, dtv, b, S, KVH, g, hd, s0, ns);
        __syncthreads();
        if (!active || s0 > last || s0 + ns <= first) continue;
        const int nv = min(ns, last - s0 + 1), jlo = max(0, first - s0);
        float sc = -INFINITY; // lane j keeps the score of key s0+j
        for (int j = jlo; j < nv; j++) {
            float p = warp_sum(lane_dot(qr, Ks + j * hd, lane, hd));
            if (lane == j) sc = p;
        }
        const float mn = fmaxf(m, warp_max(sc));
        const float corr = expf(m - mn);
        const float pe = lane < nv ? expf(sc - mn) : 0.f;
        l = l * corr + warp_sum(pe);
#pragma unroll
        for (int jj = 0; jj < MAXJ; jj++) a[jj] *= corr;
        for (int j = jlo; j < nv; j++) axpy_row(a, __shfl_sync(0xffffffffu, pe, j), Vs + j * hd, lane, hd);
        m = mn;
    }
    if (!active) return;
    const float inv = 1.f / l;
#pragma unroll
    for (int jj = 0; jj < MAXJ; jj++) {
        int d = lane + 32 * jj;
        if (d < hd) st(o, dto, qbase + d, a[jj] * inv);
    }
    if (lse && lane == 0) lse[((ll)b * H + h) * T + t] = m + logf(l);
}

// k_attn_bwd_D: D[b, h, t] = dout . out over the head's channels; one warp
// per (b, t, h) row.
extern "C" __global__ void k_attn_bwd_D(float* D, const void* dout, int dtdo, const void* out, int dtout, int B,
                                        int T, int H, int hd) {
    const int lane = threadIdx.x & 31;
    const ll nrows = (ll)B * T * H;
    for (ll r = ((ll)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < nrows; r += ((ll)gridDim.x * blockDim.x) >> 5) {
        float s = 0.f;
        for (int d = lane; d < hd; d += 32) s += ld(dout, dtdo, r * hd + d) * ld(out, dtout, r * hd + d);
        s = warp_sum(s);
        if (lane == 0) {
            ll h = r % H, bt = r / H, t = bt % T, b = bt / T;
            D[(b * H + h) * T + t] = s;
        }
    }
}

// k_attn_bwd_dq: grid (ceil(T/ROWS), H, B); like the forward, one warp per
// query row; PosStart is 0.
extern "C" __global__ void k_attn_bwd_dq(void* dq, int dtdq, const void* dout, int dtdo, const void* q, int dtq,
                                         const void* k, int dtk, const void* v, int dtv, const float* lse,
                                         const float* D, int T, int S, int H, int KVH, int hd, float scale, int KT,
                                         int window) {
    extern __shared__ float sm[];
    float* Ks = sm;
    float* Vs = sm + KT * hd;
    const int b = blockIdx.z, h = blockIdx.y, g = h / (H / KVH);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int t0 = blockIdx.x * ROWS, t = t0 + warp;
    const bool active = t < T;
    const ll qbase = ((ll)(b * T + t) * H + h) * hd;
    float qr[MAXJ], dor[MAXJ], a[MAXJ] = {};
    load_row(qr, q, dtq, qbase, lane, hd, active);
    load_row(dor, dout, dtdo, qbase, lane, hd, active);
    const ll row = ((ll)b * H + h) * T + t;
    const float L = active ? lse[row] : 0.f, Dr = active ? D[row] : 0.f;
    const int kend = min(t0 + ROWS, T);
    for (int s0 = 0; s0 < kend; s0 += KT) {
        const int ns = min(KT, kend - s0);
        __syncthreads();
        stage(Ks, k, dtk, Vs, v, dtv, b, S, KVH, g, hd, s0, ns);
        __syncthreads();
        const int first = window > 0 ? max(0, t - window + 1) : 0;
        if (!active || s0 > t) continue;
        const int nv = min(ns, t - s0 + 1);
        for (int j = max(0, first - s0); j < nv; j++) {
            const float sd = warp_sum(lane_dot(qr, Ks + j * hd, lane, hd));
            const float dp = warp_sum(lane_dot(dor, Vs + j * hd, lane, hd));
            const float p = expf(sd * scale - L);
            axpy_row(a, p * (dp - Dr), Ks + j * hd, lane, hd);
        }
    }
    if (!active) return;
#pragma unroll
    for (int jj = 0; jj < MAXJ; jj++) {
        int d = lane + 32 * jj;
        if (d < hd) acc(dq, dtdq, qbase + d, scale * a[jj]);
    }
}

// k_attn_bwd_dkdv: grid (ceil(T/ROWS), KVH, B); one warp per key row s of
// key/value head g, looping over the query rows t >= s of every query head
// of the group, staged KT at a time (dynamic shared 2*KT*hd + 2*KT floats).
extern "C" __global__ void k_attn_bwd_dkdv(void* dk, int dtdk, void* dv, int dtdv, const void* dout, int dtdo,
                                           const void* q, int dtq, const void* k, int dtk, const void* v, int dtv,
                                           const float* lse, const float* D, int T, int S, int H, int KVH, int hd,
                                           float scale, int KT, int window) {
    extern __shared__ float sm[];
    float* Qs = sm;
    float* Os = sm + KT * hd;
    float* Ls = sm + 2 * KT * hd;
    float* Ds = Ls + KT;
    const int b = blockIdx.z, g = blockIdx.y, rep = H / KVH;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int sfirst = blockIdx.x * ROWS, s = sfirst + warp;
    const bool active = s < T;
    const ll kbase = ((ll)(b * S + s) * KVH + g) * hd;
    float kr[MAXJ], vr[MAXJ], ak[MAXJ] = {}, av[MAXJ] = {};
    load_row(kr, k, dtk, kbase, lane, hd, active);
    load_row(vr, v, dtv, kbase, lane, hd, active);
    for (int hh = 0; hh < rep; hh++) {
        const int h = g * rep + hh;
        for (int t0 = sfirst; t0 < T; t0 += KT) {
            const int nt = min(KT, T - t0);
            __syncthreads();
            stage(Qs, q, dtq, Os, dout, dtdo, b, T, H, h, hd, t0, nt);
            for (int j = threadIdx.x; j < nt; j += blockDim.x) {
                ll row = ((ll)b * H + h) * T + t0 + j;
                Ls[j] = lse[row];
                Ds[j] = D[row];
            }
            __syncthreads();
            if (!active) continue;
            const int jend = window > 0 ? min(nt, s + window - t0) : nt; // queries t < s + window
            for (int j = max(0, s - t0); j < jend; j++) {
                const float sd = warp_sum(lane_dot(kr, Qs + j * hd, lane, hd));
                const float dp = warp_sum(lane_dot(vr, Os + j * hd, lane, hd));
                const float p = expf(sd * scale - Ls[j]);
                axpy_row(av, p, Os + j * hd, lane, hd);
                axpy_row(ak, p * (dp - Ds[j]), Qs + j * hd, lane, hd);
            }
        }
    }
    if (!active) return;
#pragma unroll
    for (int jj = 0; jj < MAXJ; jj++) {
        int d = lane + 32 * jj;
        if (d < hd) {
            acc(dk, dtdk, kbase + d, scale * ak[jj]);
            acc(dv, dtdv, kbase + d, av[jj]);
        }
    }
}

// k_attn_softmax: the softmax of attention_gemm.go. One block per row r of
// one batch entry's scores [H*T, L] (row r is query t = r % T of head
// r / T): p_j = exp(scale s_j - m) / l over the causal keys j <= pos + t
// (and j > pos + t - window when window > 0), 0 for the others;
// lse[r] = m + log l (lse may be null). P gets p in
// dtype dtp, or, when Plo is given, p's bf16 halves (P + Plo = p to 2^-17).
extern "C" __global__ void k_attn_softmax(const float* S, void* P, int dtp, void* Plo, float* lse, int T, int L,
                                          int pos, float scale, int window) {
    const ll r = blockIdx.x;
    const int n = pos + (int)(r % T) + 1;
    const int lo = window > 0 ? max(0, n - window) : 0; // keys [lo, n)
    const float* s = S + r * L;
    float m = -INFINITY;
    for (int j = lo + threadIdx.x; j < n; j += blockDim.x) m = fmaxf(m, scale * s[j]);
    m = block_max(m);
    float l = 0.f;
    for (int j = lo + threadIdx.x; j < n; j += blockDim.x) l += expf(scale * s[j] - m);
    l = block_sum(l);
    const float inv = 1.f / l;
    for (int j = threadIdx.x; j < L; j += blockDim.x) {
        const float p = j >= lo && j < n ? expf(scale * s[j] - m) * inv : 0.f;
        if (Plo) {
            const float h = ld_bf16_rounded(p);
            st(P, DT_BF16, r * L + j, h);
            st(Plo, DT_BF16, r * L + j, p - h);
        } else {
            st(P, dtp, r * L + j, p);
        }
    }
    if (lse && threadIdx.x == 0) lse[r] = m + logf(l);
}
