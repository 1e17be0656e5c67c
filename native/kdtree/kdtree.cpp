#include "kdtree.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

namespace asterism::kdtree {

const char* kdStatusMessage(KdStatus status) {
  switch (status) {
    case KdStatus::Ok: return "ok";
    case KdStatus::InvalidArgument: return "kd-tree: dim, leafSize or point count out of range";
    case KdStatus::NonFinitePoint: return "kd-tree: points must be finite (no NaN or Infinity)";
    case KdStatus::TooManyResults: return "kd-tree: the batch search found more than 2^32 - 1 ids";
  }
  return "kd-tree: unknown status";
}

int levelsFor(size_t count, int leafSize) {
  const size_t size = leafSize > 0 ? static_cast<size_t>(leafSize) : 1;
  const size_t leavesNeeded = count / size + (count % size != 0 ? 1 : 0);
  int levels = 0;
  while (levels < 63 && (size_t{1} << levels) < leavesNeeded) ++levels;
  return std::max(1, levels);
}

size_t nodeCount(int levels) { return (size_t{1} << levels) - 1; }

namespace {

// A point's key along the split dimension: value, then original id, so every key is distinct and
// the split is the same whatever selection algorithm runs. `slot` is its position in the node.
struct Key {
  double value;
  uint32_t id;
  uint32_t slot;
};

inline bool keyLess(const Key& a, const Key& b) {
  return a.value < b.value || (a.value == b.value && a.id < b.id);
}

class Builder {
 public:
  Builder(int dim, int levels, double* points, uint32_t* ids, double* bounds, size_t count)
      : dim_(dim), firstLeaf_(nodeCount(levels - 1)), points_(points), ids_(ids),
        bounds_(bounds), keys_(count), scratchPoints_(count * static_cast<size_t>(dim)) {}

  void node(size_t k, size_t lo, size_t hi) {
    writeBounds(k, lo, hi);
    const size_t n = hi - lo;
    if (k >= firstLeaf_) {
      // Leaves list their points by original id, which makes the byte layout canonical.
      for (size_t j = 0; j < n; ++j) keys_[j] = Key{0.0, ids_[lo + j], static_cast<uint32_t>(j)};
      std::sort(keys_.begin(), keys_.begin() + static_cast<std::ptrdiff_t>(n),
                [](const Key& a, const Key& b) { return a.id < b.id; });
      reorder(lo, n);
      return;
    }
    const int d = splitDimension(k);
    const size_t mid = lo + n / 2;
    for (size_t j = 0; j < n; ++j) {
      keys_[j] = Key{points_[(lo + j) * dim_ + d], ids_[lo + j], static_cast<uint32_t>(j)};
    }
    if (n > 0) {
      std::nth_element(keys_.begin(), keys_.begin() + static_cast<std::ptrdiff_t>(mid - lo),
                       keys_.begin() + static_cast<std::ptrdiff_t>(n), keyLess);
    }
    reorder(lo, n);
    node(2 * k + 1, lo, mid);
    node(2 * k + 2, mid, hi);
  }

 private:
  // Minima then maxima of points [lo, hi); an empty node (only the root of an empty tree) gets
  // +inf / -inf. Adding +0.0 turns -0 into +0, so the bytes do not depend on point order.
  void writeBounds(size_t k, size_t lo, size_t hi) {
    double* mn = bounds_ + k * 2 * dim_;
    double* mx = mn + dim_;
    for (int d = 0; d < dim_; ++d) {
      mn[d] = std::numeric_limits<double>::infinity();
      mx[d] = -std::numeric_limits<double>::infinity();
    }
    for (size_t i = lo; i < hi; ++i) {
      const double* p = points_ + i * dim_;
      for (int d = 0; d < dim_; ++d) {
        mn[d] = p[d] < mn[d] ? p[d] : mn[d];
        mx[d] = p[d] > mx[d] ? p[d] : mx[d];
      }
    }
    for (int d = 0; d < dim_; ++d) {
      mn[d] = mn[d] + 0.0;
      mx[d] = mx[d] + 0.0;
    }
  }

