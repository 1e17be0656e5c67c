#include "kernels.h"

#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace asterism::kernels {

ASTERISM_VECTOR_CLONES
void accumulate(float* __restrict dst, const float* __restrict src, float w, int n) {
  for (int x = 0; x < n; ++x) dst[x] += w * src[x];
}

ASTERISM_VECTOR_CLONES
void scale(float* __restrict dst, const float* __restrict src, float w, int n) {
  for (int x = 0; x < n; ++x) dst[x] = w * src[x];
}

ASTERISM_VECTOR_CLONES
void flatten(const float* __restrict src, const float* __restrict background,
             const uint8_t* __restrict padding, float* __restrict out, int n) {
  // v - v == 0 is false exactly for NaN and infinities; unlike std::isfinite it vectorises.
  if (padding == nullptr) {
    for (int x = 0; x < n; ++x) {
      const float v = src[x];
      out[x] = v - v == 0.0f ? v - background[x] : 0.0f;
    }
  } else {
    for (int x = 0; x < n; ++x) {
      const float v = src[x];
      out[x] = v - v == 0.0f && !padding[x] ? v - background[x] : 0.0f;
    }
  }
}

ASTERISM_VECTOR_CLONES
void cubic(float* __restrict out, int x0, int n, double k, double v, double b, double c, double d) {
  for (int i = 0; i < n; ++i) {
    const double u = (x0 + i) - k;
    out[i] = static_cast<float>(v + u * (b + u * (c + u * d)));
  }
}

void finiteMin(const float* __restrict src, int64_t n, float& minValue, int64_t& nonFinite) {
  const float inf = std::numeric_limits<float>::infinity();
  int64_t i = 0;
  float m = inf;
  int64_t count = 0;
#if defined(__SSE2__)
  // The compiler will not vectorise a float minimum (it may not reorder the reduction), so this
  // one loop is written with SSE2 intrinsics, which every x86-64 CPU has. Non-finite values are
  // replaced by +inf before the minimum; x - x is 0 exactly for finite x.
  const __m128 infs = _mm_set1_ps(inf);
  const __m128 zero = _mm_setzero_ps();
  __m128 lane = infs;
  __m128i bad = _mm_setzero_si128();
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_loadu_ps(src + i);
    const __m128 finite = _mm_cmpeq_ps(_mm_sub_ps(v, v), zero);
    lane = _mm_min_ps(lane, _mm_or_ps(_mm_and_ps(finite, v), _mm_andnot_ps(finite, infs)));
    // A false comparison is all ones, -1 as an integer: subtracting it counts.
    bad = _mm_sub_epi32(bad, _mm_castps_si128(_mm_cmpneq_ps(_mm_sub_ps(v, v), zero)));
  }
  alignas(16) float lanes[4];
  alignas(16) int32_t counts[4];
  _mm_store_ps(lanes, lane);
  _mm_store_si128(reinterpret_cast<__m128i*>(counts), bad);
  for (int l = 0; l < 4; ++l) {
    m = lanes[l] < m ? lanes[l] : m;
    count += counts[l];
  }
#endif
  for (; i < n; ++i) {
    const float v = src[i];
    const bool finite = v - v == 0.0f;
    count += finite ? 0 : 1;
    m = finite && v < m ? v : m;
  }
  minValue = m;
  nonFinite = count;
}

ASTERISM_VECTOR_CLONES
int firstAbove(const float* __restrict src, int from, int n, float level) {
  // Sky rows are scanned 16 values at a time with a branch-free test; only a block holding a
  // value above the level is searched value by value.
  constexpr int kBlock = 16;
  int x = from;
  while (x + kBlock <= n) {
    int any = 0;
    for (int k = 0; k < kBlock; ++k) any |= src[x + k] > level ? 1 : 0;
    if (any) break;
    x += kBlock;
  }
  for (; x < n; ++x) {
    if (src[x] > level) return x;
  }
  return n;
}

ASTERISM_VECTOR_CLONES
int64_t countEqual(const float* __restrict src, int64_t n, float value) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += src[i] == value ? 1 : 0;
  return count;
}

}  // namespace asterism::kernels
