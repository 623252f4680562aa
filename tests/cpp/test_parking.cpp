// Standalone tests of the parked-account set and the trigger index's hide/show
// (cpp/include/liqsim/risk/parked_accounts.hpp, trigger_index.hpp). No framework:
//   g++ -std=c++20 -O1 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
//       -I cpp/include tests/cpp/test_parking.cpp -o /tmp/tpark && /tmp/tpark
// The exchange-level behaviour (same event logs with parking on and off) is in
// tests/test_parking.py.
#include <algorithm>
#include <cstdio>
#include <vector>

#include "liqsim/risk/parked_accounts.hpp"
#include "liqsim/risk/trigger_index.hpp"

#include "check.hpp"

using namespace liqsim;

static std::vector<AccountId> sorted(std::vector<AccountId> v) {
  std::sort(v.begin(), v.end());
  return v;
}

static void ranges_wake_by_price() {
  ParkedAccounts p;
  p.resize(10);
  p.add_instrument();
  p.add_instrument();
  // Parked while lo <= v <= hi.
  p.park(1, 0, 100, 200, {5, 2}, 7);
  p.park(2, 0, 150, 300, {4, 3}, 7);
  p.park(3, 0, 50, 160, {6, 2}, 7);
  p.park(4, 1, 10, 20, {9, 9}, 3);
  CHECK(p.size() == 4 && p.count(0) == 3 && p.count(1) == 1 && p.parkings() == 4);
  CHECK(p.window(0) == 7 && p.window(1) == 3);
  CHECK(p.oldest().epoch == 4 && p.oldest().deferred_gen == 2);  // per field, over everyone parked
  std::vector<AccountId> out;
  p.wake(0, 155, out);  // inside all three ranges
  CHECK(out.empty() && p.size() == 4);
  p.wake(0, 130, out);  // below 2's lo (150)
  CHECK(out == std::vector<AccountId>{2});
  CHECK(!p.parked(2) && p.parked(1) && p.parked(3) && p.count(0) == 2);
  CHECK(p.instrument(2) == 0 && p.stamp(2).epoch == 4);  // still answered once unparked
  CHECK(p.oldest().epoch == 5 && p.oldest().deferred_gen == 2);
  out.clear();
  p.wake(0, 170, out);  // above 3's hi (160)
  CHECK(out == std::vector<AccountId>{3});
  out.clear();
  p.wake(0, 201, out);
  CHECK(out == std::vector<AccountId>{1});
  CHECK(p.count(0) == 0 && p.window(0) == -1);  // an empty instrument forgets its window
  CHECK(p.size() == 1 && p.parked(4));
  section_done("ranges_wake_by_price");
}

static void stale_entries_are_skipped() {
  ParkedAccounts p;
  p.resize(4);
  p.add_instrument();
  p.park(0, 0, 100, 200, {1, 1}, 0);
  p.park(1, 0, 100, 200, {1, 1}, 0);
  CHECK(p.unpark(0) && !p.unpark(0));  // the account changed: it left on its own
  p.park(0, 0, 10, 1000, {2, 2}, 0);   // parked again with a wider range
  std::vector<AccountId> out;
  p.wake(0, 50, out);  // the old range of 0 (lo 100) must not wake it; 1 goes
  CHECK(out == std::vector<AccountId>{1});
  CHECK(p.parked(0) && p.size() == 1 && p.stamp(0).epoch == 2);
  out.clear();
  p.wake_all(0, out);
  CHECK(out == std::vector<AccountId>{0} && p.empty() && p.oldest().epoch == 0);
  CHECK(p.parkings() == 3);
  section_done("stale_entries_are_skipped");
}

// wake_all of one instrument: every live parking of it (each once, stale entries skipped),
// nothing of the other instrument, and the instrument starts afresh.
static void wake_all_of_one_instrument() {
  ParkedAccounts p;
  p.resize(8);
  p.add_instrument();
  p.add_instrument();
  p.park(0, 0, 100, 200, {1, 1}, 4);
  p.park(1, 0, 120, 180, {1, 1}, 4);
  p.park(2, 0, 90, 300, {1, 1}, 4);
  p.park(3, 1, 10, 20, {1, 1}, 9);
  CHECK(p.unpark(1));
  p.park(1, 0, 50, 500, {2, 1}, 4);  // parked again: its first entries are stale
  std::vector<AccountId> out;
  p.wake_all(0, out);
  CHECK(sorted(out) == (std::vector<AccountId>{0, 1, 2}));
  CHECK(p.count(0) == 0 && p.window(0) == -1 && p.count(1) == 1 && p.size() == 1 && p.parked(3));
  out.clear();
  p.wake(0, 1, out);  // nothing of instrument 0 left to wake, stale or not
  CHECK(out.empty());
  p.park(0, 0, 100, 200, {3, 3}, 5);  // and it parks afresh, in a new window
  CHECK(p.count(0) == 1 && p.window(0) == 5);
  p.wake(0, 99, out);
  CHECK(out == std::vector<AccountId>{0} && p.size() == 1);
  section_done("wake_all_of_one_instrument");
}

static std::vector<AccountId> candidates(const TriggerIndex& t, Price mark) {
  std::vector<AccountId> out;
  t.candidates(mark, out);
  return sorted(out);
}

static void hidden_triggers() {
  TriggerIndex t;
  t.resize(4);
  t.set(0, Side::Buy, 100);   // long: candidate when mark <= 100
  t.set(1, Side::Buy, 90);
  t.set(2, Side::Sell, 120);  // short: candidate when mark >= 120
  CHECK(candidates(t, 95) == (std::vector<AccountId>{0}));
  t.hide(0);
  CHECK(candidates(t, 80) == (std::vector<AccountId>{1}) && !t.hit(0, 80) && t.size() == 2);
  CHECK(t.key(0) == 100 && t.side(0) == 1);  // kept while hidden
  t.show(0);
  CHECK(candidates(t, 80) == (std::vector<AccountId>{0, 1}) && t.hit(0, 80));
  t.hide(2);
  t.set(2, Side::Sell, 110);  // re-keyed: shown again
  CHECK(candidates(t, 115) == (std::vector<AccountId>{2}));
  t.hide(1);
  t.erase(1);
  t.show(1);  // nothing to show
  CHECK(candidates(t, 50) == (std::vector<AccountId>{0}) && t.side(1) == 0 && t.size() == 2);
  section_done("hidden_triggers");
}

int main() {
  ranges_wake_by_price();
  stale_entries_are_skipped();
  wake_all_of_one_instrument();
  hidden_triggers();
  return checks_summary();
}
