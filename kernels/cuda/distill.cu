// distill.cu: the distillation loss of kernels.TrainOps.DistillLoss and its
// gradient, one block per row, on the device (the logits never leave it).
//
// Per row, with q = softmax(z/T), q1 = softmax(z) and buckets b (the
// vocabulary for full teacher logits, or the top-k ids plus the tail):
//
//	loss = Alpha T^2 D(p, q~) + (1 - Alpha) (lse1 - z_target)
//	dz_i = Scale (Alpha T (h_b(i) q_i / q~_b(i) - q_i sum_b h_b)
//	              + (1 - Alpha) (q1_i - [i == target]))
//
// h_b = q~_b dD/dq~_b (see bucket). The passes over the row recompute q_i
// from the logits instead of storing it, so dlogits may alias logits: every
// value a later pass needs at another index (the top-k ids' logits) is
// saved in shared memory before the first write.
#include "common.cuh"

#define DIV_FWD 0
#define DIV_REV 1
#define DIV_JSD 2
#define MIN_TAIL_LOGPROB -46.0f

// bucket returns one bucket's divergence term and sets h, for teacher
// log-prob lp (prob pr) and student log-prob lq (prob q); as the CPU's.
__device__ double bucket(int div, float beta, float lp, float pr, float lq, float q, float* h) {
    double loss = 0.0;
    *h = 0.f;
    if (div == DIV_FWD) {
        if (pr > 0.f) loss = (double)pr * (double)(lp - lq);
        *h = -pr;
        return loss;
    }
    if (div == DIV_REV) {
        if (q > 0.f) {
            loss = (double)q * (double)(lq - lp);
            *h = q * (lq - lp + 1.f);
        }
        return loss;
    }
    double a = (double)lp + log((double)beta), c = (double)lq + log(1.0 - (double)beta);
    if (a < c) {
        double t = a;
        a = c;
        c = t;
    }
    double lm = a;
    if (!isinf(a)) lm = a + log1p(exp(c - a));
    if (pr > 0.f) loss += (double)beta * (double)pr * ((double)lp - lm);
    if (q > 0.f) {
        double qt = (1.0 - (double)beta) * (double)q * ((double)lq - lm);
        loss += qt;
        *h = (float)qt;
    }
    return loss;
}

