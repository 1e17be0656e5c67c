#include "peaks.h"

#include <algorithm>

namespace asterism {

namespace {

// Rank of each visited pixel, keyed by pixel index: an open-addressing table sized for the
// significant pixels only, because a full-frame array of ranks costs more to allocate and
// clear than the whole search on a 16-megapixel frame.
class RankTable {
 public:
  explicit RankTable(size_t count) {
    size_t capacity = 16;
    while (capacity < count * 2) capacity <<= 1;
    keys_.assign(capacity, -1);
    values_.assign(capacity, -1);
    maskBits_ = capacity - 1;
  }
  void put(int64_t key, int32_t value) {
    size_t slot = hash(key);
    while (keys_[slot] != -1 && keys_[slot] != key) slot = (slot + 1) & maskBits_;
    keys_[slot] = key;
    values_[slot] = value;
  }
  int32_t get(int64_t key) const {
    size_t slot = hash(key);
    while (keys_[slot] != -1) {
      if (keys_[slot] == key) return values_[slot];
      slot = (slot + 1) & maskBits_;
    }
    return -1;
  }

 private:
  size_t hash(int64_t key) const {
    return static_cast<size_t>((static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ull) >> 17) & maskBits_;
  }
  std::vector<int64_t> keys_;
  std::vector<int32_t> values_;
  size_t maskBits_ = 0;
};

int32_t findRoot(std::vector<int32_t>& parent, int32_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

}  // namespace

std::vector<int64_t> findPeaks(std::vector<SignificantPixel>& order, int width, int height,
                               double minProminence) {
  std::sort(order.begin(), order.end(), [](const SignificantPixel& a, const SignificantPixel& b) {
    return a.value > b.value || (a.value == b.value && a.index < b.index);
  });
  // Sets are named by their first (so highest) pixel's rank, so a set's root is also its peak
  // and the lower rank wins a merge.
  RankTable rank(order.size());
  std::vector<int32_t> parent(order.size());
  std::vector<int64_t> kept;
  int32_t roots[8];
  for (size_t r = 0; r < order.size(); ++r) {
    const int64_t p = order[r].index;
    const int x = static_cast<int>(p % width);
    const int y = static_cast<int>(p / width);
    int nroots = 0;
    for (int dy = -1; dy <= 1; ++dy) {
      const int yy = y + dy;
      if (yy < 0 || yy >= height) continue;
      for (int dx = -1; dx <= 1; ++dx) {
        const int xx = x + dx;
        if ((dx == 0 && dy == 0) || xx < 0 || xx >= width) continue;
        const int32_t q = rank.get(static_cast<int64_t>(yy) * width + xx);
        if (q < 0) continue;
        const int32_t root = findRoot(parent, q);
        bool seen = false;
        for (int k = 0; k < nroots; ++k) seen = seen || roots[k] == root;
        if (!seen) roots[nroots++] = root;
      }
    }
    const int32_t self = static_cast<int32_t>(r);
    if (nroots == 0) {
      parent[r] = self;
    } else {
      int32_t winner = roots[0];
      for (int k = 1; k < nroots; ++k) winner = std::min(winner, roots[k]);
      const double saddle = order[r].value;
      for (int k = 0; k < nroots; ++k) {
        if (roots[k] == winner) continue;
        if (order[roots[k]].value - saddle >= minProminence) kept.push_back(roots[k]);
        parent[roots[k]] = winner;
      }
      parent[r] = winner;
    }
    rank.put(p, self);
  }
  for (size_t r = 0; r < order.size(); ++r) {
    if (parent[r] == static_cast<int32_t>(r)) kept.push_back(static_cast<int64_t>(r));
  }
  std::sort(kept.begin(), kept.end());
  for (auto& k : kept) k = order[k].index;
  return kept;
}

}  // namespace asterism
