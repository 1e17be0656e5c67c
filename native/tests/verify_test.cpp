// asterism::verify: the log-odds model against a brute-force reading of it, the worked cases,
// argument checks, and inputs at absurd scales (which must not crash or read out of bounds).
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "harness.h"
#include "verify/verify.h"

namespace {

namespace v = asterism::verify;
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Case {
  std::vector<double> field;
  std::vector<double> index;
  std::vector<double> sigma2;
  std::vector<uint32_t> skipField;
  std::vector<uint32_t> skipIndex;
  double width = 1000;
  double height = 800;
  double distractorFraction = v::kDefaultDistractorFraction;
  size_t maxFieldStars = std::numeric_limits<size_t>::max();
  double bail = v::kDefaultLogOddsBail;
  double stop = kInf;

  v::VerifyInput input() const {
    v::VerifyInput in;
    in.fieldXY = field.data();
    in.fieldCount = field.size() / 2;
    in.indexXY = index.data();
    in.indexSigma2 = sigma2.data();
    in.indexCount = index.size() / 2;
    in.skipField = skipField.data();
    in.skipFieldCount = skipField.size();
    in.skipIndex = skipIndex.data();
    in.skipIndexCount = skipIndex.size();
    in.width = width;
    in.height = height;
    in.distractorFraction = distractorFraction;
    in.maxFieldStars = maxFieldStars;
    in.logOddsBail = bail;
    in.logOddsStop = stop;
    return in;
  }
};

struct Outcome {
  v::VerifyStatus status = v::VerifyStatus::Ok;
  v::VerifyResult result;
  std::vector<int32_t> fieldMatch;
};

Outcome run(const Case& c, v::VerifyWorkspace& ws) {
  Outcome o;
  o.fieldMatch.assign(c.field.size() / 2, 7);  // 7: "not written"
  o.status = v::verifyHypothesis(c.input(), ws, o.result, o.fieldMatch.data());
  return o;
}

Outcome run(const Case& c) {
  v::VerifyWorkspace ws;
  return run(c, ws);
}

int32_t firstMatch(const Case& c) { return run(c).fieldMatch.at(0); }

// The model written out naively: every index star tested for every field star.
Outcome bruteForce(const Case& c) {
  const size_t n = c.field.size() / 2, m = c.index.size() / 2;
  const std::set<uint32_t> skipF(c.skipField.begin(), c.skipField.end());
  const std::set<uint32_t> skipI(c.skipIndex.begin(), c.skipIndex.end());
  const double M = static_cast<double>(m - skipI.size());
  const double A = c.width * c.height, d = c.distractorFraction;
  std::vector<bool> taken(m, false);
  Outcome o;
  o.fieldMatch.assign(n, -1);
  v::VerifyResult& r = o.result;
  for (size_t j = 0; j < n && r.evaluated < c.maxFieldStars; ++j) {
    if (skipF.count(static_cast<uint32_t>(j)) != 0) continue;
    ++r.evaluated;
    long best = -1;
    double bestScore = kInf, bestR2 = 0;
    for (size_t i = 0; i < m; ++i) {
      if (skipI.count(static_cast<uint32_t>(i)) != 0) continue;
      const double dx = c.field[2 * j] - c.index[2 * i], dy = c.field[2 * j + 1] - c.index[2 * i + 1];
      const double r2 = dx * dx + dy * dy;
      if (r2 / c.sigma2[i] <= 25 && r2 / c.sigma2[i] < bestScore) {
        best = static_cast<long>(i);
        bestScore = r2 / c.sigma2[i];
        bestR2 = r2;
      }
    }
    double fg = d / A;
    if (best >= 0 && taken[best]) {
      ++r.conflicts;
    } else if (best >= 0) {
      taken[best] = true;
      o.fieldMatch[j] = static_cast<int32_t>(best);
      ++r.matched;
      const double s2 = c.sigma2[best];
      fg = (1 - d) / M * std::exp(-bestR2 / (2 * s2)) / (6.283185307179586 * s2) + d / A;
    }
    r.logOdds += std::log(fg / (1 / A));
    if (r.logOdds > r.bestLogOdds) {
      r.bestLogOdds = r.logOdds;
      r.bestAt = r.evaluated;
    }
    if (r.logOdds < c.bail || r.logOdds > c.stop) break;
  }
  return o;
}

void checkSame(const Outcome& a, const Outcome& b) {
  CHECK(a.status == b.status);
  CHECK_NEAR(a.result.logOdds, b.result.logOdds, 1e-9 * std::max(1.0, std::fabs(b.result.logOdds)));
  CHECK_NEAR(a.result.bestLogOdds, b.result.bestLogOdds, 1e-9 * std::max(1.0, std::fabs(b.result.bestLogOdds)));
  CHECK_EQ(a.result.bestAt, b.result.bestAt);
  CHECK_EQ(a.result.evaluated, b.result.evaluated);
  CHECK_EQ(a.result.matched, b.result.matched);
  CHECK_EQ(a.result.conflicts, b.result.conflicts);
  CHECK(a.fieldMatch == b.fieldMatch);
}

// A field of n stars, an index of a fraction of them moved by noise plus extra stars of its own.
Case randomCase(std::mt19937& gen, int kind) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  Case c;
  c.width = kind == 4 ? 1 + 19 * u(gen) : 200 + 2800 * u(gen);
  c.height = kind == 4 ? 1 + 19 * u(gen) : 200 + 2800 * u(gen);
  const size_t n = static_cast<size_t>(u(gen) * (kind == 5 ? 40 : 300));
  const double fraction = kind == 1 ? 0 : 0.2 + 0.7 * u(gen);
  const double noise = 3 * u(gen);
  const double base = kind == 3 ? std::pow(10.0, -6 + 11 * u(gen)) : kind == 5 ? 50 + 450 * u(gen) : 0.3 + 6 * u(gen);
  for (size_t j = 0; j < n; ++j) {
    c.field.push_back(u(gen) * c.width);
    c.field.push_back(u(gen) * c.height);
  }
  for (size_t j = 0; j < n; ++j) {
    if (u(gen) >= fraction) continue;
    c.index.push_back(c.field[2 * j] + noise * normal(gen));
    c.index.push_back(c.field[2 * j + 1] + noise * normal(gen));
  }
  const size_t extra = static_cast<size_t>(u(gen) * 150);
  for (size_t k = 0; k < extra; ++k) {
    c.index.push_back(u(gen) * c.width * (kind == 2 ? 3 : 1) - (kind == 2 ? c.width : 0));
    c.index.push_back(u(gen) * c.height);
  }
  const size_t m = c.index.size() / 2;
  for (size_t i = 0; i < m; ++i) c.sigma2.push_back(base * (1 + u(gen)));
  if (n > 0 && u(gen) < 0.5) {
    for (int k = 0; k < 3; ++k) c.skipField.push_back(static_cast<uint32_t>(u(gen) * n));
  }
  if (m > 0 && u(gen) < 0.5) {
    for (int k = 0; k < 3; ++k) c.skipIndex.push_back(static_cast<uint32_t>(u(gen) * m));
  }
  if (u(gen) < 0.3) c.maxFieldStars = static_cast<size_t>(u(gen) * n);
  if (u(gen) < 0.3) c.distractorFraction = 0.01 + 0.98 * u(gen);
  if (u(gen) < 0.3) c.bail = -1 - 99 * u(gen);
  if (u(gen) < 0.2) c.stop = 1 + 199 * u(gen);
  return c;
}