__device__ __forceinline__ double block_sum_d(double v) {
    __shared__ double s[32];
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if (lane == 0) s[w] = v;
    __syncthreads();
    v = lane < nw ? s[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// row_lse_scaled returns logsumexp(x[base..base+V) * s).
__device__ float row_lse_scaled(const void* x, int dt, ll base, int V, float s) {
    float m = -INFINITY;
    for (int c = threadIdx.x; c < V; c += blockDim.x) m = fmaxf(m, ld(x, dt, base + c) * s);
    m = block_max(m);
    float acc = 0.f;
    for (int c = threadIdx.x; c < V; c += blockDim.x) acc += expf(ld(x, dt, base + c) * s - m);
    return m + logf(block_sum(acc));
}

// k_distill: grid N, dynamic shared (top-k only) ceil(V/32) words of id
// bitmap + 3k floats. d, tl, ids/lps and targets may be null as
// kernels.TrainOps allows.
extern "C" __global__ void k_distill(float* losses, void* d, int dtd, const void* x, int dtx, const void* tl, int dtt,
                                     const int* ids, const void* lps, int dtl, const int* targets, int V, int k,
                                     int div, float T, float alpha, float beta, float scale) {
    extern __shared__ unsigned smem[];
    const ll r = blockIdx.x, base = r * V;
    const int target = targets ? targets[r] : 0;
    if (target < 0) {
        if (threadIdx.x == 0) losses[r] = 0.f;
        if (d)
            for (int c = threadIdx.x; c < V; c += blockDim.x) st(d, dtd, base + c, 0.f);
        return;
    }
    const float invT = 1.f / T;
    const float lseS = row_lse_scaled(x, dtx, base, V, invT);
    float lse1 = lseS;
    double ce = 0.0;
    if (alpha < 1.f) {
        if (T != 1.f) lse1 = row_lse_scaled(x, dtx, base, V, 1.f);
        ce = (double)lse1 - (double)ld(x, dtx, base + target);
    }
    double kd = 0.0, c = 0.0;
    float rho = 0.f;
    const bool full = tl != nullptr;
    float lseT = 0.f;
    unsigned* bits = smem;
    const int nwords = (V + 31) >> 5;
    float* sh = (float*)(smem + nwords); // h_j
    float* sq = sh + k;                  // q at ids[j]
    float* sx = sq + k;                  // logit at ids[j]
    if (alpha > 0.f && full) {
        lseT = row_lse_scaled(tl, dtt, base, V, invT);
        double kp = 0.0, cp = 0.0;
        for (int i = threadIdx.x; i < V; i += blockDim.x) {
            float lp = ld(tl, dtt, base + i) * invT - lseT;
            float lq = ld(x, dtx, base + i) * invT - lseS;
            float h;
            kp += bucket(div, beta, lp, expf(lp), lq, expf(lq), &h);
            cp += h;
        }
        kd = block_sum_d(kp);
        c = block_sum_d(cp);
    } else if (alpha > 0.f) {
        for (int w = threadIdx.x; w < nwords; w += blockDim.x) bits[w] = 0u;
        __syncthreads();
        double kp = 0.0, cp = 0.0, pp = 0.0;
        for (int j = threadIdx.x; j < k; j += blockDim.x) {
            int id = ids[r * k + j];
            atomicOr(&bits[id >> 5], 1u << (id & 31));
            float lp = ld(lps, dtl, r * k + j);
            pp += exp((double)lp);
            float xv = ld(x, dtx, base + id);
            float lq = xv * invT - lseS, q = expf(lq), h;
            kp += bucket(div, beta, lp, expf(lp), lq, q, &h);
            cp += h;
            sh[j] = h;
            sq[j] = q;
            sx[j] = xv;
        }
        __syncthreads();
        double tp = 0.0; // Q_tail summed over the tail itself (no cancellation)
        for (int i = threadIdx.x; i < V; i += blockDim.x)
            if (!(bits[i >> 5] >> (i & 31) & 1u)) tp += expf(ld(x, dtx, base + i) * invT - lseS);
        kd = block_sum_d(kp);
        c = block_sum_d(cp);
        const double pS = block_sum_d(pp), qTail = block_sum_d(tp);
        if (k < V) {
            float lpT = (float)fmax(log(fmax(0.0, 1.0 - pS)), (double)MIN_TAIL_LOGPROB);
            float lqT = (float)log(qTail), hT;
            kd += bucket(div, beta, lpT, expf(lpT), lqT, (float)qTail, &hT);
            c += hT;
            if (qTail > 0.0) rho = (float)((double)hT / qTail);
        }
    }
    if (threadIdx.x == 0) losses[r] = (float)((double)alpha * (double)(T * T) * kd + (double)(1.f - alpha) * ce);
    if (!d) return;
    __syncthreads(); // every read of x (the block sums above) is done before d, maybe x, is written
    const float sA = scale * alpha * T, sW = scale * (1.f - alpha), cf = (float)c;
    const float kq = sA * (rho - cf);
    for (int i = threadIdx.x; i < V; i += blockDim.x) {
        float xv = ld(x, dtx, base + i);
        float q1 = alpha < 1.f ? expf(xv - lse1) : 0.f;
        float g;
        if (alpha == 0.f) {
            g = sW * q1;
        } else if (full) {
            float lp = ld(tl, dtt, base + i) * invT - lseT, lq = xv * invT - lseS, q = expf(lq), h;
            bucket(div, beta, lp, expf(lp), lq, q, &h);
            g = sA * (h - q * cf) + sW * q1;
        } else {
            g = kq * expf(xv * invT - lseS) + sW * q1;
        }
        st(d, dtd, base + i, g);
    }
    if (alpha > 0.f && !full) {
        __syncthreads();
        for (int j = threadIdx.x; j < k; j += blockDim.x) {
            float q1 = alpha < 1.f ? expf(sx[j] - lse1) : 0.f;
            st(d, dtd, base + ids[r * k + j], sA * (sh[j] - sq[j] * cf) + sW * q1);
        }
    }
    if (alpha < 1.f) {
        __syncthreads();
        if (threadIdx.x == 0) st(d, dtd, base + target, ld(d, dtd, base + target) - sW);
    }
}
