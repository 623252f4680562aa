// A sorted set of small values kept in blocks of contiguous sorted arrays: the trigger index's
// container (trigger_index.hpp).
//
// Why not std::set: in a throttled cascade the risk stage hides tens of thousands of parked
// accounts from the index and shows them again at every throttle window (millions of inserts
// and erases in an oct10 run under liq_throttle). A red-black tree allocates a node per insert
// and chases pointers on every step; here an insert or erase is two binary searches and a
// memmove inside one block of at most kMaxBlock values, with no allocation unless a block
// splits, and listing a range reads contiguous memory. Iteration order is the std::set order.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

namespace liqsim {

template <class T>
class SortedBlocks {
 public:
  static constexpr std::size_t kMaxBlock = 256;  // a block splits in two above this

  std::size_t size() const { return size_; }
  std::size_t block_count() const { return blocks_.size(); }
  bool empty() const { return size_ == 0; }

  // Inserts v; false if it was there already.
  bool insert(const T& v) {
    if (blocks_.empty()) {
      blocks_.push_back({v});
      last_.push_back(v);
      ++size_;
      return true;
    }
    std::size_t b = block_for(v);
    if (b == blocks_.size()) b = blocks_.size() - 1;  // beyond every value: the last block
    std::vector<T>& blk = blocks_[b];
    const auto it = std::lower_bound(blk.begin(), blk.end(), v);
    if (it != blk.end() && !(v < *it)) return false;
    blk.insert(it, v);
    last_[b] = blk.back();
    ++size_;
    if (blk.size() > kMaxBlock) split(b);
    return true;
  }

  // Erases v; false if it was not there.
  bool erase(const T& v) {
    const std::size_t b = block_for(v);
    if (b == blocks_.size()) return false;
    std::vector<T>& blk = blocks_[b];
    const auto it = std::lower_bound(blk.begin(), blk.end(), v);
    if (it == blk.end() || v < *it) return false;
    blk.erase(it);
    --size_;
    if (blk.empty()) {
      drop_block(b);
    } else {
      last_[b] = blk.back();
      if (blk.size() < kMaxBlock / 4) merge_small(b);
    }
    return true;
  }

  bool contains(const T& v) const {
    const std::size_t b = block_for(v);
    if (b == blocks_.size()) return false;
    return std::binary_search(blocks_[b].begin(), blocks_[b].end(), v);
  }

  // f(x) for every x >= v, in order.
  template <class F>
  void for_each_from(const T& v, F&& f) const {
    std::size_t b = block_for(v);
    if (b == blocks_.size()) return;
    for (auto it = std::lower_bound(blocks_[b].begin(), blocks_[b].end(), v); it != blocks_[b].end(); ++it) f(*it);
    for (++b; b < blocks_.size(); ++b)
      for (const T& x : blocks_[b]) f(x);
  }

  // f(x) for the values from the smallest on, in order, while f returns true.
  template <class F>
  void for_each_while(F&& f) const {
    for (const std::vector<T>& blk : blocks_)
      for (const T& x : blk)
        if (!f(x)) return;
  }

 private:
  // The first block whose largest value is >= v (blocks_.size(): none).
  std::size_t block_for(const T& v) const {
    return static_cast<std::size_t>(std::lower_bound(last_.begin(), last_.end(), v) - last_.begin());
  }

  void split(std::size_t b) {
    std::vector<T>& blk = blocks_[b];
    const auto mid = blk.begin() + static_cast<std::ptrdiff_t>(blk.size() / 2);
    std::vector<T> upper(mid, blk.end());
    std::vector<T> lower(blk.begin(), mid);  // fresh, so it does not keep blk's full capacity
    blk = std::move(lower);
    last_[b] = blk.back();
    const auto at = static_cast<std::ptrdiff_t>(b + 1);
    last_.insert(last_.begin() + at, upper.back());
    blocks_.insert(blocks_.begin() + at, std::move(upper));
  }

  void drop_block(std::size_t b) {
    blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(b));
    last_.erase(last_.begin() + static_cast<std::ptrdiff_t>(b));
  }

  // A block shrunk below a quarter joins its smaller neighbour when the two fit in one, so the
  // number of blocks follows the current size, not the past inserts.
  void merge_small(std::size_t b) {
    const bool has_prev = b > 0, has_next = b + 1 < blocks_.size();
    if (!has_prev && !has_next) return;
    const std::size_t into =
        !has_next || (has_prev && blocks_[b - 1].size() <= blocks_[b + 1].size()) ? b - 1 : b;
    std::vector<T>& lo = blocks_[into];
    std::vector<T>& hi = blocks_[into + 1];
    if (lo.size() + hi.size() > kMaxBlock) return;
    lo.insert(lo.end(), hi.begin(), hi.end());
    last_[into] = lo.back();
    drop_block(into + 1);
  }

  std::vector<std::vector<T>> blocks_;  // each sorted and non-empty; all of block b < block b+1
  std::vector<T> last_;                 // last_[b] = blocks_[b].back()
  std::size_t size_ = 0;
};

}  // namespace liqsim
