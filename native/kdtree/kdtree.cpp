#include "kdtree.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <thread>
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

// The search, compiled per element type T and once per common dimension (D > 0) so the
// coordinate loops unroll, and once for any dimension (D == 0). The query is in tree units.
template <typename T, int D>
class Searcher {
 public:
  Searcher(const TreeView& tree, const double* query, double radius2, std::vector<uint32_t>& out)
      : points_(static_cast<const T*>(tree.points)), bounds_(static_cast<const T*>(tree.bounds)),
        ids_(tree.ids), dim_(D > 0 ? D : tree.dim), firstLeaf_(nodeCount(tree.levels - 1)),
        query_(query), radius2_(radius2), out_(out) {}

  void node(size_t k, size_t lo, size_t hi) {
    if (lo == hi) return;
    const T* mn = bounds_ + k * 2 * dim_;
    const T* mx = mn + dim_;
    // Squared distance to the box, then (only when the box is in reach) to its farthest corner.
    // Rounding is monotonic, so these bound every point's computed distance from below and
    // above: pruning and taking a whole node never disagree with testing its points one by one.
    double nearest = 0.0;
    for (int d = 0; d < dim_; ++d) {
      const double q = query_[d];
      const double lower = static_cast<double>(mn[d]);
      const double upper = static_cast<double>(mx[d]);
      const double gap = q < lower ? lower - q : (q > upper ? q - upper : 0.0);
      nearest += gap * gap;
    }
    if (!(nearest <= radius2_)) return;
    double farthest = 0.0;
    for (int d = 0; d < dim_; ++d) {
      const double q = query_[d];
      const double below = q - static_cast<double>(mn[d]);
      const double above = static_cast<double>(mx[d]) - q;
      const double reach = below > above ? below : above;
      farthest += reach * reach;
    }
    if (farthest <= radius2_) {
      emitAll(lo, hi);
      return;
    }
    if (k >= firstLeaf_) {
      leaf(lo, hi);
      return;
    }
    const size_t mid = lo + (hi - lo) / 2;
    // The descent is bound by memory latency: ask for both children's boxes (adjacent in
    // `bounds`) and, above the leaves, their first points before testing the left one.
    const T* children = bounds_ + (2 * k + 1) * 2 * dim_;
    prefetch(children);
    prefetch(children + 4 * dim_ - 1);
    if (2 * k + 1 >= firstLeaf_) {
      prefetch(points_ + lo * dim_);
      prefetch(points_ + mid * dim_);
    }
    node(2 * k + 1, lo, mid);
    node(2 * k + 2, mid, hi);
  }

 private:
  static void prefetch(const T* p) {
#if defined(__GNUC__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
  }

  void emitAll(size_t lo, size_t hi) {
    if (ids_ != nullptr) {
      out_.insert(out_.end(), ids_ + lo, ids_ + hi);
      return;
    }
    for (size_t i = lo; i < hi; ++i) out_.push_back(static_cast<uint32_t>(i));
  }

  void leaf(size_t lo, size_t hi) {
    const T* p = points_ + lo * dim_;
    for (size_t i = lo; i < hi; ++i, p += dim_) {
      double sum = 0.0;
      for (int d = 0; d < dim_; ++d) {
        const double diff = static_cast<double>(p[d]) - query_[d];
        sum += diff * diff;
      }
      if (sum <= radius2_) out_.push_back(ids_ != nullptr ? ids_[i] : static_cast<uint32_t>(i));
    }
  }

  const T* points_;
  const T* bounds_;
  const uint32_t* ids_;
  const int dim_;
  const size_t firstLeaf_;
  const double* query_;
  const double radius2_;
  std::vector<uint32_t>& out_;
};

// Searches with the query already in tree units and the squared radius in tree units.
using SearchFn = void (*)(const TreeView&, const double*, double, std::vector<uint32_t>&);

template <typename T, int D>
void searchWith(const TreeView& tree, const double* query, double radius2,
                std::vector<uint32_t>& out) {
  Searcher<T, D>(tree, query, radius2, out).node(0, 0, tree.count);
}

template <typename T>
SearchFn searchFor(int dim) {
  switch (dim) {
    case 2: return searchWith<T, 2>;
    case 3: return searchWith<T, 3>;
    case 4: return searchWith<T, 4>;
    default: return searchWith<T, 0>;
  }
}

SearchFn searchFor(const TreeView& tree) {
  switch (tree.type) {
    case PointType::Uint32: return searchFor<uint32_t>(tree.dim);
    case PointType::Uint16: return searchFor<uint16_t>(tree.dim);
    case PointType::Float64: break;
  }
  return searchFor<double>(tree.dim);
}

// The query in tree units: (query_d − offset_d) / scale for integer trees, unchanged otherwise.
void toTreeUnits(const TreeView& tree, const double* query, double* out) {
  for (int d = 0; d < tree.dim; ++d) out[d] = (query[d] - tree.offset[d]) / tree.scale;
}

// The squared search radius in tree units.
double radius2InTreeUnits(const TreeView& tree, double radius) {
  const double r = tree.type == PointType::Float64 ? radius : radius / tree.scale;
  return r * r;
}

