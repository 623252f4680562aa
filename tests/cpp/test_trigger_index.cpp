// Standalone tests of the trigger index's container (cpp/include/liqsim/risk/sorted_blocks.hpp)
// and of the index itself (trigger_index.hpp), each against a std::set model driven by the same
// random operations. No framework:
//   g++ -std=c++20 -O1 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
//       -I cpp/include tests/cpp/test_trigger_index.cpp -o /tmp/ttrig && /tmp/ttrig
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "liqsim/risk/sorted_blocks.hpp"
#include "liqsim/risk/trigger_index.hpp"

#include "check.hpp"

using namespace liqsim;
using Keyed = std::pair<Price, AccountId>;

static std::vector<Keyed> all_of(const SortedBlocks<Keyed>& s) {
  std::vector<Keyed> out;
  s.for_each_while([&](const Keyed& k) {
    out.push_back(k);
    return true;
  });
  return out;
}

static void hand_cases() {
  SortedBlocks<Keyed> s;
  CHECK(s.empty() && !s.erase({1, 1}) && !s.contains({1, 1}));
  CHECK(s.insert({5, 2}) && s.insert({5, 1}) && s.insert({3, 9}) && !s.insert({5, 1}));
  CHECK(s.size() == 3 && s.contains({5, 1}) && !s.contains({5, 3}));
  CHECK((all_of(s) == std::vector<Keyed>{{3, 9}, {5, 1}, {5, 2}}));
  std::vector<Keyed> from;
  s.for_each_from({5, 2}, [&](const Keyed& k) { from.push_back(k); });
  CHECK((from == std::vector<Keyed>{{5, 2}}));
  from.clear();
  s.for_each_from({6, 0}, [&](const Keyed& k) { from.push_back(k); });
  CHECK(from.empty());
  CHECK(s.erase({3, 9}) && !s.erase({3, 9}) && s.size() == 2);
  CHECK((all_of(s) == std::vector<Keyed>{{5, 1}, {5, 2}}));
  CHECK(s.erase({5, 1}) && s.erase({5, 2}) && s.empty() && all_of(s).empty());
  CHECK(s.insert({7, 7}) && s.size() == 1);  // usable again once emptied
  section_done("hand_cases");
}

