// Pointer-free balanced kd-tree for the sky index: 4-D quad codes and 3-D star unit vectors
// (Lang et al. 2010, section 2.3: the index answers "which codes lie within r of this code").
//
// The layout is also the on-disk layout, so a tree is searched straight from file bytes:
//   points  count × dim doubles, in tree order
//   ids     count uint32, ids[i] = original index of the i-th point in tree order
//   bounds  nodes × 2 × dim doubles: per node its dim minima, then its dim maxima
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

// A tree borrowed from elsewhere (a build's output, JavaScript typed arrays, a mapped file).
// The search trusts that the arrays have the sizes above; the binding checks them.
struct TreeView {
  int dim = 0;
  size_t count = 0;
  int levels = 1;
  const double* points = nullptr;
  const uint32_t* ids = nullptr;
  const double* bounds = nullptr;
};

// Appends to `out` the original ids of all points p with Σ (p_d − q_d)² ≤ radius², in ascending
// tree order. The sum runs over d = 0..dim−1 in order without fused multiply-adds, the way the
// TypeScript twin and a brute-force check compute it, so all three agree exactly.
void rangeSearch(const TreeView& tree, const double* query, double radius,
                 std::vector<uint32_t>& out);

// rangeSearch for `queryCount` queries (row-major, dim each) with one radius: the ids of query i
// are ids[offsets[i] .. offsets[i + 1]). Both vectors are replaced.
KdStatus rangeSearchBatch(const TreeView& tree, const double* queries, size_t queryCount,
                          double radius, std::vector<uint32_t>& ids,
                          std::vector<uint32_t>& offsets);

}  // namespace asterism::kdtree
