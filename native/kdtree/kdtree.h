// Pointer-free balanced kd-tree for the sky index: 4-D quad codes and 3-D star unit vectors
// (Lang et al. 2010, section 2.3: the index answers "which codes lie within r of this code").
//
// The layout is also the on-disk layout, so a tree is searched straight from file bytes:
//   points  count × dim coordinates (double, or quantised uint32 / uint16), in tree order
//   ids     count uint32, ids[i] = original index of the i-th point in tree order (optional:
//           a tree stored in tree order has none, and its ids are the positions)
//   bounds  nodes × 2 × dim coordinates of the points' type: per node its dim minima, then its
//           dim maxima
// The tree is an implicit complete binary tree: node 0 is the root, node k has children 2k+1 and
// 2k+2, there are `levels` levels (nodes = 2^levels − 1) and the 2^(levels−1) nodes of the last
// level are the leaves. A node's point range is computed, never stored: the root holds
// [0, count) and a node [lo, hi) splits at mid = lo + (hi − lo) / 2 into [lo, mid) and [mid, hi).
//
// The build is canonical, so the TypeScript twin (lib/skyindex/kdtree.js.ts) produces the same
// bytes: each internal node splits on the dimension of largest spread (max − min of its points;
// ties go to the lowest dimension), the left range holds the smaller values with ties broken by
// original index, the points of a leaf are in ascending original index, and a node's bounds are
// the exact minima and maxima of its points with −0 stored as +0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace asterism::kdtree {

constexpr int kDefaultLeafSize = 16;
// Ids are uint32 and the number of levels keeps 2^levels nodes addressable.
constexpr size_t kMaxPoints = 0xFFFFFFFFu;
constexpr int kMaxLevels = 31;
constexpr int kMaxDim = 64;

enum class KdStatus {
  Ok,
  InvalidArgument,   // dim, leafSize or count out of range
  NonFinitePoint,    // a coordinate is NaN or infinite
  TooManyResults,    // a batch search found more than 2^32 − 1 ids in total
};

const char* kdStatusMessage(KdStatus status);

// max(1, ceil(log2(ceil(count / leafSize)))), by integer arithmetic.
int levelsFor(size_t count, int leafSize);
// 2^levels − 1.
size_t nodeCount(int levels);

// Builds the tree of `count` points of `dim` coordinates (row-major). The outputs must hold
// count × dim doubles, count ids and nodeCount(levelsFor(count, leafSize)) × 2 × dim doubles;
// they are written only when the result is Ok. The input is only read.
KdStatus build(const double* points, size_t count, int dim, int leafSize, double* outPoints,
               uint32_t* outIds, double* outBounds);

// How a tree stores its coordinates. Integer trees are quantised the way astrometry.net stores
// its trees: real_d = offset[d] + scale × stored_d, one scale for all dimensions.
enum class PointType { Float64, Uint32, Uint16 };

// A tree borrowed from elsewhere (a build's output, JavaScript typed arrays, a mapped file).
// `points` and `bounds` hold elements of `type` (double, uint32_t or uint16_t) in tree units.
// The search trusts that the arrays have the sizes above, that an integer tree has `dim` finite
// offsets and a finite scale > 0, and that levels ≤ kMaxLevels; the binding checks all of that.
struct TreeView {
  int dim = 0;
  size_t count = 0;
  int levels = 1;
  const void* points = nullptr;
  // ids[i] = original index of tree point i; nullptr means the identity (ids are tree positions).
  const uint32_t* ids = nullptr;
  const void* bounds = nullptr;
  PointType type = PointType::Float64;
  // Integer trees only: `dim` offsets and the scale. Ignored for Float64 trees.
  const double* offset = nullptr;
  double scale = 1.0;
};

// Appends to `out` the ids of all points p with Σ (p_d − q_d)² ≤ r², in ascending tree order.
// For a Float64 tree q = query and r = radius; for an integer tree the query is first mapped
// into tree units, q_d = (query_d − offset_d) / scale and r = radius / scale, and p_d is the
// stored integer as a double. The sum runs over d = 0..dim−1 in order without fused
// multiply-adds, the way the TypeScript twin and a brute-force check compute it, so all three
// agree exactly.
void rangeSearch(const TreeView& tree, const double* query, double radius,
                 std::vector<uint32_t>& out);

// rangeSearch for `queryCount` queries (row-major, dim each) with one radius: the ids of query i
// are ids[offsets[i] .. offsets[i + 1]). Both vectors are replaced. With threads > 1 the queries
// are split among that many threads (the calling thread is one of them); the results do not
// depend on the number of threads.
KdStatus rangeSearchBatch(const TreeView& tree, const double* queries, size_t queryCount,
                          double radius, std::vector<uint32_t>& ids,
                          std::vector<uint32_t>& offsets, int threads = 1);

}  // namespace asterism::kdtree
