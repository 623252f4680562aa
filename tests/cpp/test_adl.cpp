// Standalone tests of the ADL allocator (cpp/include/liqsim/risk/adl.hpp). No framework:
//   g++ -std=c++20 -O1 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
//       -I cpp/include tests/cpp/test_adl.cpp cpp/src/risk/adl.cpp -o /tmp/tadl && /tmp/tadl
// Every expected allocation below is computed by hand in the comments.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "liqsim/error.hpp"
#include "liqsim/risk/adl.hpp"

#include "check.hpp"

using namespace liqsim;

using Fills = std::vector<std::pair<AccountId, Qty>>;

static Fills as_pairs(const std::vector<AdlFill>& fills) {
  Fills out;
  for (const AdlFill& f : fills) out.emplace_back(f.account, f.qty);
  return out;
}

static std::string show(const Fills& f) {
  std::string s = "[";
  for (const auto& [a, q] : f) s += " " + std::to_string(a) + ":" + std::to_string(q);
  return s + " ]";
}

static void check_fills(int line, AdlRule rule, const std::vector<AdlCandidate>& cs, Qty needed,
                        const Fills& want, std::uint64_t seed = 0) {
  ++g_checks;
  const Fills got = as_pairs(adl_allocate(rule, cs, needed, seed));
  if (got != want) {
    ++g_failures;
    std::printf("FAIL line %d (%s, needed %lld): got %s want %s\n", line, adl_rule_name(rule),
                static_cast<long long>(needed), show(got).c_str(), show(want).c_str());
  }
}
#define CHECK_FILLS(...) check_fills(__LINE__, __VA_ARGS__)

static void check_lights(int line, AdlRule rule, const std::vector<AdlCandidate>& cs,
                         const std::vector<int>& want) {
  ++g_checks;
  const std::vector<std::uint8_t> got8 = adl_lights(rule, cs);
  const std::vector<int> got(got8.begin(), got8.end());
  if (got != want) {
    ++g_failures;
    std::string g, w;
    for (int x : got) g += std::to_string(x) + " ";
    for (int x : want) w += std::to_string(x) + " ";
    std::printf("FAIL line %d (%s lights): got %s want %s\n", line, adl_rule_name(rule),
                g.c_str(), w.c_str());
  }
}
#define CHECK_LIGHTS(...) check_lights(__LINE__, __VA_ARGS__)

template <class F>
static void check_throws(int line, F&& f, ErrorKind kind, const std::string& needle) {
  ++g_checks;
  try {
    f();
  } catch (const Error& e) {
    if (e.kind() == kind && std::string(e.what()).find(needle) != std::string::npos) return;
    ++g_failures;
    std::printf("FAIL line %d: wrong error '%s'\n", line, e.what());
    return;
  }
  ++g_failures;
  std::printf("FAIL line %d: no error thrown (wanted '%s')\n", line, needle.c_str());
}
#define CHECK_THROWS(f, kind, needle) check_throws(__LINE__, f, kind, needle)

// Candidate with only qty set (pro-rata / random do not look at the other fields).
static AdlCandidate q(AccountId a, Qty qty) { return AdlCandidate{a, qty, 0, 1, 1, 0, 0}; }

// account, qty, upnl, entry_notional, equity, maintenance, notional
static AdlCandidate c(AccountId a, Qty qty, Cash upnl, Cash en, Cash eq, Cash mm, Cash nt) {
  return AdlCandidate{a, qty, upnl, en, eq, mm, nt};
}

// ------------------------------------------------------------------------------------ pro rata

