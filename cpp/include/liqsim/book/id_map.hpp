// Open-addressing hash map from order id to a 64-bit handle. Ids are never erased (an id stays
// "seen" after its order is done, so reuse is detected and late cancels are told apart from
// unknown ids), which keeps the probing simple: no tombstones.
#pragma once
#include <cstdint>
#include <vector>

#include "liqsim/types.hpp"

namespace liqsim {

class IdMap {
 public:
  static constexpr std::uint64_t kMissing = ~std::uint64_t{0};

  IdMap() { rehash(1024); }

  // Handle stored for `id`, or kMissing if the id was never inserted.
  std::uint64_t find(OrderId id) const {
    std::size_t i = slot(id);
    while (true) {
      const Entry& e = table_[i];
      if (e.key == id) return e.value;
      if (e.key == 0) return kMissing;
      i = (i + 1) & mask_;
    }
  }

  // Inserts or overwrites.
  void set(OrderId id, std::uint64_t value) {
    if ((size_ + 1) * 2 > table_.size()) rehash(table_.size() * 2);
    std::size_t i = slot(id);
    while (table_[i].key != 0 && table_[i].key != id) i = (i + 1) & mask_;
    if (table_[i].key == 0) ++size_;
    table_[i] = Entry{id, value};
  }

  std::size_t size() const { return size_; }

 private:
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
    size_ = 0;
    for (const Entry& e : old)
      if (e.key != 0) set(e.key, e.value);
  }

  std::vector<Entry> table_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace liqsim
