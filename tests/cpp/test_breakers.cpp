// Standalone tests of the circuit breakers (cpp/include/liqsim/control/breakers.hpp). No framework:
//   g++ -std=c++20 -O1 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
//       -I cpp/include tests/cpp/test_breakers.cpp cpp/src/control/breakers.cpp -o /tmp/tbrk && /tmp/tbrk
// Every price path is built by hand; thresholds are worked out in the comments and each trigger
// is also checked one tick / one nanosecond short of firing.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "liqsim/control/breakers.hpp"
#include "liqsim/error.hpp"

#include "check.hpp"

using namespace liqsim;

constexpr Timestamp S = kNsPerSecond;
constexpr Timestamp MIN = kNsPerMinute;

// The halt returned by check, or HaltReason::None.
static HaltReason reason_of(const std::optional<HaltDecision>& d) { return d ? d->reason : HaltReason::None; }

// Expects `make` to throw Error of `kind` whose message contains `needle`.
static void check_throws(int line, ErrorKind kind, const std::string& needle, const std::function<void()>& make) {
  ++g_checks;
  try {
    make();
  } catch (const Error& e) {
    if (e.kind() == kind && std::string(e.what()).find(needle) != std::string::npos) return;
    ++g_failures;
    std::printf("FAIL line %d: wrong error '%s'\n", line, e.what());
    return;
  }
  ++g_failures;
  std::printf("FAIL line %d: no exception (wanted '%s')\n", line, needle.c_str());
}

#define CHECK_CONFIG_ERROR(needle, ...)                                                   \
  check_throws(__LINE__, ErrorKind::InvalidConfig, needle, [] {                           \
    BreakerSpec s;                                                                        \
    __VA_ARGS__;                                                                          \
    Breakers b(s);                                                                        \
  })