static void test_pro_rata() {
  // qty 10, 30, 60 (total 100), needed 25: exact shares 2.5, 7.5, 15.
  // floors 2, 7, 15 = 24; remainders (25*q mod 100) 50, 50, 0; one leftover lot.
  // Accounts 0 and 1 tie on remainder 50 -> larger qty wins -> account 1: 2, 8, 15.
  // Input order is shuffled; output is in account id order.
  CHECK_FILLS(AdlRule::ProRata, {q(2, 60), q(0, 10), q(1, 30)}, 25, Fills{{0, 2}, {1, 8}, {2, 15}});
  // qty 1, 1, 1, needed 2: shares 2/3 each, floors 0, remainders all 2, equal qty ->
  // lower account ids get the two leftover lots; account 2 gets nothing (no zero fill).
  CHECK_FILLS(AdlRule::ProRata, {q(0, 1), q(1, 1), q(2, 1)}, 2, Fills{{0, 1}, {1, 1}});
  // Remainder beats qty: qty 6, 9 (total 15), needed 4: 24/15 = 1 r 9, 36/15 = 2 r 6.
  // floors 1 + 2 = 3, leftover 1 -> largest remainder (9) = account 0 (the smaller holder): 2, 2.
  CHECK_FILLS(AdlRule::ProRata, {q(0, 6), q(1, 9)}, 4, Fills{{0, 2}, {1, 2}});
  // needed >= total: everyone closes fully (caller handles the shortfall of 3).
  CHECK_FILLS(AdlRule::ProRata, {q(1, 4), q(0, 3)}, 10, Fills{{0, 3}, {1, 4}});
  CHECK_FILLS(AdlRule::ProRata, {q(1, 4), q(0, 3)}, 7, Fills{{0, 3}, {1, 4}});
  // needed 0 and no candidates: nothing.
  CHECK_FILLS(AdlRule::ProRata, {q(0, 3)}, 0, Fills{});
  CHECK_FILLS(AdlRule::ProRata, {}, 5, Fills{});
  // Large: qty N = 1e15 and 3 (total N + 3), needed N: needed * qty needs int128.
  // N*N / (N+3) = N - 3 + 9/(N+3)  -> floor 999999999999997, remainder 9;
  // 3N / (N+3)  = 2 + (N-6)/(N+3)  -> floor 2, remainder N - 6.
  // floors sum N - 1, leftover 1 -> larger remainder (N - 6 > 9) = account 1: 3.
  CHECK_FILLS(AdlRule::ProRata, {q(0, 1'000'000'000'000'000), q(1, 3)}, 1'000'000'000'000'000,
              Fills{{0, 999'999'999'999'997}, {1, 3}});
  section_done("pro_rata");
}

// ----------------------------------------------------------------------------- capped pro rata

static void test_capped_pro_rata() {
  // qty 2, 5, 20, needed 15: sum min(q, c) = 2 + 5 + c = 15 -> c = 8 -> 2, 5, 8.
  CHECK_FILLS(AdlRule::CappedProRata, {q(0, 2), q(1, 5), q(2, 20)}, 15,
              Fills{{0, 2}, {1, 5}, {2, 8}});
  // qty 2, 5, 20, 20 (accounts 0..3, shuffled input), needed 20:
  // c = 6: 2 + 5 + 6 + 6 = 19 <= 20, c = 7: 21 > 20 -> cap 6, leftover 1 -> first account
  // with qty > 6 in id order (account 2): 2, 5, 7, 6.
  CHECK_FILLS(AdlRule::CappedProRata, {q(3, 20), q(0, 2), q(2, 20), q(1, 5)}, 20,
              Fills{{0, 2}, {1, 5}, {2, 7}, {3, 6}});
  // qty 5, 5, 5, needed 2: cap 0 (3 > 2), leftover 2 -> accounts 0, 1 get one lot each.
  CHECK_FILLS(AdlRule::CappedProRata, {q(0, 5), q(1, 5), q(2, 5)}, 2, Fills{{0, 1}, {1, 1}});
  // qty 2, 5, 20, needed 7: c = 2 -> 6, c = 3 -> 8 > 7: cap 2, leftover 1 -> account 1: 2, 3, 2.
  CHECK_FILLS(AdlRule::CappedProRata, {q(0, 2), q(1, 5), q(2, 20)}, 7,
              Fills{{0, 2}, {1, 3}, {2, 2}});
  // needed >= total: everyone fully.
  CHECK_FILLS(AdlRule::CappedProRata, {q(0, 2), q(1, 5)}, 9, Fills{{0, 2}, {1, 5}});
  // needed = total - 1: c = 19 (2 + 5 + 19 = 26 = 27 - 1) -> 2, 5, 19.
  CHECK_FILLS(AdlRule::CappedProRata, {q(0, 2), q(1, 5), q(2, 20)}, 26,
              Fills{{0, 2}, {1, 5}, {2, 19}});
  section_done("capped_pro_rata");
}

// ---------------------------------------------------------------------------- pnl_leverage

static void test_pnl_leverage() {
  // score = (upnl / entry_notional) x (maintenance / equity); equity <= 0 first (equity asc).
  //                 acct qty  upnl    en   eq  mm   nt      PnL%    MR      score
  const std::vector<AdlCandidate> cs = {
      c(0, 6, 100, 1000, 500, 50, 1000),    //  10% x  10%  =  0.01
      c(1, 7, 300, 1000, 1000, 20, 1000),   //  30% x   2%  =  0.006
      c(2, 5, 50, 200, 200, 40, 1000),      //  25% x  20%  =  0.05
      c(3, 8, -100, 1000, 100, 10, 1000),   // -10% x  10%  = -0.01
      c(4, 4, 10, 100, 0, 10, 1000),        // equity 0   -> first group
      c(5, 3, -50, 100, -5, 10, 1000),      // equity -5  -> first group, before account 4
      c(6, 2, 200, 2000, 250, 25, 1000),    //  10% x  10%  =  0.01, ties account 0 -> after it
      c(7, 1, -100, 1000, 1000, 10, 1000),  // -10% x   1%  = -0.001
  };
  // Queue: 5 (eq -5), 4 (eq 0), 2 (0.05), 0 (0.01), 6 (0.01), 1 (0.006), 7 (-0.001), 3 (-0.01).
  // needed 15: 5 takes 3, 4 takes 4, 2 takes 5 (12), 0 takes the last 3 of its 6.
  CHECK_FILLS(AdlRule::PnlLeverage, cs, 15, Fills{{5, 3}, {4, 4}, {2, 5}, {0, 3}});
  // needed 19: ... 0 fully (18), 6 takes 1 of 2.
  CHECK_FILLS(AdlRule::PnlLeverage, cs, 19, Fills{{5, 3}, {4, 4}, {2, 5}, {0, 6}, {6, 1}});
  // needed 100 > total 36: everyone, in queue order.
  CHECK_FILLS(AdlRule::PnlLeverage, cs, 100,
              Fills{{5, 3}, {4, 4}, {2, 5}, {0, 6}, {6, 2}, {1, 7}, {7, 1}, {3, 8}});
  // Same result whatever the input order.
  std::vector<AdlCandidate> rev(cs.rbegin(), cs.rend());
  CHECK_FILLS(AdlRule::PnlLeverage, rev, 19, Fills{{5, 3}, {4, 4}, {2, 5}, {0, 6}, {6, 1}});
  // Lights, n = 8, light = 5 - floor(5 r / 8), r = number strictly ahead:
  //   5: r0 -> 5, 4: r1 -> 5, 2: r2 -> 4, 0: r3 -> 4, 6: tied with 0, r3 -> 4 (not r4 -> 3),
  //   1: r5 -> 2, 7: r6 -> 2, 3: r7 -> 1.   In input order (accounts 0..7):
  CHECK_LIGHTS(AdlRule::PnlLeverage, cs, std::vector<int>{4, 2, 4, 1, 5, 5, 4, 2});
  section_done("pnl_leverage");
}

// ---------------------------------------------------------------------------------- bitmex

static void test_bitmex() {
  // leverage = notional / equity; score = PnL% x lev if upnl > 0 else PnL% / lev.
  //                 acct qty upnl   en    eq    mm  nt     PnL%  lev   score
  const std::vector<AdlCandidate> cs = {
      c(0, 10, 100, 1000, 110, 0, 1100),   //  10%   10    1.0
      c(1, 10, 500, 1000, 1500, 0, 1500),  //  50%    1    0.5
      c(2, 10, -100, 1000, 90, 0, 900),    // -10%   10   -0.01  (PnL% / lev)
      c(3, 10, -100, 1000, 900, 0, 900),   // -10%    1   -0.1
      c(4, 10, 0, 1000, 100, 0, 1000),     //   0%   10    0
      c(5, 10, -300, 1000, 0, 0, 700),     // equity 0 -> first
  };
  // Queue: 5, 0 (1.0), 1 (0.5), 4 (0), 2 (-0.01), 3 (-0.1): the more levered loser (2) goes
  // before the less levered one (3), unlike a plain PnL% x lev product (-1.0 vs -0.1).
  CHECK_FILLS(AdlRule::Bitmex, cs, 35, Fills{{5, 10}, {0, 10}, {1, 10}, {4, 5}});
  CHECK_FILLS(AdlRule::Bitmex, cs, 55, Fills{{5, 10}, {0, 10}, {1, 10}, {4, 10}, {2, 10}, {3, 5}});
  // n = 6: r0..r5 -> 5 - floor(5r/6) = 5, 5, 4, 3, 2, 1 for 5, 0, 1, 4, 2, 3.
  CHECK_LIGHTS(AdlRule::Bitmex, cs, std::vector<int>{5, 4, 2, 1, 3, 5});
  // A loss at notional 0 (zero leverage) is -infinity: after the -0.1 loser.
  const std::vector<AdlCandidate> cz = {
      c(0, 1, -1, 1000, 100, 0, 0),      // -0.1% / 0  -> -inf
      c(1, 1, -100, 1000, 900, 0, 900),  // -0.1
      c(2, 1, 1, 1000, 100, 0, 0),       // profit at lev 0 -> 0
  };
  CHECK_FILLS(AdlRule::Bitmex, cz, 3, Fills{{2, 1}, {1, 1}, {0, 1}});
  section_done("bitmex");
}

// ------------------------------------------------------------------------ leverage_draining

static void test_leverage_draining() {
  //                 acct qty upnl en   eq   mm    nt      leverage
  const std::vector<AdlCandidate> cs = {
      c(0, 4, 0, 1, 100, 0, 1000),   // 10x
      c(1, 6, 0, 1, 1000, 0, 5000),  //  5x
      c(2, 3, 0, 1, 100, 0, 2000),   // 20x
      c(3, 2, 0, 1, 0, 0, 500),      // equity 0   -> first group
      c(4, 5, 0, 1, 300, 0, 3000),   // 10x, ties account 0 -> after it
      c(5, 1, 0, 1, -10, 0, 100),    // equity -10 -> first group, before account 3
  };
  // Queue: 5, 3, 2 (20x), 0 (10x), 4 (10x), 1 (5x). needed 12: 1 + 2 + 3 + 4 = 10, 4 takes 2.
  CHECK_FILLS(AdlRule::LeverageDraining, cs, 12, Fills{{5, 1}, {3, 2}, {2, 3}, {0, 4}, {4, 2}});
  // The bitmex set drained by leverage instead: 5 (eq 0), then 10x: 0, 2, 4 (ids), then 1x: 1, 3.
  const std::vector<AdlCandidate> bm = {
      c(0, 10, 100, 1000, 110, 0, 1100), c(1, 10, 500, 1000, 1500, 0, 1500),
      c(2, 10, -100, 1000, 90, 0, 900),  c(3, 10, -100, 1000, 900, 0, 900),
      c(4, 10, 0, 1000, 100, 0, 1000),   c(5, 10, -300, 1000, 0, 0, 700),
  };
  CHECK_FILLS(AdlRule::LeverageDraining, bm, 45, Fills{{5, 10}, {0, 10}, {2, 10}, {4, 10}, {1, 5}});
  // Lights: 10 accounts, leverage i + 1 for account i -> account 9 first (r = 9 - i).
  // 5 - floor(5r/10): r 0,1 -> 5; 2,3 -> 4; 4,5 -> 3; 6,7 -> 2; 8,9 -> 1.
  std::vector<AdlCandidate> ten;
  for (AccountId i = 0; i < 10; ++i) ten.push_back(c(i, 1, 0, 1, 100, 0, (i + 1) * 100));
  CHECK_LIGHTS(AdlRule::LeverageDraining, ten, std::vector<int>{1, 1, 2, 2, 3, 3, 4, 4, 5, 5});
  section_done("leverage_draining");
}

// ------------------------------------------------------------------------- exact comparison

static void test_exactness() {
  // X = 2^62. Scores (X+1)/X and X/(X-1) differ by 1/(X(X-1)) ~ 2^-124: equal as doubles, and
  // the cross products (~2^248) overflow int128, so this exercises the 256-bit comparison.
  const Cash X = Cash{1} << 62;
  // pnl_leverage: acct 0: (X+1)*X / (X*X) = (X+1)/X;  acct 1: X*X / (X*(X-1)) = X/(X-1) (larger).
  const std::vector<AdlCandidate> a = {c(0, 1, X + 1, X, X, X, 1), c(1, 1, X, X, X - 1, X, 1)};
  CHECK_FILLS(AdlRule::PnlLeverage, a, 2, Fills{{1, 1}, {0, 1}});
  // Swap the accounts: order follows the score, not the id.
  const std::vector<AdlCandidate> b = {c(1, 1, X + 1, X, X, X, 1), c(0, 1, X, X, X - 1, X, 1)};
  CHECK_FILLS(AdlRule::PnlLeverage, b, 2, Fills{{0, 1}, {1, 1}});
  // Losses: -(X+1)/X > -X/(X-1), so the (X+1)/X account goes first.
  const std::vector<AdlCandidate> n = {c(0, 1, -X, X, X - 1, X, 1), c(1, 1, -(X + 1), X, X, X, 1)};
  CHECK_FILLS(AdlRule::PnlLeverage, n, 2, Fills{{1, 1}, {0, 1}});
  // bitmex, profitable: upnl * notional / (en * equity): same two fractions.
  const std::vector<AdlCandidate> m = {c(0, 1, X + 1, X, X, 0, X), c(1, 1, X, X, X - 1, 0, X)};
  CHECK_FILLS(AdlRule::Bitmex, m, 2, Fills{{1, 1}, {0, 1}});
  // leverage_draining: (X+1)/X vs X/(X-1) as notional / equity (int128 products suffice).
  const std::vector<AdlCandidate> l = {c(0, 1, 0, 1, X, 0, X + 1), c(1, 1, 0, 1, X - 1, 0, X)};
  CHECK_FILLS(AdlRule::LeverageDraining, l, 2, Fills{{1, 1}, {0, 1}});
  // Extreme int64 inputs do not overflow: INT64_MAX products, INT64_MIN upnl.
  const Cash M = std::numeric_limits<Cash>::max();
  const Cash m0 = std::numeric_limits<Cash>::min();
  const std::vector<AdlCandidate> e = {c(0, 1, M, 1, 1, M, M), c(1, 1, m0, 1, 1, M, M),
                                       c(2, 1, M, M, M, 1, 1), c(3, 1, M - 1, 1, 1, M, M)};
  // pnl_leverage: 0: M*M/1 (largest), 3: (M-1)*M, 2: M/(M*M) = 1/M, 1: -2^63*M (last).
  CHECK_FILLS(AdlRule::PnlLeverage, e, 4, Fills{{0, 1}, {3, 1}, {2, 1}, {1, 1}});
  section_done("exactness");
}

// ---------------------------------------------------------------------------------- random

static void test_random() {
  // Accounts 10..50 (shuffled input) sorted by id: [10, 20, 30, 40, 50]; qty 3 each.
  // splitmix64 first outputs: seed 0 -> 0xe220a8397b1dcdaf (mod 5 = 0), seed 42 ->
  // 0xbdd732262feb6e95 (mod 5 = 3), seed 7 -> 0x63cbe1e459320dd7 (mod 5 = 2); 2^64 mod 5 = 1,
  // so only x = 0 would be redrawn.
  const std::vector<AdlCandidate> cs = {q(30, 3), q(50, 3), q(10, 3), q(40, 3), q(20, 3)};
  CHECK_FILLS(AdlRule::Random, cs, 7, Fills{{10, 3}, {20, 3}, {30, 1}}, 0);
  CHECK_FILLS(AdlRule::Random, cs, 7, Fills{{40, 3}, {50, 3}, {10, 1}}, 42);  // wraps around
  CHECK_FILLS(AdlRule::Random, cs, 7, Fills{{30, 3}, {40, 3}, {50, 1}}, 7);
  CHECK_FILLS(AdlRule::Random, cs, 100, Fills{{30, 3}, {40, 3}, {50, 3}, {10, 3}, {20, 3}}, 7);
  // Determinism: same seed, same fills; input order irrelevant.
  std::vector<AdlCandidate> rev(cs.rbegin(), cs.rend());
  bool same = true;
  for (std::uint64_t seed = 0; seed < 200; ++seed)
    same = same && as_pairs(adl_allocate(AdlRule::Random, cs, 4, seed)) ==
                       as_pairs(adl_allocate(AdlRule::Random, rev, 4, seed));
  CHECK(same);
  // Uniform start: over 5000 seeds each of the 5 starts gets ~1000.
  std::map<AccountId, int> starts;
  for (std::uint64_t seed = 0; seed < 5000; ++seed)
    ++starts[adl_allocate(AdlRule::Random, cs, 1, seed).at(0).account];
  CHECK(starts.size() == 5);
  for (const auto& [acct, count] : starts) CHECK(count > 850 && count < 1150);
  section_done("random");
  std::printf("  starts over 5000 seeds:");
  for (const auto& [acct, count] : starts) std::printf(" %d:%d", acct, count);
  std::printf("\n");
}

// ---------------------------------------------------------------------------------- lights

static void test_lights() {
  const std::vector<AdlCandidate> cs = {q(3, 20), q(0, 2), q(2, 20), q(1, 5)};
  // No queue: everyone equally exposed -> all 5.
  CHECK_LIGHTS(AdlRule::ProRata, cs, std::vector<int>{5, 5, 5, 5});
  CHECK_LIGHTS(AdlRule::Random, cs, std::vector<int>{5, 5, 5, 5});
  // capped_pro_rata: qty ascending; n = 4: qty 2 r0 -> 5, qty 5 r1 -> 5 - 1 = 4,
  // both qty 20 r2 -> 5 - floor(10/4) = 3.
  CHECK_LIGHTS(AdlRule::CappedProRata, cs, std::vector<int>{3, 5, 3, 4});
  CHECK_LIGHTS(AdlRule::LeverageDraining, std::vector<AdlCandidate>{q(7, 1)}, std::vector<int>{5});
  CHECK_LIGHTS(AdlRule::Bitmex, std::vector<AdlCandidate>{}, std::vector<int>{});
  // n = 3 distinct: r 0, 1, 2 -> 5, 5 - 1 = 4, 5 - 3 = 2.
  const std::vector<AdlCandidate> three = {c(0, 1, 0, 1, 100, 0, 100), c(1, 1, 0, 1, 100, 0, 300),
                                           c(2, 1, 0, 1, 100, 0, 200)};
  CHECK_LIGHTS(AdlRule::LeverageDraining, three, std::vector<int>{2, 5, 4});
  section_done("lights");
}

// ------------------------------------------------------------------------------ validation

static void test_validation_and_names() {
  const std::vector<AdlCandidate> ok = {q(0, 1)};
  CHECK_THROWS([&] { adl_allocate(AdlRule::ProRata, ok, -1, 0); }, ErrorKind::InvalidOrder,
               "needed");
  CHECK_THROWS([&] { adl_allocate(AdlRule::ProRata, {q(0, 0)}, 1, 0); }, ErrorKind::InvalidOrder,
               "qty");
  CHECK_THROWS([&] { adl_allocate(AdlRule::Random, {q(0, -3)}, 1, 0); }, ErrorKind::InvalidOrder,
               "qty");
  CHECK_THROWS([&] { adl_allocate(AdlRule::Bitmex, {c(4, 1, 0, 0, 1, 0, 1)}, 1, 0); },
               ErrorKind::InvalidOrder, "entry_notional");
  CHECK_THROWS([&] { adl_allocate(AdlRule::Bitmex, {c(4, 1, 0, 1, 1, -1, 1)}, 1, 0); },
               ErrorKind::InvalidOrder, "maintenance");
  CHECK_THROWS([&] { adl_allocate(AdlRule::Bitmex, {c(4, 1, 0, 1, 1, 0, -1)}, 1, 0); },
               ErrorKind::InvalidOrder, "notional");
  CHECK_THROWS([&] { adl_allocate(AdlRule::ProRata, {q(3, 1), q(1, 1), q(3, 2)}, 1, 0); },
               ErrorKind::InvalidOrder, "duplicate candidate account 3");
  CHECK_THROWS([&] { adl_allocate(static_cast<AdlRule>(99), ok, 1, 0); },
               ErrorKind::InvalidConfig, "rule");
  CHECK_THROWS([&] { adl_lights(AdlRule::PnlLeverage, {q(0, 0)}); }, ErrorKind::InvalidOrder,
               "qty");
  CHECK_THROWS([&] { adl_lights(AdlRule::PnlLeverage, {q(2, 1), q(2, 1)}); },
               ErrorKind::InvalidOrder, "duplicate");
  // Validation happens even when there is nothing to do.
  CHECK_THROWS([&] { adl_allocate(AdlRule::ProRata, {q(0, 0)}, 0, 0); }, ErrorKind::InvalidOrder,
               "qty");

  for (AdlRule r : {AdlRule::PnlLeverage, AdlRule::Bitmex, AdlRule::ProRata,
                    AdlRule::CappedProRata, AdlRule::LeverageDraining, AdlRule::Random})
    CHECK(parse_adl_rule(adl_rule_name(r)) == r);
  CHECK(parse_adl_rule("pnl_leverage") == AdlRule::PnlLeverage);
  CHECK(parse_adl_rule("capped_pro_rata") == AdlRule::CappedProRata);
  CHECK(parse_adl_rule("leverage_draining") == AdlRule::LeverageDraining);
  CHECK(!parse_adl_rule("PRO_RATA").has_value());
  CHECK(!parse_adl_rule("").has_value());
  CHECK(!parse_adl_rule("pro_rata ").has_value());
  CHECK(std::string(adl_rule_name(static_cast<AdlRule>(99))) == "unknown");
  section_done("validation and names");
}

// --------------------------------------------------------------------------- random property

struct Lcg {
  std::uint64_t s;
  std::int64_t below(std::int64_t n) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::int64_t>((s >> 33) % static_cast<std::uint64_t>(n));
  }
};

static void test_properties() {
  Lcg rng{12345};
  const AdlRule rules[] = {AdlRule::PnlLeverage,   AdlRule::Bitmex,
                           AdlRule::ProRata,       AdlRule::CappedProRata,
                           AdlRule::LeverageDraining, AdlRule::Random};
  int cases = 0;
  bool all_ok = true;
  for (int iter = 0; iter < 3000; ++iter) {
    const std::int64_t n = rng.below(13);
    std::vector<AdlCandidate> cs;
    std::int64_t total = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      AdlCandidate x{static_cast<AccountId>(i * 3 + rng.below(3)), 1 + rng.below(50),
                     rng.below(2001) - 1000, 1 + rng.below(5000), rng.below(3000) - 300,
                     rng.below(400), rng.below(20000)};
      total += x.qty;
      cs.push_back(x);
    }
    const Qty needed = rng.below(total + 20);
    std::vector<AdlCandidate> shuffled = cs;
    for (std::size_t i = shuffled.size(); i > 1; --i)
      std::swap(shuffled[i - 1],
                shuffled[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(i)))]);
    std::map<AccountId, const AdlCandidate*> by_id;
    for (const AdlCandidate& x : cs) by_id[x.account] = &x;
    std::vector<AccountId> ids;
    for (const auto& kv : by_id) ids.push_back(kv.first);

    for (AdlRule rule : rules) {
      ++cases;
      const std::uint64_t seed = static_cast<std::uint64_t>(iter);
      const std::vector<AdlFill> fills = adl_allocate(rule, cs, needed, seed);
      bool ok = as_pairs(fills) == as_pairs(adl_allocate(rule, shuffled, needed, seed));
      std::set<AccountId> seen;
      Qty sum = 0;
      for (const AdlFill& f : fills) {
        ok = ok && f.qty > 0 && by_id.count(f.account) && f.qty <= by_id[f.account]->qty &&
             seen.insert(f.account).second;
        sum += f.qty;
      }
      ok = ok && sum == std::min<Qty>(needed, total);
      const bool sequential = rule == AdlRule::PnlLeverage || rule == AdlRule::Bitmex ||
                              rule == AdlRule::LeverageDraining || rule == AdlRule::Random;
      if (sequential && ok)  // all but the last fill close the candidate fully
        for (std::size_t k = 0; k + 1 < fills.size(); ++k)
          ok = ok && fills[k].qty == by_id[fills[k].account]->qty;
      if (rule != AdlRule::Random && sequential && ok) {
        // ranking order agrees with the lights (non-increasing along the fills)
        const std::vector<std::uint8_t> lights = adl_lights(rule, cs);
        std::map<AccountId, int> light;
        for (std::size_t i = 0; i < cs.size(); ++i) light[cs[i].account] = lights[i];
        for (std::size_t k = 1; k < fills.size(); ++k)
          ok = ok && light[fills[k - 1].account] >= light[fills[k].account];
      }
      if (rule == AdlRule::Random && ok && !fills.empty()) {  // consecutive cyclically by id
        const auto start = std::find(ids.begin(), ids.end(), fills[0].account) - ids.begin();
        for (std::size_t k = 0; k < fills.size(); ++k)
          ok = ok && fills[k].account ==
                         ids[(static_cast<std::size_t>(start) + k) % ids.size()];
      }
      if (rule == AdlRule::ProRata && ok && needed < total) {  // within a lot of the exact share
        std::map<AccountId, Qty> got;
        for (const AdlFill& f : fills) got[f.account] = f.qty;
        for (const AdlCandidate& x : cs) {
          const Qty fl = needed * x.qty / total;
          ok = ok && (got[x.account] == fl || got[x.account] == fl + 1);
        }
      }
      if (rule == AdlRule::CappedProRata && ok && needed < total) {
        // Brute-force water level: largest c with sum min(q, c) <= needed; everyone gets
        // min(q, c) and the leftover lots go one each to the lowest ids with q > c.
        auto level = [&](Qty cc) {
          Qty s = 0;
          for (const AdlCandidate& x : cs) s += std::min(x.qty, cc);
          return s;
        };
        Qty cap = 0;
        while (level(cap + 1) <= needed) ++cap;
        Qty leftover = needed - level(cap);
        std::map<AccountId, Qty> got;
        for (const AdlFill& f : fills) got[f.account] = f.qty;
        for (const AccountId id : ids) {  // ascending id
          const Qty qq = by_id[id]->qty;
          Qty want = std::min(qq, cap);
          if (qq > cap && leftover > 0) {
            ++want;
            --leftover;
          }
          ok = ok && got[id] == want;
        }
      }
      if (!ok) {
        all_ok = false;
        std::printf("property FAIL iter %d rule %s needed %lld: %s\n", iter, adl_rule_name(rule),
                    static_cast<long long>(needed), show(as_pairs(fills)).c_str());
      }
    }
  }
  CHECK(all_ok);
  section_done("properties");
  std::printf("  %d random cases\n", cases);
}

