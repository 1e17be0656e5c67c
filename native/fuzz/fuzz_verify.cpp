// Fuzz target for asterism::verify::verifyHypothesis.
//
// Input layout (missing bytes read as 0):
//   0      field stars n  (mod 201)
//   1      index stars m  (mod 201)
//   2      flags: bit 0 raw doubles (coordinates and variances are any 8-byte pattern: NaN,
//          infinities, subnormals); bit 1 logOddsBail = -inf; bit 2 logOddsStop finite; bit 3
//          index star i copies field star i mod n (plus jitter), so there are matches
//   3      width  / 8    (0: width 0, invalid; 254: 1e200, so the area can overflow; 255: NaN)
//   4      height / 8    (likewise)
//   5      variance scale 10^((b − 160) / 16) (0: variance 0, 255: −1, both invalid)
//   6      distractorFraction × 255 (0 and 255 invalid)
//   7      maxFieldStars (255: no limit)
//   8      −logOddsBail
//   9      logOddsStop (with flag bit 2)
//   10     bits 0-2 skipField count, bits 3-5 skipIndex count; each entry is a body byte
//          mod (count + 2), so some are out of range on purpose
//   11     jitter of copied stars, in 1/64 pixels
//   12..   body, read cyclically: skip entries, then coordinates (2 bytes each, spread over
//          [−0.1, 1.1] × the image) and variance factors (1 byte), or raw doubles (8 bytes each)
// Besides "no crash, no sanitizer report", the target checks the result's invariants and that
// the grid search gives exactly the matches of a brute-force search over all index stars.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "verify/verify.h"