// Many blocks: keys from a narrow range (duplicate keys, many accounts each), inserts and erases
// in random order, ranges listed from random points; after every operation the contents equal
// the model's, and the listed ranges too.
static void against_std_set() {
  std::mt19937_64 rng(7);
  for (const Price keys : {Price{40}, Price{100'000}}) {
    SortedBlocks<Keyed> s;
    std::set<Keyed> model;
    bool same = true, ranges_same = true;
    for (int step = 0; step < 60'000; ++step) {
      const Keyed k{static_cast<Price>(rng() % keys), static_cast<AccountId>(rng() % 3'000)};
      // Grow to ~2,000 values, then shrink, then grow again: splits and emptied blocks.
      const bool grow = (step / 15'000) % 2 == 0;
      if (rng() % 100 < (grow ? 70u : 30u)) {
        same &= s.insert(k) == model.insert(k).second;
      } else {
        const auto it = model.lower_bound(k);  // erase a present value most of the time
        const Keyed e = (it != model.end() && rng() % 4 != 0) ? *it : k;
        same &= s.erase(e) == (model.erase(e) == 1);
      }
      same &= s.size() == model.size() && s.contains(k) == (model.count(k) == 1);
      if (step % 97 == 0) {
        same &= all_of(s) == std::vector<Keyed>(model.begin(), model.end());
        const Keyed from{static_cast<Price>(rng() % keys), 0};
        std::vector<Keyed> got;
        s.for_each_from(from, [&](const Keyed& x) { got.push_back(x); });
        ranges_same &= got == std::vector<Keyed>(model.lower_bound(from), model.end());
      }
    }
    CHECK(same);
    CHECK(ranges_same);
    CHECK(s.size() == model.size() && all_of(s) == std::vector<Keyed>(model.begin(), model.end()));
    // Blocks hold >= kMaxBlock / 4 values, but for one per pair of neighbours that could not merge.
    CHECK(s.block_count() <= 2 * (s.size() / (SortedBlocks<Keyed>::kMaxBlock / 4)) + 2);
  }
  section_done("against_std_set");
}

// The block count follows the current size: 20,000 ascending inserts, then 199 of every 200
// erased, leave 100 values in a few blocks (without merging: one block per 128 values ever
// inserted, ~156).
static void blocks_merge_when_emptied() {
  SortedBlocks<Keyed> s;
  for (Price k = 0; k < 20'000; ++k) s.insert({k, 0});
  const std::size_t full = s.block_count();
  CHECK(full >= 20'000 / SortedBlocks<Keyed>::kMaxBlock && full <= 20'000 / (SortedBlocks<Keyed>::kMaxBlock / 2) + 1);
  for (Price k = 0; k < 20'000; ++k)
    if (k % 200 != 0) s.erase({k, 0});
  CHECK(s.size() == 100 && s.block_count() <= 2);
  std::vector<Keyed> want;
  for (Price k = 0; k < 20'000; k += 200) want.push_back({k, 0});
  CHECK(all_of(s) == want);
  section_done("blocks_merge_when_emptied");
}

// The index as the risk stage uses it: set / erase / hide / show / flush for a few hundred
// accounts; then candidates(mark) must list the model's accounts (longs with key >= mark,
// shorts with key <= mark) once each, and right after a flush in the model's order (longs by
// (key, account), then shorts); hit() must agree, and copies must behave the same.
static void index_against_model(AccountId kAccounts) {
  std::mt19937_64 rng(11);
  TriggerIndex idx;
  idx.resize(kAccounts);
  struct Model {
    Price key = 0;
    int side = 0;
    bool hidden = false;
  };
  std::vector<Model> m(kAccounts);
  bool same = true;
  int listings = 0, flushed_listings = 0;
  for (int step = 0; step < 40'000; ++step) {
    const auto a = static_cast<AccountId>(rng() % kAccounts);
    bool flushed = false;
    // Flushes are rare (1 in 150 operations), so pending accounts live through long chains of
    // operations on them; every flush is followed by a listing.
    const std::uint64_t r = rng() % 150;
    switch (r == 0 ? 4 : r % 8 < 4 ? r % 8 : 5) {
      case 0: {
        const Side s = rng() % 2 ? Side::Buy : Side::Sell;
        const auto key = static_cast<Price>(900 + rng() % 200);
        idx.set(a, s, key);
        m[static_cast<std::size_t>(a)] = Model{key, s == Side::Buy ? 1 : -1, false};
        break;
      }
      case 1:
        idx.erase(a);
        m[static_cast<std::size_t>(a)] = Model{};
        break;
      case 2:
      case 3:
        idx.hide(a);
        if (m[static_cast<std::size_t>(a)].side != 0) m[static_cast<std::size_t>(a)].hidden = true;
        break;
      case 4:
        idx.flush();
        flushed = true;
        break;
      default:
        idx.show(a);
        m[static_cast<std::size_t>(a)].hidden = false;
        break;
    }
    if (step % 53 != 0 && !flushed) continue;
    const auto mark = static_cast<Price>(880 + rng() % 240);
    std::set<Keyed> longs, shorts;
    std::size_t visible = 0;
    for (AccountId x = 0; x < kAccounts; ++x) {
      const Model& e = m[static_cast<std::size_t>(x)];
      if (e.side == 0 || e.hidden) continue;
      ++visible;
      if (e.side > 0 && mark <= e.key) longs.insert({e.key, x});
      if (e.side < 0 && e.key <= mark) shorts.insert({e.key, x});
      same &= idx.hit(x, mark) == ((e.side > 0 && mark <= e.key) || (e.side < 0 && e.key <= mark));
    }
    std::vector<AccountId> want;
    for (const Keyed& k : longs) want.push_back(k.second);
    for (const Keyed& k : shorts) want.push_back(k.second);
    std::vector<AccountId> got;
    idx.candidates(mark, got);
    same &= idx.size() == visible;
    if (flushed) same &= got == want;  // nothing pending: exactly the sorted order
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    same &= got == want;  // each account once
    const TriggerIndex copy = idx;  // snapshots copy the index
    std::vector<AccountId> got_copy;
    copy.candidates(mark, got_copy);
    std::sort(got_copy.begin(), got_copy.end());
    same &= got_copy == want;
    ++listings;
    flushed_listings += flushed;
  }
  CHECK(same);
  CHECK(listings > 900 && flushed_listings > 200);  // both kinds of listing were checked
  section_done(kAccounts > 100 ? "index_against_model (400)" : "index_against_model (24)");
}

int main() {
  hand_cases();
  against_std_set();
  blocks_merge_when_emptied();
  index_against_model(400);
  index_against_model(24);  // few accounts: long show / erase / set / hide / show chains
  return checks_summary();
}