static void test_validation() {
  Breakers ok;  // defaults are valid
  CHECK(!ok.halted());
  CHECK_CONFIG_ERROR("price_band.band_ppm = -1", s.price_band.band_ppm = -1);
  CHECK_CONFIG_ERROR("price_band.band_ppm = 0", s.price_band.band_ppm = 0);
  CHECK_CONFIG_ERROR("luld.band_ppm = -50000", s.luld.band_ppm = -50'000);
  CHECK_CONFIG_ERROR("luld.band_ppm = 1000001", s.luld.band_ppm = 1'000'001);
  CHECK_CONFIG_ERROR("luld.ref_window_ns = 0", s.luld.ref_window_ns = 0);
  CHECK_CONFIG_ERROR("luld.ref_move_ppm = -1", s.luld.ref_move_ppm = -1);
  CHECK_CONFIG_ERROR("luld.limit_state_ns = 0", s.luld.limit_state_ns = 0);
  CHECK_CONFIG_ERROR("luld.halt_ns = 0", s.luld.halt_ns = 0);
  CHECK_CONFIG_ERROR("dcb.lookback_ns = 0", s.dcb.lookback_ns = 0);
  CHECK_CONFIG_ERROR("dcb.band_ppm = 0", s.dcb.band_ppm = 0);
  CHECK_CONFIG_ERROR("dcb.halt_ns = -1", s.dcb.halt_ns = -1);
  CHECK_CONFIG_ERROR("velocity.max_move_ticks = 0", s.velocity.max_move_ticks = 0);
  CHECK_CONFIG_ERROR("velocity.window_ns = 0", s.velocity.window_ns = 0);
  CHECK_CONFIG_ERROR("velocity.pause_ns = 0", s.velocity.pause_ns = 0);
  CHECK_CONFIG_ERROR("market_wide.level1_ppm = 0", s.market_wide.level1_ppm = 0);
  CHECK_CONFIG_ERROR("market_wide.level2_ppm = 70000", s.market_wide.level2_ppm = 70'000);  // == level 1
  CHECK_CONFIG_ERROR("market_wide.level3_ppm = 1000001", s.market_wide.level3_ppm = 1'000'001);
  CHECK_CONFIG_ERROR("market_wide.level3_ppm = 120000", s.market_wide.level3_ppm = 120'000);  // < level 2
  CHECK_CONFIG_ERROR("market_wide.halt1_ns = 0", s.market_wide.halt1_ns = 0);
  CHECK_CONFIG_ERROR("market_wide.halt2_ns = 0", s.market_wide.halt2_ns = 0);
  CHECK_CONFIG_ERROR("market_wide.reference = -1", s.market_wide.reference = -1);
  CHECK_CONFIG_ERROR("luld.halt_ns", s.luld.halt_ns = kMaxBreakerDuration + 1);
  // Disabled policies are validated too.
  CHECK_CONFIG_ERROR("dcb.band_ppm", s.dcb.enabled = false; s.dcb.band_ppm = -3);
  // validate() alone.
  check_throws(__LINE__, ErrorKind::InvalidConfig, "velocity.window_ns", [] {
    BreakerSpec s;
    s.velocity.window_ns = -5;
    validate(s);
  });
  // Bad prices are input errors.
  check_throws(__LINE__, ErrorKind::InvalidOrder, "trade price = 0", [] { Breakers b; b.on_trade(0, 0); });
  check_throws(__LINE__, ErrorKind::InvalidOrder, "best ask", [] { Breakers b; b.on_book(100, -1, 0); });
  check_throws(__LINE__, ErrorKind::InvalidOrder, "reopen price", [] { Breakers b; b.on_reopen(kMaxPrice + 1, 0); });
  section_done("validation");
}

static void test_price_band() {
  BreakerSpec s;
  s.price_band.enabled = true;  // 5%
  Breakers b(s);
  // mark 100,000: up limit 105,000, down limit 95,000 (exact).
  CHECK(b.admits(Side::Buy, 105'000, 100'000));
  CHECK(!b.admits(Side::Buy, 105'001, 100'000));
  CHECK(b.admits(Side::Sell, 95'000, 100'000));
  CHECK(!b.admits(Side::Sell, 94'999, 100'000));
  // Binance checks the aggressive side only: a buy far below / a sell far above is admitted.
  CHECK(b.admits(Side::Buy, 50'000, 100'000));
  CHECK(b.admits(Side::Sell, 200'000, 100'000));
  // Non-integer boundaries: mark 100,001 -> up 105,001.05, down 95,000.95.
  CHECK(b.admits(Side::Buy, 105'001, 100'001));
  CHECK(!b.admits(Side::Buy, 105'002, 100'001));
  CHECK(b.admits(Side::Sell, 95'001, 100'001));
  CHECK(!b.admits(Side::Sell, 95'000, 100'001));
  // No mark: admitted.
  CHECK(b.admits(Side::Buy, kMaxPrice, std::nullopt));
  // Symmetric variant.
  s.price_band.symmetric = true;
  Breakers sym(s);
  CHECK(sym.admits(Side::Buy, 95'000, 100'000));
  CHECK(!sym.admits(Side::Buy, 94'999, 100'000));
  CHECK(sym.admits(Side::Sell, 105'000, 100'000));
  CHECK(!sym.admits(Side::Sell, 105'001, 100'000));
  CHECK(!sym.admits(Side::Buy, 105'001, 100'000));
  // Disabled: everything admitted.
  Breakers off;
  CHECK(off.admits(Side::Buy, 1'000'000, 100'000));
  section_done("price_band");
}

static BreakerSpec luld_only() {
  BreakerSpec s;
  s.luld.enabled = true;
  return s;
}

static void test_luld_reference() {
  {
    Breakers b(luld_only());
    CHECK(b.trade_bounds() == std::make_pair(Price{1}, kMaxPrice));  // no reference yet
    b.on_trade(100'000, 0);  // first trade sets the reference
    CHECK(b.luld_reference() == 100'000);
    CHECK(b.trade_bounds() == std::make_pair(Price{95'000}, Price{105'000}));
    b.on_trade(101'998, 1 * S);  // mean 100,999 -> 0.999% < 1%: no update
    CHECK(b.luld_reference() == 100'000);
    b.on_trade(103'002, 2 * S);  // mean (100,000 + 101,998 + 103,002) / 3 = 101,666.67 -> 1.67%
    CHECK(b.luld_reference() == 101'667);
    // bands: ceil(101,667 x 0.95) = ceil(96,583.65) = 96,584; floor(101,667 x 1.05) = floor(106,750.35)
    CHECK(b.trade_bounds() == std::make_pair(Price{96'584}, Price{106'750}));
  }
  {
    Breakers b(luld_only());
    b.on_trade(100'000, 0);
    b.on_trade(102'000, 1 * S);  // mean exactly 101,000: a move of exactly 1% updates
    CHECK(b.luld_reference() == 101'000);
  }
  {
    // Moves of the mean caused by time alone: 100,000 at t = 0, 101,500 at 290 s -> mean 100,750
    // (0.75%, no update). At 300 s the first trade leaves the window (0 s, 300 s]: mean 101,500.
    Breakers b(luld_only());
    b.on_trade(100'000, 0);
    b.on_trade(101'500, 290 * S);
    CHECK(b.luld_reference() == 100'000);
    b.advance_to(300 * S - 1);
    CHECK(b.luld_reference() == 100'000);
    b.advance_to(300 * S);
    CHECK(b.luld_reference() == 101'500);
    // Window empties at 590 s: the reference stays.
    b.advance_to(600 * S);
    CHECK(b.luld_reference() == 101'500);
    // A lone trade 0.99% away does not move it; one 1% away does.
    b.on_trade(102'504, 601 * S);  // |102,504 - 101,500| = 1,004 < 1,015
    CHECK(b.luld_reference() == 101'500);
    b.on_trade(102'530, 601 * S);  // mean 102,517 -> 1,017 >= 1,015
    CHECK(b.luld_reference() == 102'517);
  }
  section_done("luld reference");
}

static void test_luld_limit_state() {
  const Timestamp t0 = 10 * S;
  {
    Breakers b(luld_only());
    b.on_trade(100'000, 0);  // bands [95,000, 105,000]
    b.on_book(94'990, 95'001, t0);  // ask one tick inside the band: not a limit state
    CHECK(!b.in_limit_state());
    b.on_book(94'990, 95'000, t0);  // ask at the lower band
    CHECK(b.limit_state_since() == t0);
    CHECK(b.next_deadline() == t0 + 15 * S);
    CHECK(!b.check(t0 + 14'999'000'000).has_value());  // 14.999 s
    CHECK(!b.check(t0 + 15 * S - 1).has_value());       // 14.999999999 s
    auto d = b.check(t0 + 15 * S);
    CHECK(reason_of(d) == HaltReason::Luld);
    CHECK(d && d->duration_ns == 5 * MIN);
    CHECK(d && d->trigger_price == 95'000);
    CHECK(d && d->reference == 100'000);
    CHECK(d && d->trigger_ts == t0 + 15 * S);
    CHECK(b.halted());
    CHECK(!b.check(t0 + 16 * S).has_value());  // idempotent while halted
    CHECK(!b.next_deadline().has_value());
    b.on_reopen(96'000, t0 + 15 * S + 5 * MIN);
    CHECK(!b.halted());
    CHECK(b.luld_reference() == 96'000);
    CHECK(b.trade_bounds() == std::make_pair(Price{91'200}, Price{100'800}));
    CHECK(!b.in_limit_state());
  }
  {
    // Leaving the band clears the limit state; the clock restarts on re-entry.
    Breakers b(luld_only());
    b.on_trade(100'000, 0);
    b.on_book(105'000, std::nullopt, t0);  // bid at the upper band
    CHECK(b.in_limit_state());
    b.on_book(104'999, std::nullopt, t0 + 14 * S);
    CHECK(!b.in_limit_state());
    b.on_book(105'001, std::nullopt, t0 + 20 * S);  // beyond the band counts too
    CHECK(b.limit_state_since() == t0 + 20 * S);
    CHECK(!b.check(t0 + 34 * S).has_value());
    auto d = b.check(t0 + 35 * S);
    CHECK(reason_of(d) == HaltReason::Luld);
    CHECK(d && d->trigger_price == 105'000);
  }
  {
    // A command stamped after the deadline cannot undo it: the deadline is latched first.
    Breakers b(luld_only());
    b.on_trade(100'000, 0);
    b.on_book(94'000, 95'000, t0);
    b.on_book(94'000, 96'000, t0 + 20 * S);  // book left the band, but only at 20 s
    CHECK(!b.in_limit_state());
    CHECK(b.next_deadline() == t0 + 20 * S);  // due now
    auto d = b.check(t0 + 20 * S);
    CHECK(reason_of(d) == HaltReason::Luld);
    CHECK(d && d->trigger_ts == t0 + 15 * S);
  }
  {
    // A reference move by time puts the stored book at the new band: limit state from that moment.
    Breakers b(luld_only());
    b.on_trade(100'000, 0);
    b.on_trade(110'000, 200 * S);  // mean 105,000 -> ref 105,000, bands [99,750, 110,250]
    CHECK(b.luld_reference() == 105'000);
    b.on_book(109'000, 110'000, 200 * S);
    CHECK(!b.in_limit_state());
    // At 300 s the 100,000 trade leaves: mean 110,000 (4.8%) -> bands [104,500, 115,500].
    b.on_book(99'000, 104'500, 250 * S);  // ask below ... still above 99,750: no limit state
    CHECK(!b.in_limit_state());
    b.advance_to(300 * S);
    CHECK(b.luld_reference() == 110'000);
    CHECK(b.limit_state_since() == 300 * S);
    CHECK(!b.check(315 * S - 1).has_value());
    CHECK(reason_of(b.check(315 * S)) == HaltReason::Luld);
  }
  {
    // No reference, no limit state (even an empty-looking book at tick 1).
    Breakers b(luld_only());
    b.on_book(std::nullopt, 1, 0);
    CHECK(!b.in_limit_state());
  }
  section_done("luld limit state");
}

static BreakerSpec dcb_only() {
  BreakerSpec s;
  s.dcb.enabled = true;  // 60 min, 3.5%, 2 min
  return s;
}

static void test_dcb() {
  {
    // high 100,000: 100,000 x 0.965 = 96,500.
    Breakers b(dcb_only());
    b.on_trade(100'000, 0);
    b.on_trade(96'501, 1 * S);
    CHECK(!b.check(1 * S).has_value());
    b.on_trade(96'500, 2 * S);
    auto d = b.check(2 * S);
    CHECK(reason_of(d) == HaltReason::Dcb);
    CHECK(d && d->duration_ns == 2 * MIN);
    CHECK(d && d->reference == 100'000);
    CHECK(d && d->trigger_price == 96'500);
    CHECK(d && d->trigger_ts == 2 * S);
    b.on_trade(90'000, 3 * S);  // printed during the halt (auction): no new trigger
    CHECK(!b.check(3 * S).has_value());
    // Reopen at 96,500: the lookback restarts from it. 96,500 x 0.965 = 93,122.5.
    b.on_reopen(96'500, 2 * S + 2 * MIN);
    CHECK(b.dcb_high() == 96'500 && b.dcb_low() == 96'500);
    b.on_trade(93'123, 2 * S + 2 * MIN + 1);
    CHECK(!b.check(2 * S + 2 * MIN + 1).has_value());
    b.on_trade(93'122, 2 * S + 2 * MIN + 2);
    CHECK(reason_of(b.check(2 * S + 2 * MIN + 2)) == HaltReason::Dcb);
  }
  {
    // Upward: low 100,000 x 1.035 = 103,500.
    Breakers b(dcb_only());
    b.on_trade(100'000, 0);
    b.on_trade(103'499, 1 * S);
    CHECK(!b.check(1 * S).has_value());
    b.on_trade(103'500, 2 * S);
    auto d = b.check(2 * S);
    CHECK(reason_of(d) == HaltReason::Dcb);
    CHECK(d && d->reference == 100'000);
  }
  {
    // Lookback: the 100,000 high at t = 0 is in the window until 60 min (exclusive).
    for (const Timestamp at : {60 * MIN - 1, 60 * MIN}) {
      Breakers b(dcb_only());
      b.on_trade(100'000, 0);
      b.on_trade(99'000, 1 * S);  // 99,000 x 0.965 = 95,535
      b.on_trade(96'500, at);
      CHECK(b.dcb_high() == (at < 60 * MIN ? 100'000 : 99'000));
      CHECK(reason_of(b.check(at)) == (at < 60 * MIN ? HaltReason::Dcb : HaltReason::None));
    }
  }
  {
    // Rolling max/min stay right through a long path (monotonic deques vs brute force).
    Breakers b(dcb_only());
    std::deque<std::pair<Timestamp, Price>> all;
    std::uint64_t x = 12345;
    Price p = 100'000;
    bool ok = true;
    for (int i = 0; i < 20'000; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      p += static_cast<Price>((x >> 33) % 41) - 20;  // +-20 ticks: never near 3.5% in 60 min
      const Timestamp t = static_cast<Timestamp>(i) * 1 * S;
      b.on_trade(p, t);
      all.emplace_back(t, p);
      while (all.front().first <= t - 60 * MIN) all.pop_front();
      Price hi = 0, lo = kMaxPrice;
      for (const auto& [ts, q] : all) {
        hi = std::max(hi, q);
        lo = std::min(lo, q);
      }
      if (b.dcb_high() != hi || b.dcb_low() != lo) ok = false;
    }
    CHECK(ok);
  }
  section_done("dcb");
}

static BreakerSpec velocity_only() {
  BreakerSpec s;
  s.velocity.enabled = true;
  s.velocity.max_move_ticks = 100;
  s.velocity.window_ns = 1 * S;
  s.velocity.pause_ns = 5 * S;
  return s;
}

static void test_velocity() {
  {
    Breakers b(velocity_only());
    b.on_trade(10'000, 0);
    b.on_trade(10'100, S / 2);  // a move of exactly 100 ticks: not more than 100
    CHECK(!b.check(S / 2).has_value());
    b.on_trade(10'101, S / 2 + 1);  // 101 ticks within 1 s
    auto d = b.check(S / 2 + 1);
    CHECK(reason_of(d) == HaltReason::Velocity);
    CHECK(d && d->duration_ns == 5 * S);
    CHECK(d && d->reference == 10'000);
    CHECK(d && d->trigger_price == 10'101);
    b.on_reopen(10'101, S / 2 + 1 + 5 * S);
    b.on_trade(10'001, S / 2 + 2 + 5 * S);  // 100 down from the reopen price: no pause
    CHECK(!b.check(S / 2 + 2 + 5 * S).has_value());
    b.on_trade(10'000, S / 2 + 3 + 5 * S);  // 101 down
    auto d2 = b.check(S / 2 + 3 + 5 * S);
    CHECK(reason_of(d2) == HaltReason::Velocity);
    CHECK(d2 && d2->reference == 10'101);
  }
  {
    // The window is (now - 1 s, now]: the 10,000 print leaves at exactly 1 s.
    for (const Timestamp at : {S - 1, S}) {
      Breakers b(velocity_only());
      b.on_trade(10'000, 0);
      b.on_trade(10'101, at);
      CHECK(reason_of(b.check(at)) == (at < S ? HaltReason::Velocity : HaltReason::None));
    }
  }
  {
    // A steady climb, one trade every 250 ms: the window (t - 1 s, t] holds 4 trades, so 33 ticks
    // a step is a 99-tick move (never fires) and 34 a step is 102 ticks (fires on the 4th trade).
    for (const Price step : {33, 34}) {
      Breakers b(velocity_only());
      int first_fire = -1;
      for (int i = 0; i < 1000 && first_fire < 0; ++i) {
        const Timestamp t = static_cast<Timestamp>(i) * (S / 4);
        b.on_trade(10'000 + step * i, t);
        if (b.check(t)) first_fire = i;
      }
      CHECK(first_fire == (step == 33 ? -1 : 3));
    }
  }
  section_done("velocity");
}

static BreakerSpec market_wide_only() {
  BreakerSpec s;
  s.market_wide.enabled = true;
  return s;
}

static void test_market_wide() {
  {
    // Reference 100,000 (first trade): level 1 at <= 93,000, level 2 <= 87,000, level 3 <= 80,000.
    Breakers b(market_wide_only());
    Timestamp t = 0;
    b.on_trade(100'000, t);
    CHECK(b.market_wide_reference() == 100'000);
    b.on_trade(93'001, t += S);
    CHECK(!b.check(t).has_value());
    b.on_trade(93'000, t += S);
    auto d1 = b.check(t);
    CHECK(reason_of(d1) == HaltReason::MarketWide1);
    CHECK(d1 && d1->duration_ns == 15 * MIN && d1->reference == 100'000 && d1->trigger_price == 93'000);
    CHECK(b.market_wide_level() == 1);
    b.on_reopen(93'000, t += 15 * MIN);
    b.on_trade(90'000, t += S);  // level 1 already fired
    CHECK(!b.check(t).has_value());
    b.on_trade(87'001, t += S);
    CHECK(!b.check(t).has_value());
    b.on_trade(87'000, t += S);
    auto d2 = b.check(t);
    CHECK(reason_of(d2) == HaltReason::MarketWide2);
    CHECK(d2 && d2->duration_ns == 15 * MIN);
    b.on_reopen(95'000, t += 15 * MIN);
    b.on_trade(92'000, t += S);  // back below level 1 and ...
    b.on_trade(86'000, t += S);  // ... level 2: both already fired
    CHECK(!b.check(t).has_value());
    b.on_trade(80'001, t += S);
    CHECK(!b.check(t).has_value());
    b.on_trade(80'000, t += S);
    auto d3 = b.check(t);
    CHECK(reason_of(d3) == HaltReason::MarketWide3);
    CHECK(d3 && d3->duration_ns == kRestOfRun);
    CHECK(b.halted_for_run() && b.market_wide_level() == 3);
    b.on_reopen(100'000, t += 24 * 60 * MIN);  // ignored: halted for the rest of the run
    CHECK(b.halted() && b.halted_for_run());
    b.on_trade(50'000, t += S);
    CHECK(!b.check(t).has_value());
    CHECK(!b.next_deadline().has_value());
  }
  {
    // A gap through two levels fires only the highest; level 1 never fires afterwards.
    Breakers b(market_wide_only());
    b.on_trade(100'000, 0);
    b.on_trade(85'000, 1);
    CHECK(reason_of(b.check(1)) == HaltReason::MarketWide2);
    b.on_reopen(95'000, 2);
    b.on_trade(92'000, 3);
    CHECK(!b.check(3).has_value());
    CHECK(b.market_wide_level() == 2);
  }
  {
    // A reopen price beyond the next level fires it at the next check.
    Breakers b(market_wide_only());
    b.on_trade(100'000, 0);
    b.on_trade(93'000, 1);
    CHECK(reason_of(b.check(1)) == HaltReason::MarketWide1);
    b.on_reopen(86'000, 2);
    CHECK(reason_of(b.check(2)) == HaltReason::MarketWide2);
  }
  {
    // Explicit session reference.
    BreakerSpec s = market_wide_only();
    s.market_wide.reference = 125'000;  // level 3 at <= 100,000
    Breakers b(s);
    CHECK(b.market_wide_reference() == 125'000);
    b.on_trade(100'001, 0);  // 100,001 <= 108,750 (level 2) but > 100,000
    CHECK(reason_of(b.check(0)) == HaltReason::MarketWide2);
    b.on_reopen(100'000, 1);
    CHECK(reason_of(b.check(1)) == HaltReason::MarketWide3);
  }
  section_done("market_wide");
}

static void test_combined() {
  BreakerSpec all;
  all.price_band.enabled = true;
  all.luld.enabled = true;
  all.dcb.enabled = true;
  all.velocity.enabled = true;
  all.velocity.max_move_ticks = 1'000;
  all.market_wide.enabled = true;
  {
    // One print breaches DCB (2 min), velocity (5 s) and market-wide level 1 (15 min):
    // the longest wins and the others are cleared with it.
    Breakers b(all);
    b.on_trade(100'000, 0);
    b.on_trade(93'000, S / 10);
    CHECK(b.next_deadline() == S / 10);
    auto d = b.check(S / 10);
    CHECK(reason_of(d) == HaltReason::MarketWide1);
    b.on_reopen(93'000, S / 10 + 15 * MIN);
    CHECK(!b.check(S / 10 + 15 * MIN).has_value());  // nothing left over
  }
  {
    // Equal lengths: market-wide before DCB.
    BreakerSpec s = all;
    s.dcb.halt_ns = 15 * MIN;
    Breakers b(s);
    b.on_trade(100'000, 0);
    b.on_trade(93'000, 1);
    CHECK(reason_of(b.check(1)) == HaltReason::MarketWide1);
  }
  {
    // DCB 2 min vs velocity 5 s: DCB. A longer velocity pause would win instead.
    BreakerSpec s = all;
    s.market_wide.enabled = false;
    Breakers b(s);
    b.on_trade(100'000, 0);
    b.on_trade(96'000, 1);
    CHECK(reason_of(b.check(1)) == HaltReason::Dcb);
    s.velocity.pause_ns = 3 * MIN;
    Breakers b2(s);
    b2.on_trade(100'000, 0);
    b2.on_trade(96'000, 1);
    CHECK(reason_of(b2.check(1)) == HaltReason::Velocity);
  }
  {
    // LULD (5 min) vs DCB (2 min) due at the same check: LULD.
    BreakerSpec s = all;
    s.market_wide.enabled = false;
    s.velocity.enabled = false;
    Breakers b(s);
    b.on_trade(100'000, 0);
    b.on_book(94'000, 95'000, 0);  // limit state from 0
    b.on_trade(96'000, 15 * S);    // DCB breach at 15 s, the LULD deadline is 15 s too
    auto d = b.check(15 * S);
    CHECK(reason_of(d) == HaltReason::Luld);
    CHECK(!b.check(15 * S).has_value());
  }
  {
    // Everything off: nothing fires, bounds are the full range.
    Breakers b;
    b.on_trade(100'000, 0);
    b.on_trade(1, 1);
    b.on_book(1, 1, 2);
    CHECK(!b.check(100 * MIN).has_value());
    CHECK(b.trade_bounds() == std::make_pair(Price{1}, kMaxPrice));
    CHECK(!b.dcb_high().has_value());
    const BreakerState st = b.state();
    CHECK(!st.halted && st.market_wide_level == 0 && st.now == 100 * MIN);
  }
  {
    // Clock never goes back: an old timestamp is treated as now.
    Breakers b(dcb_only());
    b.on_trade(100'000, 10 * S);
    b.on_trade(96'500, 5 * S);
    auto d = b.check(0);
    CHECK(d && d->trigger_ts == 10 * S);
  }
  CHECK(std::string(halt_reason_name(HaltReason::MarketWide3)) == "market_wide_3");
  section_done("combined");
}

static void test_throughput() {
  // Amortized O(1): 2M trades (1 ms apart, so ~1000 in a 1 s velocity window, 300k in the LULD
  // window) should take well under a second.
  BreakerSpec s;
  s.luld.enabled = true;
  s.dcb.enabled = true;
  s.velocity.enabled = true;
  s.velocity.max_move_ticks = 1'000'000;
  s.market_wide.enabled = true;
  Breakers b(s);
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t x = 7;
  int halts = 0;
  for (int i = 0; i < 2'000'000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const Price p = 1'000'000 + static_cast<Price>((x >> 33) % 2001) - 1000;
    const Timestamp t = static_cast<Timestamp>(i) * 1'000'000;
    b.on_trade(p, t);
    b.on_book(p - 1, p + 1, t);
    if (b.check(t)) ++halts;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("  2M trades in %.3f s\n", secs);
  CHECK(halts == 0);
  section_done("throughput");
}

int main() {
  test_validation();
  test_price_band();
  test_luld_reference();
  test_luld_limit_state();
  test_dcb();
  test_velocity();
  test_market_wide();
  test_combined();
  test_throughput();
  return checks_summary();
}
