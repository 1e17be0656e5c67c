// asterism::kdtree: layout invariants of the build and range search against brute force.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "harness.h"
#include "kdtree/kdtree.h"

namespace {

namespace kd = asterism::kdtree;

struct Tree {
  int dim = 0;
  size_t count = 0;
  int levels = 0;
  std::vector<double> points;
  std::vector<uint32_t> ids;
  std::vector<double> bounds;

  kd::TreeView view() const {
    return kd::TreeView{dim, count, levels, points.data(), ids.data(), bounds.data()};
  }
};

Tree buildTree(const std::vector<double>& input, int dim, int leafSize, kd::KdStatus* status = nullptr) {
  Tree t;
  t.dim = dim;
  t.count = input.size() / static_cast<size_t>(dim);
  t.levels = kd::levelsFor(t.count, leafSize);
  t.points.resize(input.size());
  t.ids.resize(t.count);
  t.bounds.resize(kd::nodeCount(t.levels) * 2 * static_cast<size_t>(dim));
  const kd::KdStatus s = kd::build(input.data(), t.count, dim, leafSize, t.points.data(), t.ids.data(),
                                   t.bounds.data());
  if (status != nullptr) *status = s;
  return t;
}

// Points with ties: a third of the coordinates on a 1/8 grid, some ±0, a tenth duplicated points.
std::vector<double> randomPoints(size_t count, int dim, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> p(count * static_cast<size_t>(dim));
  for (size_t i = 0; i < count; ++i) {
    if (i > 0 && uniform(gen) < 0.1) {
      const size_t j = static_cast<size_t>(uniform(gen) * static_cast<double>(i));
      std::copy_n(p.begin() + static_cast<std::ptrdiff_t>(j * dim), dim,
                  p.begin() + static_cast<std::ptrdiff_t>(i * dim));
      continue;
    }
    for (int d = 0; d < dim; ++d) {
      const double u = uniform(gen);
      p[i * dim + d] = u < 0.3 ? std::round(uniform(gen) * 8) / 8 : u < 0.35 ? (u < 0.325 ? -0.0 : 0.0) : uniform(gen);
    }
  }
  return p;
}

std::vector<uint32_t> bruteForce(const Tree& t, const double* q, double radius) {
  const double r2 = radius * radius;
  std::vector<uint32_t> out;
  for (size_t i = 0; i < t.count; ++i) {
    double sum = 0.0;
    for (int d = 0; d < t.dim; ++d) {
      const double diff = t.points[i * t.dim + d] - q[d];
      sum += diff * diff;
    }
    if (sum <= r2) out.push_back(t.ids[i]);
  }
  return out;
}

// Every point present once with its input coordinates, bounds exact, leaves sorted by id, each
// internal node split so no left key exceeds a right key on some dimension.
void checkInvariants(const Tree& t, const std::vector<double>& input) {
  std::vector<char> seen(t.count, 0);
  for (size_t i = 0; i < t.count; ++i) {
    const uint32_t id = t.ids[i];
    CHECK(id < t.count);
    if (id >= t.count) return;
    CHECK(!seen[id]);
    seen[id] = 1;
    CHECK(std::memcmp(&t.points[i * t.dim], &input[id * t.dim], sizeof(double) * t.dim) == 0);
  }
  const size_t firstLeaf = kd::nodeCount(t.levels - 1);
  std::vector<size_t> stack{0, 0, t.count};
  while (!stack.empty()) {
    const size_t hi = stack.back(); stack.pop_back();
    const size_t lo = stack.back(); stack.pop_back();
    const size_t k = stack.back(); stack.pop_back();
    for (int d = 0; d < t.dim; ++d) {
      double mn = std::numeric_limits<double>::infinity();
      double mx = -mn;
      for (size_t i = lo; i < hi; ++i) {
        mn = std::min(mn, t.points[i * t.dim + d]);
        mx = std::max(mx, t.points[i * t.dim + d]);
      }
      CHECK_EQ(t.bounds[k * 2 * t.dim + d], mn);
      CHECK_EQ(t.bounds[k * 2 * t.dim + t.dim + d], mx);
      CHECK(!std::signbit(t.bounds[k * 2 * t.dim + d]) || t.bounds[k * 2 * t.dim + d] != 0.0);
    }
    if (k >= firstLeaf) {
      for (size_t i = lo + 1; i < hi; ++i) CHECK(t.ids[i] > t.ids[i - 1]);
      continue;
    }
    const size_t mid = lo + (hi - lo) / 2;
    stack.insert(stack.end(), {2 * k + 1, lo, mid, 2 * k + 2, mid, hi});
  }
}

}  // namespace