TEST(verify_matches_brute_force) {
  std::mt19937 gen(2010);
  v::VerifyWorkspace shared;  // reused across sizes, as the binding's thread_local one is
  for (int t = 0; t < 300; ++t) {
    const Case c = randomCase(gen, t % 6);
    const Outcome expected = bruteForce(c);
    checkSame(run(c), expected);
    checkSame(run(c, shared), expected);
  }
}

TEST(verify_single_match_formula) {
  Case c;
  c.width = 640;
  c.height = 480;
  c.field = {300, 200};
  c.index = {10, 10, 300.3, 199.6, 600, 400};
  c.sigma2 = {1, 2, 1};
  c.distractorFraction = 0.1;
  const Outcome o = run(c);
  CHECK(o.status == v::VerifyStatus::Ok);
  const double A = 640.0 * 480.0;
  const double expected = std::log(0.9 * A * std::exp(-0.25 / 4) / (3 * 2 * M_PI * 2) + 0.1);
  CHECK_NEAR(o.result.logOdds, expected, 1e-10);
  CHECK_EQ(o.result.matched, 1u);
  CHECK_EQ(o.fieldMatch[0], 1);
  CHECK_EQ(o.result.bestAt, 1u);
}

TEST(verify_conflicts_ties_and_radius) {
  Case c;
  c.width = c.height = 500;
  c.field = {100, 100, 101, 100, 300, 300};
  c.index = {100.2, 100, 300, 300.5};
  c.sigma2 = {1, 1};
  Outcome o = run(c);
  CHECK_EQ(o.result.matched, 2u);
  CHECK_EQ(o.result.conflicts, 1u);
  CHECK((o.fieldMatch == std::vector<int32_t>{0, -1, 1}));

  c.field = {100, 100};
  c.index = {103, 100, 101, 100, 99, 100};
  c.sigma2 = {1, 1, 1};
  CHECK_EQ(firstMatch(c), 1);  // tie between 1 and 2: the lower index
  c.index = {101, 100, 102, 100};
  c.sigma2 = {1, 16};
  CHECK_EQ(firstMatch(c), 1);  // 4/16 < 1/1

  c.field = {0, 0};
  c.index = {3, 4};
  c.sigma2 = {1};
  CHECK_EQ(run(c).result.matched, 1u);  // exactly 5σ
  c.index = {3, 4.000001};
  o = run(c);
  CHECK_EQ(o.result.matched, 0u);
  CHECK_NEAR(o.result.logOdds, std::log(0.25), 1e-12);
  CHECK_EQ(o.result.bestLogOdds, 0.0);
  CHECK_EQ(o.result.bestAt, 0u);
}