// A root-box coordinate scaled to [0, 1]; NaN (a query far outside a degenerate box) goes to 0.
double unitPosition(double q, double mn, double mx) {
  const double span = mx - mn;
  const double t = span > 0 ? (q - mn) / span : 0.0;
  return t > 0 ? (t < 1 ? t : 1.0) : 0.0;
}

// Morton key of a query (in tree units) in the tree's root box.
template <typename T>
uint64_t mortonKey(const TreeView& tree, const double* q, int bits) {
  const T* mn = static_cast<const T*>(tree.bounds);
  const T* mx = mn + tree.dim;
  uint64_t cells[kMaxDim];
  const double top = static_cast<double>((uint64_t{1} << bits) - 1);
  for (int d = 0; d < tree.dim; ++d) {
    cells[d] = static_cast<uint64_t>(
        unitPosition(q[d], static_cast<double>(mn[d]), static_cast<double>(mx[d])) * top);
  }
  uint64_t key = 0;
  for (int b = bits - 1; b >= 0; --b) {
    for (int d = 0; d < tree.dim; ++d) key = (key << 1) | ((cells[d] >> b) & 1u);
  }
  return key;
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
  double mapped[kMaxDim];
  if (tree.type != PointType::Float64) {
    toTreeUnits(tree, query, mapped);
    query = mapped;
  }
  searchFor(tree)(tree, query, radius2InTreeUnits(tree, radius), out);
}

KdStatus rangeSearchBatch(const TreeView& tree, const double* queries, size_t queryCount,
                          double radius, std::vector<uint32_t>& ids,
                          std::vector<uint32_t>& offsets, int threads) {
  ids.clear();
  offsets.assign(1, 0);
  if (queryCount == 0) return KdStatus::Ok;
  offsets.reserve(queryCount + 1);
  const size_t dim = static_cast<size_t>(tree.dim);
  // Integer trees: every query in tree units first, as rangeSearch maps each one.
  std::vector<double> mapped;
  if (tree.type != PointType::Float64) {
    mapped.resize(queryCount * dim);
    for (size_t i = 0; i < queryCount; ++i) toTreeUnits(tree, queries + i * dim, mapped.data() + i * dim);
    queries = mapped.data();
  }
  // Queries run in Morton order of their position in the root box, so consecutive searches walk
  // the same nodes while they are still in cache; the results are then put back in query order.
  const int bits = std::max(1, std::min(16, 63 / std::max(1, tree.dim)));
  std::vector<std::pair<uint64_t, uint32_t>> order(queryCount);
  for (size_t i = 0; i < queryCount; ++i) {
    uint64_t key = 0;
    if (tree.count > 0) {
      const double* q = queries + i * dim;
      switch (tree.type) {
        case PointType::Float64: key = mortonKey<double>(tree, q, bits); break;
        case PointType::Uint32: key = mortonKey<uint32_t>(tree, q, bits); break;
        case PointType::Uint16: key = mortonKey<uint16_t>(tree, q, bits); break;
      }
    }
    order[i] = {key, static_cast<uint32_t>(i)};
  }
  std::sort(order.begin(), order.end());

  // Each part takes a contiguous run of the Morton order and collects its own ids; spans[i]
  // says which part found query i's ids and where.
  struct Span {
    uint32_t part;
    size_t start;
    size_t length;
  };
  const size_t parts = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(std::max(1, threads)), queryCount / 64 + 1));
  std::vector<std::vector<uint32_t>> found(parts);
  std::vector<Span> spans(queryCount);
  std::vector<std::exception_ptr> failures(parts);
  const SearchFn search = tree.count > 0 ? searchFor(tree) : nullptr;
  const double radius2 = radius2InTreeUnits(tree, radius);
  auto runPart = [&](size_t part) {
    try {
      const size_t begin = queryCount * part / parts;
      const size_t end = queryCount * (part + 1) / parts;
      std::vector<uint32_t>& out = found[part];
      out.reserve((end - begin) * 4);
      for (size_t j = begin; j < end; ++j) {
        const uint32_t i = order[j].second;
        const size_t start = out.size();
        if (search != nullptr) search(tree, queries + static_cast<size_t>(i) * dim, radius2, out);
        if (out.size() > kMaxPoints) return;
        spans[i] = Span{static_cast<uint32_t>(part), start, out.size() - start};
      }
    } catch (...) {
      failures[part] = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  for (size_t part = 1; part < parts; ++part) workers.emplace_back(runPart, part);
  runPart(0);
  for (std::thread& worker : workers) worker.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  size_t total = 0;
  for (const std::vector<uint32_t>& part : found) total += part.size();
  if (total > kMaxPoints) {
    offsets.clear();
    return KdStatus::TooManyResults;
  }
  ids.resize(total);
  offsets.resize(queryCount + 1);
  size_t at = 0;
  for (size_t i = 0; i < queryCount; ++i) {
    const Span& span = spans[i];
    if (span.length > 0) {
      std::memcpy(ids.data() + at, found[span.part].data() + span.start, span.length * sizeof(uint32_t));
    }
    at += span.length;
    offsets[i + 1] = static_cast<uint32_t>(at);
  }
  return KdStatus::Ok;
}

}  // namespace asterism::kdtree