TEST(kdtree_levels) {
  CHECK_EQ(kd::levelsFor(0, 16), 1);
  CHECK_EQ(kd::levelsFor(32, 16), 1);
  CHECK_EQ(kd::levelsFor(33, 16), 2);
  CHECK_EQ(kd::levelsFor(65, 16), 3);
  CHECK_EQ(kd::levelsFor(2000000, 16), 17);
  CHECK_EQ(kd::nodeCount(17), size_t{131071});
}

TEST(kdtree_build_invariants) {
  for (int dim : {1, 2, 3, 4, 7}) {
    for (size_t count : {size_t{0}, size_t{1}, size_t{9}, size_t{33}, size_t{1000}, size_t{4099}}) {
      for (int leafSize : {1, 3, 16}) {
        const std::vector<double> input = randomPoints(count, dim, static_cast<uint32_t>(dim * 1000 + count + leafSize));
        kd::KdStatus status;
        const Tree t = buildTree(input, dim, leafSize, &status);
        CHECK(status == kd::KdStatus::Ok);
        checkInvariants(t, input);
      }
    }
  }
}

TEST(kdtree_all_points_identical) {
  // All points identical: the tree is the identity order, bounds a single point.
  const std::vector<double> same(300 * 4, 0.3);
  const Tree t = buildTree(same, 4, 4);
  for (size_t i = 0; i < t.count; ++i) CHECK_EQ(t.ids[i], static_cast<uint32_t>(i));
  std::vector<uint32_t> found;
  const double q[4] = {0.3, 0.3, 0.3, 0.3};
  kd::rangeSearch(t.view(), q, 0.0, found);
  CHECK_EQ(found.size(), size_t{300});
}

TEST(kdtree_range_search_matches_brute_force) {
  const double radii[] = {0.0, 1e-9, 0.003, 0.01, 0.05, 0.2, 0.7, 2.0, 1e6};
  for (int dim : {2, 3, 4, 5}) {
    const size_t count = 3000;
    const std::vector<double> input = randomPoints(count, dim, 77u + static_cast<uint32_t>(dim));
    const Tree t = buildTree(input, dim, dim == 3 ? 5 : 16);
    std::mt19937 gen(5u + static_cast<uint32_t>(dim));
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<double> queries;
    for (int i = 0; i < 60; ++i) {
      const size_t src = static_cast<size_t>(uniform(gen) * count);
      for (int d = 0; d < dim; ++d) {
        const double x = input[src * dim + d];
        queries.push_back(i % 3 == 0 ? x : i % 3 == 1 ? x + (uniform(gen) - 0.5) * 0.02 : uniform(gen) * 1.4 - 0.2);
      }
    }
    const size_t queryCount = queries.size() / static_cast<size_t>(dim);
    for (double radius : radii) {
      std::vector<uint32_t> ids;
      std::vector<uint32_t> offsets;
      CHECK(kd::rangeSearchBatch(t.view(), queries.data(), queryCount, radius, ids, offsets) == kd::KdStatus::Ok);
      CHECK_EQ(offsets.size(), queryCount + 1);
      for (size_t i = 0; i < queryCount; ++i) {
        const double* q = &queries[i * dim];
        const std::vector<uint32_t> expected = bruteForce(t, q, radius);
        std::vector<uint32_t> single;
        kd::rangeSearch(t.view(), q, radius, single);
        CHECK_MSG(single == expected, "dim " << dim << " radius " << radius << " query " << i << ": "
                                           << single.size() << " vs " << expected.size());
        const std::vector<uint32_t> fromBatch(ids.begin() + offsets[i], ids.begin() + offsets[i + 1]);
        CHECK(fromBatch == expected);
        if (radius == 0.0 && i % 3 == 0) CHECK(!expected.empty());
      }
      if (radius == 1e6) CHECK_EQ(ids.size(), count * queryCount);
    }
  }
}

TEST(kdtree_edge_cases) {
  const Tree empty = buildTree({}, 3, 16);
  CHECK_EQ(empty.levels, 1);
  std::vector<uint32_t> found;
  const double q[3] = {0, 0, 0};
  kd::rangeSearch(empty.view(), q, 1e6, found);
  CHECK(found.empty());

  const Tree one = buildTree({0.5, 0.25, 0.125}, 3, 16);
  const double at[3] = {0.5, 0.25, 0.125};
  kd::rangeSearch(one.view(), at, 0.0, found);
  CHECK(found == std::vector<uint32_t>{0});

  kd::KdStatus status;
  buildTree({0.0, std::nan(""), 1.0, 2.0}, 2, 16, &status);
  CHECK(status == kd::KdStatus::NonFinitePoint);
  buildTree({0.0, 1.0, std::numeric_limits<double>::infinity(), 2.0}, 2, 16, &status);
  CHECK(status == kd::KdStatus::NonFinitePoint);
  buildTree({0.0, 1.0}, 2, 0, &status);
  CHECK(status == kd::KdStatus::InvalidArgument);
}
