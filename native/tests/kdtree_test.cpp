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

namespace {

// A tree quantised as lib/skyindex/kdtree.ts quantiseKdTree does: offset = per-dimension minimum,
// one scale, stored = floor((x − offset) / scale + 0.5) clamped; bounds from the stored points.
template <typename T>
struct QuantisedTree {
  int dim = 0;
  size_t count = 0;
  int levels = 0;
  std::vector<T> points;
  std::vector<uint32_t> ids;
  std::vector<T> bounds;
  std::vector<double> offset;
  double scale = 1.0;
  bool withIds = true;

  kd::TreeView view() const {
    kd::TreeView v{dim, count, levels, points.data(), withIds ? ids.data() : nullptr, bounds.data()};
    v.type = sizeof(T) == 2 ? kd::PointType::Uint16 : kd::PointType::Uint32;
    v.offset = offset.data();
    v.scale = scale;
    return v;
  }
};

template <typename T>
QuantisedTree<T> quantise(const Tree& t) {
  QuantisedTree<T> q;
  q.dim = t.dim;
  q.count = t.count;
  q.levels = t.levels;
  q.ids = t.ids;
  const double top = static_cast<double>(std::numeric_limits<T>::max());
  q.offset.assign(t.dim, 0.0);
  double scale = 0.0;
  for (int d = 0; d < t.dim; ++d) {
    double mn = std::numeric_limits<double>::infinity();
    double mx = -mn;
    for (size_t i = 0; i < t.count; ++i) {
      mn = std::min(mn, t.points[i * t.dim + d]);
      mx = std::max(mx, t.points[i * t.dim + d]);
    }
    if (t.count > 0) {
      q.offset[d] = mn + 0.0;
      scale = std::max(scale, (mx - mn) / top);
    }
  }
  q.scale = scale > 0 ? scale : 1.0;
  q.points.resize(t.points.size());
  for (size_t i = 0; i < t.points.size(); ++i) {
    const double v = std::floor((t.points[i] - q.offset[i % t.dim]) / q.scale + 0.5);
    q.points[i] = static_cast<T>(v < 0 ? 0 : v > top ? top : v);
  }
  q.bounds.resize(t.bounds.size());
  const size_t firstLeaf = kd::nodeCount(t.levels - 1);
  const size_t nodes = kd::nodeCount(t.levels);
  std::vector<size_t> los(nodes), his(nodes);
  los[0] = 0;
  his[0] = t.count;
  for (size_t k = 0; k < firstLeaf; ++k) {
    const size_t mid = los[k] + (his[k] - los[k]) / 2;
    los[2 * k + 1] = los[k];
    his[2 * k + 1] = mid;
    los[2 * k + 2] = mid;
    his[2 * k + 2] = his[k];
  }
  for (size_t k = 0; k < nodes; ++k) {
    for (int d = 0; d < t.dim; ++d) {
      T mn = std::numeric_limits<T>::max();
      T mx = 0;
      for (size_t i = los[k]; i < his[k]; ++i) {
        mn = std::min(mn, q.points[i * t.dim + d]);
        mx = std::max(mx, q.points[i * t.dim + d]);
      }
      q.bounds[k * 2 * t.dim + d] = mn;
      q.bounds[k * 2 * t.dim + t.dim + d] = mx;
    }
  }
  return q;
}

// Brute force in tree units, the arithmetic the search documents.
template <typename T>
std::vector<uint32_t> bruteForceQuantised(const QuantisedTree<T>& t, const double* query, double radius) {
  std::vector<double> q(t.dim);
  for (int d = 0; d < t.dim; ++d) q[d] = (query[d] - t.offset[d]) / t.scale;
  const double r = radius / t.scale;
  const double r2 = r * r;
  std::vector<uint32_t> out;
  for (size_t i = 0; i < t.count; ++i) {
    double sum = 0.0;
    for (int d = 0; d < t.dim; ++d) {
      const double diff = static_cast<double>(t.points[i * t.dim + d]) - q[d];
      sum += diff * diff;
    }
    if (sum <= r2) out.push_back(t.withIds ? t.ids[i] : static_cast<uint32_t>(i));
  }
  return out;
}

std::vector<double> queriesNear(const std::vector<double>& input, int dim, int n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const size_t count = input.size() / static_cast<size_t>(dim);
  std::vector<double> queries;
  for (int i = 0; i < n; ++i) {
    const size_t src = static_cast<size_t>(uniform(gen) * static_cast<double>(count));
    for (int d = 0; d < dim; ++d) {
      const double x = input[src * dim + d];
      queries.push_back(i % 3 == 0 ? x : i % 3 == 1 ? x + (uniform(gen) - 0.5) * 0.02 : uniform(gen) * 1.4 - 0.2);
    }
  }
  return queries;
}

template <typename T>
void checkQuantisedSearch(int dim, bool withIds) {
  const std::vector<double> input = randomPoints(2500, dim, 300u + static_cast<uint32_t>(dim));
  const Tree t = buildTree(input, dim, dim == 3 ? 5 : 16);
  QuantisedTree<T> q = quantise<T>(t);
  q.withIds = withIds;
  for (size_t i = 0; i < q.points.size(); ++i) {
    const double back = q.offset[i % dim] + q.scale * static_cast<double>(q.points[i]);
    CHECK(std::fabs(back - t.points[i]) <= q.scale / 2 * (1 + 1e-9));
  }
  const std::vector<double> queries = queriesNear(input, dim, 45, 9u + static_cast<uint32_t>(dim));
  const size_t queryCount = queries.size() / static_cast<size_t>(dim);
  size_t found = 0;
  for (double radius : {0.0, 1e-9, 0.003, 0.01, 0.05, 0.2, 2.0, 1e6}) {
    std::vector<uint32_t> ids;
    std::vector<uint32_t> offsets;
    CHECK(kd::rangeSearchBatch(q.view(), queries.data(), queryCount, radius, ids, offsets) == kd::KdStatus::Ok);
    for (size_t i = 0; i < queryCount; ++i) {
      const std::vector<uint32_t> expected = bruteForceQuantised(q, &queries[i * dim], radius);
      std::vector<uint32_t> single;
      kd::rangeSearch(q.view(), &queries[i * dim], radius, single);
      CHECK_MSG(single == expected, "dim " << dim << " bytes " << sizeof(T) << " radius " << radius << " query " << i);
      CHECK(std::vector<uint32_t>(ids.begin() + offsets[i], ids.begin() + offsets[i + 1]) == expected);
      found += expected.size();
    }
  }
  CHECK(found > 0);
}

}  // namespace