  int splitDimension(size_t k) const {
    const double* mn = bounds_ + k * 2 * dim_;
    const double* mx = mn + dim_;
    int best = 0;
    double bestSpread = mx[0] - mn[0];
    for (int d = 1; d < dim_; ++d) {
      const double spread = mx[d] - mn[d];
      if (spread > bestSpread) {
        bestSpread = spread;
        best = d;
      }
    }
    return best;
  }

  // Rewrites points and ids of [lo, lo + n) in the order of keys_[0, n).
  void reorder(size_t lo, size_t n) {
    if (n == 0) return;
    const size_t width = static_cast<size_t>(dim_);
    std::memcpy(scratchPoints_.data(), points_ + lo * width, n * width * sizeof(double));
    for (size_t j = 0; j < n; ++j) {
      const double* from = scratchPoints_.data() + static_cast<size_t>(keys_[j].slot) * width;
      std::memcpy(points_ + (lo + j) * width, from, width * sizeof(double));
      ids_[lo + j] = keys_[j].id;
    }
  }

  const int dim_;
  const size_t firstLeaf_;
  double* points_;
  uint32_t* ids_;
  double* bounds_;
  std::vector<Key> keys_;
  std::vector<double> scratchPoints_;
};

// The search, compiled once per common dimension (D > 0) so the coordinate loops unroll, and once
// for any dimension (D == 0).
template <int D>
class Searcher {
 public:
  Searcher(const TreeView& tree, const double* query, double radius, std::vector<uint32_t>& out)
      : tree_(tree), dim_(D > 0 ? D : tree.dim), firstLeaf_(nodeCount(tree.levels - 1)),
        query_(query), radius2_(radius * radius), out_(out) {}

  void node(size_t k, size_t lo, size_t hi) {
    if (lo == hi) return;
    const double* mn = tree_.bounds + k * 2 * dim_;
    const double* mx = mn + dim_;
    // Squared distance to the box and to its farthest corner. Rounding is monotonic, so these
    // bound every point's computed distance from below and above: pruning and taking a whole
    // node never disagree with testing its points one by one.
    double nearest = 0.0;
    double farthest = 0.0;
    for (int d = 0; d < dim_; ++d) {
      const double q = query_[d];
      const double gap = q < mn[d] ? mn[d] - q : (q > mx[d] ? q - mx[d] : 0.0);
      nearest += gap * gap;
      const double below = q - mn[d];
      const double above = mx[d] - q;
      const double reach = below > above ? below : above;
      farthest += reach * reach;
    }
    if (!(nearest <= radius2_)) return;
    if (farthest <= radius2_) {
      out_.insert(out_.end(), tree_.ids + lo, tree_.ids + hi);
      return;
    }
    if (k >= firstLeaf_) {
      leaf(lo, hi);
      return;
    }
    const size_t mid = lo + (hi - lo) / 2;
    // The descent is bound by memory latency: ask for both children's boxes (adjacent in
    // `bounds`) and, above the leaves, their first points before testing the left one.
    const double* children = tree_.bounds + (2 * k + 1) * 2 * dim_;
    prefetch(children);
    prefetch(children + 4 * dim_ - 1);
    if (2 * k + 1 >= firstLeaf_) {
      prefetch(tree_.points + lo * dim_);
      prefetch(tree_.points + mid * dim_);
    }
    node(2 * k + 1, lo, mid);
    node(2 * k + 2, mid, hi);
  }

 private:
  static void prefetch(const double* p) {
#if defined(__GNUC__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
  }

  void leaf(size_t lo, size_t hi) {
    const double* p = tree_.points + lo * dim_;
    for (size_t i = lo; i < hi; ++i, p += dim_) {
      double sum = 0.0;
      for (int d = 0; d < dim_; ++d) {
        const double diff = p[d] - query_[d];
        sum += diff * diff;
      }
      if (sum <= radius2_) out_.push_back(tree_.ids[i]);
    }
  }