namespace {

namespace v = asterism::verify;
constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxStars = 200;

// Aborts so that libFuzzer and the replay driver both report the input.
void require(bool condition) {
  if (!condition) std::abort();
}

class Body {
 public:
  Body(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return size_ == 0 ? 0 : data_[next_++ % size_]; }
  uint16_t u16() { return static_cast<uint16_t>(byte() | byte() << 8); }
  double raw() {
    uint8_t bytes[8];
    for (uint8_t& b : bytes) b = byte();
    double value;
    std::memcpy(&value, bytes, sizeof value);
    return value;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t next_ = 0;
};

double side(uint8_t code) {
  if (code == 254) return 1e200;
  if (code == 255) return std::numeric_limits<double>::quiet_NaN();
  return code * 8.0;
}

// Matches of the brute-force search (every index star, lowest index on ties), as the model says.
void bruteForceMatches(const v::VerifyInput& in, const v::VerifyResult& result, std::vector<int32_t>& out) {
  const size_t n = in.fieldCount, m = in.indexCount;
  std::vector<uint8_t> skipF(n, 0), state(m, 0);
  for (size_t k = 0; k < in.skipFieldCount; ++k) skipF[in.skipField[k]] = 1;
  for (size_t k = 0; k < in.skipIndexCount; ++k) state[in.skipIndex[k]] = 1;
  out.assign(n, -1);
  size_t evaluated = 0;
  for (size_t j = 0; j < n && evaluated < result.evaluated; ++j) {
    if (skipF[j] != 0) continue;
    ++evaluated;
    long best = -1;
    double bestScore = 0;
    for (size_t i = 0; i < m; ++i) {
      if (state[i] == 1) continue;
      const double dx = in.fieldXY[2 * j] - in.indexXY[2 * i];
      const double dy = in.fieldXY[2 * j + 1] - in.indexXY[2 * i + 1];
      const double score = (dx * dx + dy * dy) / in.indexSigma2[i];
      if (score <= 25 && (best < 0 || score < bestScore)) {
        best = static_cast<long>(i);
        bestScore = score;
      }
    }
    if (best >= 0 && state[best] == 0) {
      state[best] = 2;
      out[j] = static_cast<int32_t>(best);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t h[kHeaderSize] = {};
  if (size > 0) std::memcpy(h, data, size < kHeaderSize ? size : kHeaderSize);
  Body body(size > kHeaderSize ? data + kHeaderSize : nullptr, size > kHeaderSize ? size - kHeaderSize : 0);
  const size_t n = h[0] % (kMaxStars + 1);
  const size_t m = h[1] % (kMaxStars + 1);
  const bool raw = (h[2] & 1) != 0;
  const bool copies = (h[2] & 8) != 0;

  v::VerifyInput in;
  in.width = side(h[3]);
  in.height = side(h[4]);
  const double sigmaScale = h[5] == 0 ? 0.0 : h[5] == 255 ? -1.0 : std::pow(10.0, (h[5] - 160) / 16.0);
  in.distractorFraction = h[6] / 255.0;
  in.maxFieldStars = h[7] == 255 ? std::numeric_limits<size_t>::max() : h[7];
  in.logOddsBail = (h[2] & 2) != 0 ? -std::numeric_limits<double>::infinity() : -static_cast<double>(h[8]);
  in.logOddsStop = (h[2] & 4) != 0 ? static_cast<double>(h[9]) : std::numeric_limits<double>::infinity();
  const double jitter = h[11] / 64.0;

  std::vector<uint32_t> skipField(h[10] & 7), skipIndex((h[10] >> 3) & 7);
  for (uint32_t& s : skipField) s = body.byte() % static_cast<uint32_t>(n + 2);
  for (uint32_t& s : skipIndex) s = body.byte() % static_cast<uint32_t>(m + 2);

  const double w = std::isfinite(in.width) ? in.width : 100.0;
  const double hgt = std::isfinite(in.height) ? in.height : 100.0;
  std::vector<double> field(2 * n), index(2 * m), sigma2(m);
  for (size_t j = 0; j < n; ++j) {
    field[2 * j] = raw ? body.raw() : (body.u16() / 65535.0 * 1.2 - 0.1) * w;
    field[2 * j + 1] = raw ? body.raw() : (body.u16() / 65535.0 * 1.2 - 0.1) * hgt;
  }
  for (size_t i = 0; i < m; ++i) {
    if (copies && n > 0 && !raw) {
      const size_t j = i % n;
      index[2 * i] = field[2 * j] + jitter * (body.byte() / 127.5 - 1);
      index[2 * i + 1] = field[2 * j + 1] + jitter * (body.byte() / 127.5 - 1);
    } else {
      index[2 * i] = raw ? body.raw() : (body.u16() / 65535.0 * 1.2 - 0.1) * w;
      index[2 * i + 1] = raw ? body.raw() : (body.u16() / 65535.0 * 1.2 - 0.1) * hgt;
    }
    sigma2[i] = raw ? body.raw() : sigmaScale * (1 + body.byte() / 32.0);
  }

  // Exact-size heap copies, so a read past any array's end is an ASan report.
  auto exact = [](const auto& values) {
    using T = typename std::decay_t<decltype(values)>::value_type;
    T* p = static_cast<T*>(std::malloc(values.empty() ? 1 : values.size() * sizeof(T)));
    if (!values.empty()) std::memcpy(p, values.data(), values.size() * sizeof(T));
    return p;
  };
  double* fieldCopy = exact(field);
  double* indexCopy = exact(index);
  double* sigmaCopy = exact(sigma2);
  uint32_t* skipFieldCopy = exact(skipField);
  uint32_t* skipIndexCopy = exact(skipIndex);
  in.fieldXY = fieldCopy;
  in.fieldCount = n;
  in.indexXY = indexCopy;
  in.indexSigma2 = sigmaCopy;
  in.indexCount = m;
  in.skipField = skipFieldCopy;
  in.skipFieldCount = skipField.size();
  in.skipIndex = skipIndexCopy;
  in.skipIndexCount = skipIndex.size();

  // Reused between inputs of different sizes, as the binding's thread_local workspace is.
  static v::VerifyWorkspace workspace;
  std::vector<int32_t> fieldMatch(n, 7);
  v::VerifyResult result;
  const v::VerifyStatus status = v::verifyHypothesis(in, workspace, result, fieldMatch.data());

  require(v::verifyStatusMessage(status) != nullptr);
  if (status != v::VerifyStatus::Ok) {
    for (int32_t match : fieldMatch) require(match == 7);
  } else {
    std::vector<uint8_t> skippedField(n, 0);
    size_t skipped = 0;
    for (uint32_t s : skipField) {
      require(s < n);
      if (skippedField[s] == 0) ++skipped;
      skippedField[s] = 1;
    }
    require(result.evaluated <= n - skipped && result.evaluated <= in.maxFieldStars);
    require(result.matched + result.conflicts <= result.evaluated);
    require(result.bestAt <= result.evaluated);
    require(!(result.bestLogOdds < 0));
    std::vector<uint8_t> used(m, 0);
    size_t matched = 0;
    for (size_t j = 0; j < n; ++j) {
      const int32_t match = fieldMatch[j];
      require(match >= -1 && match < static_cast<int64_t>(m));
      if (match < 0) continue;
      require(skippedField[j] == 0 && used[match] == 0);
      for (uint32_t s : skipIndex) require(s != static_cast<uint32_t>(match));
      used[match] = 1;
      ++matched;
    }
    require(matched == result.matched);
    std::vector<int32_t> expected;
    bruteForceMatches(in, result, expected);
    require(expected == fieldMatch);
  }

  std::free(fieldCopy);
  std::free(indexCopy);
  std::free(sigmaCopy);
  std::free(skipFieldCopy);
  std::free(skipIndexCopy);
  return 0;
}