TEST(verify_skips_and_limits) {
  Case c;
  c.width = c.height = 500;
  c.field = {100, 100, 200, 200, 300, 300};
  c.index = {100, 100, 200, 200, 300, 300};
  c.sigma2 = {1, 1, 1};
  c.skipField = {0, 0};
  c.skipIndex = {1};
  Outcome o = run(c);
  CHECK_EQ(o.result.evaluated, 2u);
  CHECK((o.fieldMatch == std::vector<int32_t>{-1, -1, 2}));
  const double A = 250000.0;
  CHECK_NEAR(o.result.logOdds, std::log(0.25) + std::log(0.75 * A / (2 * 2 * M_PI) + 0.25), 1e-10);

  c.skipIndex = {0, 1, 2};
  o = run(c);
  CHECK_EQ(o.result.matched, 0u);
  CHECK_NEAR(o.result.logOdds, 2 * std::log(0.25), 1e-12);

  c.skipField.clear();
  c.skipIndex.clear();
  c.maxFieldStars = 0;
  o = run(c);
  CHECK_EQ(o.result.evaluated, 0u);
  CHECK((o.fieldMatch == std::vector<int32_t>{-1, -1, -1}));

  c.maxFieldStars = std::numeric_limits<size_t>::max();
  // Each match adds ln(0.75 / 3 · A / 2π + 0.25) ≈ 9.2.
  c.stop = 10;
  CHECK_EQ(run(c).result.evaluated, 2u);
  c.stop = 5;
  CHECK_EQ(run(c).result.evaluated, 1u);

  c.stop = kInf;
  c.index = {400, 10};
  c.sigma2 = {1};
  c.bail = -2;
  o = run(c);
  CHECK_EQ(o.result.evaluated, 2u);  // ln 0.25 · 2 = −2.77 < −2
  CHECK(o.result.logOdds < -2);
}