// AdlQueue (kept across rounds by the exchange) closes what adl_allocate closes, after any
// sequence of re-keyed accounts.
static void test_queue_matches_allocate() {
  std::uint64_t x = 12345;
  const auto rnd = [&](std::int64_t lo, std::int64_t hi) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + static_cast<std::int64_t>((x >> 33) % static_cast<std::uint64_t>(hi - lo + 1));
  };
  const auto random_candidate = [&](AccountId a) {
    return AdlCandidate{a, rnd(1, 50), rnd(-5000, 5000), rnd(1, 10000), rnd(-200, 20000), rnd(0, 500), rnd(0, 20000)};
  };
  bool all_ok = true;
  for (AdlRule rule : {AdlRule::PnlLeverage, AdlRule::Bitmex, AdlRule::LeverageDraining}) {
    for (int iter = 0; iter < 200; ++iter) {
      std::vector<AdlCandidate> cs;
      for (AccountId a = -2; a < 30; ++a)
        if (a != -1 && rnd(0, 2) > 0) cs.push_back(random_candidate(a));
      AdlQueue q;
      q.build(rule, cs);
      for (int round = 0; round < 5; ++round) {
        const AccountId skip = static_cast<AccountId>(rnd(-2, 30));
        const Qty needed = rnd(1, 400);
        std::vector<AdlCandidate> traders;
        for (const AdlCandidate& c : cs)
          if (c.account >= 0 && c.account != skip) traders.push_back(c);
        const auto want = adl_allocate(rule, traders, needed, 0);
        const auto got = q.take(needed, skip);
        bool same = want.size() == got.size();
        for (std::size_t i = 0; same && i < got.size(); ++i)
          same = want[i].account == got[i].account && want[i].qty == got[i].qty;
        all_ok = all_ok && same;
        // Re-key a few accounts, drop one, as an ADL round does.
        for (int k = 0; k < 3 && !cs.empty(); ++k) {
          auto& c = cs[static_cast<std::size_t>(rnd(0, static_cast<std::int64_t>(cs.size()) - 1))];
          q.erase(c);
          c = random_candidate(c.account);
          q.insert(c);
        }
        if (!cs.empty() && rnd(0, 1)) {
          const std::size_t i = static_cast<std::size_t>(rnd(0, static_cast<std::int64_t>(cs.size()) - 1));
          q.erase(cs[i]);
          cs.erase(cs.begin() + static_cast<std::ptrdiff_t>(i));
        }
        CHECK(q.size() == cs.size());
      }
    }
  }
  CHECK(all_ok);
  section_done("queue matches allocate");
}

int main() {
  test_pro_rata();
  test_capped_pro_rata();
  test_pnl_leverage();
  test_bitmex();
  test_leverage_draining();
  test_exactness();
  test_random();
  test_lights();
  test_validation_and_names();
  test_properties();
  test_queue_matches_allocate();
  return checks_summary();
}