  const TreeView& tree_;
  const int dim_;
  const size_t firstLeaf_;
  const double* query_;
  const double radius2_;
  std::vector<uint32_t>& out_;
};

template <int D>
void searchWith(const TreeView& tree, const double* query, double radius,
                std::vector<uint32_t>& out) {
  Searcher<D>(tree, query, radius, out).node(0, 0, tree.count);
}

}  // namespace

KdStatus build(const double* points, size_t count, int dim, int leafSize, double* outPoints,
               uint32_t* outIds, double* outBounds) {
  if (dim < 1 || dim > kMaxDim || leafSize < 1 || count > kMaxPoints) {
    return KdStatus::InvalidArgument;
  }
  const int levels = levelsFor(count, leafSize);
  if (levels > kMaxLevels) return KdStatus::InvalidArgument;
  const size_t values = count * static_cast<size_t>(dim);
  for (size_t i = 0; i < values; ++i) {
    if (!std::isfinite(points[i])) return KdStatus::NonFinitePoint;
  }
  if (values > 0) std::memcpy(outPoints, points, values * sizeof(double));
  for (size_t i = 0; i < count; ++i) outIds[i] = static_cast<uint32_t>(i);
  Builder(dim, levels, outPoints, outIds, outBounds, count).node(0, 0, count);
  return KdStatus::Ok;
}

void rangeSearch(const TreeView& tree, const double* query, double radius,
                 std::vector<uint32_t>& out) {
  if (tree.count == 0) return;
  switch (tree.dim) {
    case 2: searchWith<2>(tree, query, radius, out); break;
    case 3: searchWith<3>(tree, query, radius, out); break;
    case 4: searchWith<4>(tree, query, radius, out); break;
    default: searchWith<0>(tree, query, radius, out); break;
  }
}

KdStatus rangeSearchBatch(const TreeView& tree, const double* queries, size_t queryCount,
                          double radius, std::vector<uint32_t>& ids,
                          std::vector<uint32_t>& offsets) {
  ids.clear();
  offsets.assign(1, 0);
  offsets.reserve(queryCount + 1);
  if (queryCount == 0) return KdStatus::Ok;
  // Queries run in Morton order of their position in the root box, so consecutive searches walk
  // the same nodes while they are still in cache; the results are then put back in query order.
  const size_t dim = static_cast<size_t>(tree.dim);
  const int bits = std::max(1, 63 / std::max(1, tree.dim) < 16 ? 63 / tree.dim : 16);
  const double* mn = tree.bounds;
  const double* mx = tree.bounds + dim;
  std::vector<std::pair<uint64_t, uint32_t>> order(queryCount);
  for (size_t i = 0; i < queryCount; ++i) {
    const double* q = queries + i * dim;
    uint64_t key = 0;
    if (tree.count > 0 && tree.dim <= 63) {
      for (int b = bits - 1; b >= 0; --b) {
        for (size_t d = 0; d < dim; ++d) {
          const double span = mx[d] - mn[d];
          double t = span > 0 ? (q[d] - mn[d]) / span : 0.0;
          t = t < 0 ? 0 : (t > 1 ? 1 : t);
          const uint64_t cell = static_cast<uint64_t>(t * static_cast<double>((uint64_t{1} << bits) - 1));
          key = (key << 1) | ((cell >> b) & 1u);
        }
      }
    }
    order[i] = {key, static_cast<uint32_t>(i)};
  }
  std::sort(order.begin(), order.end());
  std::vector<uint32_t> found;
  found.reserve(queryCount * 4);
  std::vector<std::pair<size_t, size_t>> spans(queryCount);
  for (const auto& entry : order) {
    const size_t start = found.size();
    rangeSearch(tree, queries + static_cast<size_t>(entry.second) * dim, radius, found);
    if (found.size() > kMaxPoints) {
      offsets.clear();
      return KdStatus::TooManyResults;
    }
    spans[entry.second] = {start, found.size() - start};
  }
  ids.resize(found.size());
  offsets.resize(queryCount + 1);
  size_t at = 0;
  for (size_t i = 0; i < queryCount; ++i) {
    if (spans[i].second > 0) {
      std::memcpy(ids.data() + at, found.data() + spans[i].first, spans[i].second * sizeof(uint32_t));
    }
    at += spans[i].second;
    offsets[i + 1] = static_cast<uint32_t>(at);
  }
  return KdStatus::Ok;
}

}  // namespace asterism::kdtree
