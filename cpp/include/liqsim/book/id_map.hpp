// Map from order id to a 64-bit handle. Ids are never erased (an id stays "seen" after its
// order is done, so reuse is detected and late cancels are told apart from unknown ids).
//
// Callers mostly number orders sequentially, so ids below 2^32 go to a paged direct table
// (4096 slots a page, pages allocated on first use): consecutive ids share cache lines and a
// lookup is two dependent loads, not a probe into a table of millions. Other ids (e.g. the
// engine's own, from 2^62) fall back to open addressing with linear probing.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "liqsim/types.hpp"

namespace liqsim {

class IdMap {
 public:
  static constexpr std::uint64_t kMissing = ~std::uint64_t{0};

  IdMap(IdMap&&) noexcept = default;
  IdMap& operator=(IdMap&&) noexcept = default;
  // Deep copies (engine snapshots copy the whole exchange).
  IdMap(const IdMap& o) : table_(o.table_), mask_(o.mask_), hashed_(o.hashed_), size_(o.size_) {
    pages_.reserve(o.pages_.size());
    for (const auto& pg : o.pages_) pages_.push_back(pg ? std::make_unique<Page>(*pg) : nullptr);
  }
  IdMap& operator=(const IdMap& o) {
    if (this != &o) {
      IdMap copy(o);
      *this = std::move(copy);
    }
    return *this;
  }

  IdMap() { rehash(1024); }

  // Handle stored for `id`, or kMissing if the id was never inserted.
  std::uint64_t find(OrderId id) const {
    const auto u = static_cast<std::uint64_t>(id);
    if (u < kDenseLimit) {
      const std::size_t page = u >> kPageBits;
      if (page >= pages_.size() || !pages_[page]) return kMissing;
      return (*pages_[page])[u & kPageMask];
    }
    std::size_t i = slot(id);
    while (true) {
      const Entry& e = table_[i];
      if (e.key == id) return e.value;
      if (e.key == 0) return kMissing;
      i = (i + 1) & mask_;
    }
  }

  // Cache hint for a find(id) a few commands ahead (batch runs); never changes anything.
  void prefetch(OrderId id) const {
    const auto u = static_cast<std::uint64_t>(id);
    if (u >= kDenseLimit) return;
    const std::size_t page = u >> kPageBits;
    if (page < pages_.size() && pages_[page]) __builtin_prefetch(&(*pages_[page])[u & kPageMask]);
  }

  // Inserts or overwrites.
  void set(OrderId id, std::uint64_t value) {
    const auto u = static_cast<std::uint64_t>(id);
    if (u < kDenseLimit) {
      const std::size_t page = u >> kPageBits;
      if (page >= pages_.size()) pages_.resize(page + 1);
      if (!pages_[page]) {
        pages_[page] = std::make_unique<Page>();
        pages_[page]->fill(kMissing);
      }
      std::uint64_t& slot_value = (*pages_[page])[u & kPageMask];
      if (slot_value == kMissing) ++size_;
      slot_value = value;
      return;
    }
    if ((hashed_ + 1) * 2 > table_.size()) rehash(table_.size() * 2);
    std::size_t i = slot(id);
    while (table_[i].key != 0 && table_[i].key != id) i = (i + 1) & mask_;
    if (table_[i].key == 0) {
      ++hashed_;
      ++size_;
    }
    table_[i] = Entry{id, value};
  }

  std::size_t size() const { return size_; }

 private:
  static constexpr unsigned kPageBits = 12;
  static constexpr std::uint64_t kPageMask = (std::uint64_t{1} << kPageBits) - 1;
  static constexpr std::uint64_t kDenseLimit = std::uint64_t{1} << 32;
  using Page = std::array<std::uint64_t, std::size_t{1} << kPageBits>;

  struct Entry {
    OrderId key = 0;  // 0 = empty (valid ids are >= 1)
    std::uint64_t value = 0;
  };

  std::size_t slot(OrderId id) const {
    std::uint64_t x = static_cast<std::uint64_t>(id);  // splitmix64 finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return static_cast<std::size_t>(x) & mask_;
  }

  void rehash(std::size_t capacity) {
    std::vector<Entry> old;
    old.swap(table_);
    table_.assign(capacity, Entry{});
    mask_ = capacity - 1;
    for (const Entry& e : old) {
      if (e.key == 0) continue;
      std::size_t i = slot(e.key);
      while (table_[i].key != 0) i = (i + 1) & mask_;
      table_[i] = e;
    }
  }

  std::vector<std::unique_ptr<Page>> pages_;
  std::vector<Entry> table_;
  std::size_t mask_ = 0;
  std::size_t hashed_ = 0;
  std::size_t size_ = 0;
};

}  // namespace liqsim