TEST(kdtree_quantised_search_matches_brute_force) {
  for (int dim : {2, 3, 4, 5}) {
    checkQuantisedSearch<uint16_t>(dim, true);
    checkQuantisedSearch<uint32_t>(dim, true);
    checkQuantisedSearch<uint16_t>(dim, false);
  }
}

TEST(kdtree_without_ids_returns_positions) {
  const std::vector<double> input = randomPoints(2000, 4, 17);
  Tree t = buildTree(input, 4, 16);
  kd::TreeView noIds = t.view();
  noIds.ids = nullptr;
  const std::vector<double> queries = queriesNear(input, 4, 30, 18);
  for (double radius : {0.0, 0.05, 0.3, 1e6}) {
    for (size_t i = 0; i < 30; ++i) {
      std::vector<uint32_t> withIds;
      std::vector<uint32_t> positions;
      kd::rangeSearch(t.view(), &queries[i * 4], radius, withIds);
      kd::rangeSearch(noIds, &queries[i * 4], radius, positions);
      CHECK_EQ(positions.size(), withIds.size());
      for (size_t j = 0; j < positions.size() && j < withIds.size(); ++j) {
        CHECK(positions[j] < t.count);
        if (positions[j] < t.count) CHECK_EQ(t.ids[positions[j]], withIds[j]);
        if (j > 0) CHECK(positions[j] > positions[j - 1]);
      }
    }
  }
}

TEST(kdtree_batch_threads_give_the_same_ids) {
  const std::vector<double> input = randomPoints(20000, 4, 23);
  const Tree t = buildTree(input, 4, 16);
  const QuantisedTree<uint16_t> q = quantise<uint16_t>(t);
  const std::vector<double> queries = queriesNear(input, 4, 3000, 24);
  for (const kd::TreeView& view : {t.view(), q.view()}) {
    for (double radius : {0.0, 0.02, 0.1}) {
      std::vector<uint32_t> ids1;
      std::vector<uint32_t> offsets1;
      CHECK(kd::rangeSearchBatch(view, queries.data(), 3000, radius, ids1, offsets1, 1) == kd::KdStatus::Ok);
      for (int threads : {2, 3, 7}) {
        std::vector<uint32_t> ids;
        std::vector<uint32_t> offsets;
        CHECK(kd::rangeSearchBatch(view, queries.data(), 3000, radius, ids, offsets, threads) == kd::KdStatus::Ok);
        CHECK(ids == ids1);
        CHECK(offsets == offsets1);
      }
    }
  }
  // No queries, and queries against an empty tree.
  std::vector<uint32_t> ids;
  std::vector<uint32_t> offsets;
  CHECK(kd::rangeSearchBatch(t.view(), queries.data(), 0, 1.0, ids, offsets, 2) == kd::KdStatus::Ok);
  CHECK(offsets == std::vector<uint32_t>{0});
  const Tree empty = buildTree({}, 4, 16);
  CHECK(kd::rangeSearchBatch(empty.view(), queries.data(), 100, 1e6, ids, offsets, 2) == kd::KdStatus::Ok);
  CHECK(ids.empty());
  CHECK_EQ(offsets.size(), size_t{101});
}
