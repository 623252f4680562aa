// Liquidation trigger index of one instrument: accounts ordered by the mark price at which
// they would become liquidatable, per position side. After a mark move only the accounts whose
// trigger was crossed are visited, so the cost grows with the number triggered, not held.
// Keys are conservative (a superset); the caller confirms each candidate exactly.
#pragma once
#include <limits>
#include <utility>
#include <vector>

#include "liqsim/account_array.hpp"
#include "liqsim/risk/sorted_blocks.hpp"
#include "liqsim/types.hpp"

namespace liqsim {

class TriggerIndex {
 public:
  void resize(std::size_t traders) { where_.resize(traders); }

  // A long is a candidate when mark <= key, a short when mark >= key.
  void set(AccountId a, Side position_side, Price key) {
    erase(a);
    auto& tree = position_side == Side::Buy ? longs_ : shorts_;
    tree.insert({key, a});
    where_[a] = Entry{key, static_cast<std::int8_t>(position_side)};
  }

  void erase(AccountId a) {
    Entry& e = where_[a];
    if (e.side == 0) return;
    if (!e.hidden) (e.side > 0 ? longs_ : shorts_).erase({e.key, a});
    e = Entry{};
  }

  // A hidden account keeps its key but is left out of candidates() and hit() until shown (or
  // set or erased). The risk stage hides parked accounts (parked_accounts.hpp).
  void hide(AccountId a) {
    Entry& e = where_[a];
    if (e.side == 0 || e.hidden) return;
    (e.side > 0 ? longs_ : shorts_).erase({e.key, a});
    e.hidden = true;
  }
  void show(AccountId a) {
    Entry& e = where_[a];
    if (e.side == 0 || !e.hidden) return;
    (e.side > 0 ? longs_ : shorts_).insert({e.key, a});
    e.hidden = false;
  }

  // Longs by (key, account), then shorts by (key, account).
  void candidates(Price mark, std::vector<AccountId>& out) const {
    longs_.for_each_from({mark, std::numeric_limits<AccountId>::min()},
                         [&](const Keyed& k) { out.push_back(k.second); });
    shorts_.for_each_while([&](const Keyed& k) {
      if (k.first > mark) return false;
      out.push_back(k.second);
      return true;
    });
  }

  // Whether `a` is among candidates(mark).
  bool hit(AccountId a, Price mark) const {
    const Entry& e = where_[a];
    if (e.hidden) return false;
    return e.side > 0 ? mark <= e.key : e.side < 0 && e.key <= mark;
  }

  // The key and position side `a` is indexed with (side 0: not indexed).
  Price key(AccountId a) const { return where_[a].key; }
  int side(AccountId a) const { return where_[a].side; }

  // Indexed accounts, hidden ones not counted.
  std::size_t size() const { return longs_.size() + shorts_.size(); }

 private:
  struct Entry {
    Price key = 0;
    std::int8_t side = 0;  // 0: not indexed
    bool hidden = false;
  };
  using Keyed = std::pair<Price, AccountId>;
  SortedBlocks<Keyed> longs_, shorts_;
  AccountArray<Entry> where_;
};

}  // namespace liqsim
