// The innermost loops of detection, kept apart so each can be compiled twice: for the x86-64-v2
// baseline every build targets, and for AVX2, chosen at load time on CPUs that have it (GCC
// function multi-versioning). The arithmetic is identical in both; -ffp-contract=off keeps the
// compiler from fusing multiply-adds, so the TypeScript twin still rounds the same way, and
// -fno-trapping-math lets it turn the conditional selects into vector blends.
#pragma once

#include <cstdint>

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define ASTERISM_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ASTERISM_VECTOR_CLONES
#endif

namespace asterism::kernels {

// dst[x] += w * src[x] for x in [0, n).
void accumulate(float* dst, const float* src, float w, int n);

// dst[x] = w * src[x] for x in [0, n).
void scale(float* dst, const float* src, float w, int n);

// out[x] = finite(src[x]) && !padding[x] ? src[x] - background[x] : 0; padding may be null.
void flatten(const float* src, const float* background, const uint8_t* padding, float* out,
             int n);

// out[x] = v + u (b + u (c + u d)) with u = x0 + x - k, for x in [0, n).
void cubic(float* out, int x0, int n, double k, double v, double b, double c, double d);

// Minimum of the finite values and the number of non-finite ones.
void finiteMin(const float* src, int64_t n, float& minValue, int64_t& nonFinite);

// Smallest x in [from, n) with src[x] > level, or n.
int firstAbove(const float* src, int from, int n, float level);

// Number of values equal to `value`.
int64_t countEqual(const float* src, int64_t n, float value);

}  // namespace asterism::kernels
