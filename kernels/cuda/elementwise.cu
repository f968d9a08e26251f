// elementwise.cu: fill, add, scale, casts, bias, activations and their
// backward passes. One thread per element (grid-stride loops); the bias
// and weight-gradient column sums use one thread per column so no atomics
// are needed and results are deterministic.
#include "common.cuh"

extern "C" __global__ void k_fill(void* p, int dt, ll n, float v) {
    GRID_STRIDE(i, n) st(p, dt, i, v);
}

extern "C" __global__ void k_add(void* o, int dto, const void* a, int dta, const void* b, int dtb, ll n) {
    GRID_STRIDE(i, n) st(o, dto, i, ld(a, dta, i) + ld(b, dtb, i));
}

extern "C" __global__ void k_scale(void* p, int dt, ll n, float s) {
    GRID_STRIDE(i, n) st(p, dt, i, ld(p, dt, i) * s);
}

extern "C" __global__ void k_cast(void* o, int dto, const void* a, int dta, ll n) {
    GRID_STRIDE(i, n) st(o, dto, i, ld(a, dta, i));
}

extern "C" __global__ void k_add_bias(void* x, int dtx, const void* bias, int dtb, ll n, int C) {
    GRID_STRIDE(i, n) st(x, dtx, i, ld(x, dtx, i) + ld(bias, dtb, i % C));
}

// k_col_sum: o[c] += sum_n a[n, c] (bias gradient).
extern "C" __global__ void k_col_sum(void* o, int dto, const void* a, int dta, ll N, int C) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    float s = 0.f;
    for (ll r = 0; r < N; r++) s += ld(a, dta, r * C + c);
    acc(o, dto, c, s);
}

__device__ __forceinline__ float sigmoidf(float x) { return 1.f / (1.f + expf(-x)); }

extern "C" __global__ void k_swiglu(void* o, int dto, const void* g, int dtg, const void* u, int dtu, ll n) {
    GRID_STRIDE(i, n) {
        float x = ld(g, dtg, i);
        st(o, dto, i, x * sigmoidf(x) * ld(u, dtu, i));
    }
}

extern "C" __global__ void k_swiglu_bwd(void* dg, int dtdg, void* du, int dtdu, const void* dout, int dtdo,
                                        const void* g, int dtg, const void* u, int dtu, ll n) {
    GRID_STRIDE(i, n) {
        float x = ld(g, dtg, i), up = ld(u, dtu, i), d = ld(dout, dtdo, i);
        float s = sigmoidf(x);
        acc(dg, dtdg, i, d * up * s * (1.f + x * (1.f - s)));
        acc(du, dtdu, i, d * x * s);
    }
}

#define GELU_SCALE 0.7978845608028654f // sqrt(2/pi)

extern "C" __global__ void k_gelu(void* o, int dto, const void* x, int dtx, ll n) {
    GRID_STRIDE(i, n) {
        float v = ld(x, dtx, i);
        float t = tanhf(GELU_SCALE * (v + 0.044715f * v * v * v));
        st(o, dto, i, 0.5f * v * (1.f + t));
    }
}

extern "C" __global__ void k_gelu_bwd(void* dx, int dtdx, const void* dout, int dtdo, const void* x, int dtx, ll n) {
    GRID_STRIDE(i, n) {
        float v = ld(x, dtx, i);
        float t = tanhf(GELU_SCALE * (v + 0.044715f * v * v * v));
        float grad = 0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * GELU_SCALE * (1.f + 3.f * 0.044715f * v * v);
        acc(dx, dtdx, i, ld(dout, dtdo, i) * grad);
    }
}

// k_copy_rows: dst [B, S, C] rows [pos, pos+T) of each batch entry = src [B, T, C].
extern "C" __global__ void k_copy_rows(void* dst, int dtd, const void* src, int dts, ll n, int T, int S, int C, int pos) {
    GRID_STRIDE(i, n) {
        ll c = i % C, r = i / C;
        ll b = r / T, t = r % T;
        st(dst, dtd, (b * S + pos + t) * C + c, ld(src, dts, i));
    }
}

// k_rope rotates pairs of each head's channels of x [N, H*hd] (row r has
// position posStart + r%T). style 0 pairs (2i, 2i+1), style 1 (i, i+hd/2).
// cs/sn are [npos, hd/2] tables computed on the host in float64 (as the CPU
// backend does) so both backends rotate by identical angles. sign -1 is
// the inverse rotation (backward).
extern "C" __global__ void k_rope(void* x, int dt, const float* cs, const float* sn, ll N, int T, int H, int hd,
                                  int style, int posStart, float sign) {
    int half = hd / 2;
    ll n = N * H * half;
    GRID_STRIDE(idx, n) {
        int i = (int)(idx % half);
        ll rh = idx / half;
        int h = (int)(rh % H);
        ll r = rh / H;
        ll pos = posStart + r % T;
        ll base = r * (ll)H * hd + (ll)h * hd;
        ll i0 = style == 0 ? base + 2 * i : base + i;
        ll i1 = style == 0 ? i0 + 1 : i0 + half;
        float c = cs[pos * half + i], s = sign * sn[pos * half + i];
        float a = ld(x, dt, i0), b = ld(x, dt, i1);
        st(x, dt, i0, a * c - b * s);
        st(x, dt, i1, a * s + b * c);
    }
}

// k_split_bf16 splits float32 a into hi = bf16(a) and lo = bf16(a - hi), so
// that hi + lo equals a to about 2^-17 relative: two bf16 tensor-core GEMMs
// against bf16 weights then give a float32-accurate product (MatMul).
// Non-finite a goes whole into hi (lo = 0: Inf - Inf would be NaN), and a
// finite a that rounds to bf16 infinity (|a| > 0x1.fep127) is truncated
// instead, so that hi + lo stays finite.
extern "C" __global__ void k_split_bf16(void* hi, void* lo, const float* a, ll n) {
    GRID_STRIDE(i, n) {
        const float v = a[i];
        if (!isfinite(v)) {
            st(hi, DT_BF16, i, v);
            st(lo, DT_BF16, i, 0.f);
            continue;
        }
        float h = ld_bf16_rounded(v);
        if (isinf(h)) h = __uint_as_float(__float_as_uint(v) & 0xffff0000u); // toward zero
        ((unsigned short*)hi)[i] = (unsigned short)(__float_as_uint(h) >> 16);
        st(lo, DT_BF16, i, v - h);
    }
}