TEST(verify_rejects_bad_input_and_writes_nothing) {
  Case good;
  good.width = good.height = 10;
  good.field = {1, 2, 3, 4};
  good.index = {1, 2, 9, 9};
  good.sigma2 = {1, 1};
  CHECK(run(good).status == v::VerifyStatus::Ok);
  auto expectStatus = [](const Case& c, v::VerifyStatus status) {
    const Outcome o = run(c);
    CHECK(o.status == status);
    for (int32_t m : o.fieldMatch) CHECK_EQ(m, 7);
    CHECK(std::string(v::verifyStatusMessage(status)).size() > 3);
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Case c = good;
  c.field[1] = nan;
  expectStatus(c, v::VerifyStatus::NonFiniteCoordinate);
  c = good;
  c.index[2] = kInf;
  expectStatus(c, v::VerifyStatus::NonFiniteCoordinate);
  for (double s : {0.0, -1.0, nan, kInf}) {
    c = good;
    c.sigma2[1] = s;
    expectStatus(c, v::VerifyStatus::BadSigma);
  }
  for (double w : {0.0, -3.0, nan, kInf, 1e200}) {
    c = good;
    c.width = w;
    c.height = w == 1e200 ? 1e200 : 10;
    expectStatus(c, v::VerifyStatus::BadImageSize);
  }
  c = good;
  c.width = c.height = 1e-200;  // the area underflows to 0
  expectStatus(c, v::VerifyStatus::BadImageSize);
  for (double d : {0.0, 1.0, nan, -0.5}) {
    c = good;
    c.distractorFraction = d;
    expectStatus(c, v::VerifyStatus::BadDistractorFraction);
  }
  c = good;
  c.bail = nan;
  expectStatus(c, v::VerifyStatus::BadLogOddsLimit);
  c = good;
  c.stop = nan;
  expectStatus(c, v::VerifyStatus::BadLogOddsLimit);
  c = good;
  c.skipField = {2};
  expectStatus(c, v::VerifyStatus::SkipOutOfRange);
  c = good;
  c.skipIndex = {0, 0xFFFFFFFFu};
  expectStatus(c, v::VerifyStatus::SkipOutOfRange);
}

// Coordinates, variances and image sizes at the edges of the double range: no crash, no UB, and
// still the brute-force answer wherever the arithmetic stays finite.
TEST(verify_survives_absurd_scales) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double scales[] = {1e-300, 1e-150, 1e-20, 1, 1e20, 1e150, 1e300};
  for (int t = 0; t < 400; ++t) {
    Case c;
    c.width = scales[gen() % 4 + 1] * (0.5 + u(gen));
    c.height = scales[gen() % 4 + 1] * (0.5 + u(gen));
    const double coordScale = scales[gen() % 7];
    const double sigmaScale = scales[gen() % 7];
    const size_t n = gen() % 30, m = gen() % 30;
    for (size_t j = 0; j < 2 * n; ++j) c.field.push_back((u(gen) - 0.3) * coordScale);
    for (size_t i = 0; i < 2 * m; ++i) {
      c.index.push_back(i < 2 * n && u(gen) < 0.5 ? c.field[i] : (u(gen) - 0.3) * coordScale);
    }
    for (size_t i = 0; i < m; ++i) c.sigma2.push_back(sigmaScale * (0.5 + u(gen)));
    if (u(gen) < 0.5) c.bail = -kInf;
    const Outcome o = run(c);
    if (o.status != v::VerifyStatus::Ok) {
      CHECK(o.status == v::VerifyStatus::BadImageSize);
      continue;
    }
    const Outcome b = bruteForce(c);
    CHECK_EQ(o.result.matched, b.result.matched);
    CHECK_EQ(o.result.conflicts, b.result.conflicts);
    CHECK_EQ(o.result.evaluated, b.result.evaluated);
    CHECK(o.fieldMatch == b.fieldMatch);
  }
}

}  // namespace
