// Hand-computed cases for margin tiers, mark price rules and funding. Standalone, no framework:
//   g++ -std=c++20 -O1 -Wall -Wextra -I cpp/include tests/cpp/test_clearing_math.cpp
//       cpp/src/clearing/margin_tiers.cpp cpp/src/clearing/mark_price.cpp cpp/src/clearing/funding.cpp
//       -o /tmp/t && /tmp/t
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "liqsim/clearing/funding.hpp"
#include "liqsim/clearing/margin_tiers.hpp"
#include "liqsim/clearing/rounding.hpp"
#include "liqsim/clearing/mark_price.hpp"
#include "liqsim/error.hpp"

using namespace liqsim;

namespace {

int g_checks = 0;
int g_failures = 0;

void report(bool ok, const char* expr, int line, const std::string& detail) {
  ++g_checks;
  if (ok) return;
  ++g_failures;
  std::printf("FAIL line %d: %s %s\n", line, expr, detail.c_str());
}

template <class A, class B>
std::string show(const A& a, const B& b) {
  auto s = [](const auto& v) -> std::string {
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::optional<Price>>)
      return v ? std::to_string(*v) : std::string("nullopt");
    else
      return std::to_string(v);
  };
  return "(got " + s(a) + ", want " + s(b) + ")";
}

}  // namespace

#define CHECK(cond) report((cond), #cond, __LINE__, "")
#define CHECK_EQ(a, b) report((a) == (b), #a " == " #b, __LINE__, show((a), (b)))
// Runs expr, expects liqsim::Error whose message contains `needle`.
#define CHECK_THROWS(expr, needle)                                                          \
  do {                                                                                      \
    std::string msg_ = "no exception";                                                      \
    bool ok_ = false;                                                                       \
    try {                                                                                   \
      (void)(expr);                                                                         \
    } catch (const Error& e_) {                                                             \
      msg_ = e_.what();                                                                     \
      ok_ = msg_.find(needle) != std::string::npos;                                         \
    }                                                                                       \
    report(ok_, #expr " throws " #needle, __LINE__, "(" + msg_ + ")");                      \
  } while (0)

namespace {

constexpr Cash U = 1'000'000;  // cash units per USDT (cash unit 1e-6 USD)
constexpr Timestamp S = MarkPrice::kSecond;
const std::optional<Price> kNone;
std::optional<Price> P(Price p) { return p; }

void test_margin_tiers() {
  const MarginTiers m = binance_btcusdt(U);
  // DESIGN section 3 cum column, in USDT.
  const std::vector<Cash> cum = {0, 50, 1'300, 16'300, 266'300, 1'266'300, 2'516'300, 5'016'300, 25'016'300,
                                 100'016'300};
  CHECK_EQ(m.tiers().size(), cum.size());
  for (std::size_t i = 0; i < cum.size(); ++i) CHECK_EQ(m.tiers()[i].cum, cum[i] * U);
  CHECK_EQ(m.tiers().front().cap, 50'000 * U);
  CHECK_EQ(m.tiers().back().mmr_ppm, 500'000);

  // Tier 1 up to and including its cap; 50,001 is in tier 2: 250.005 - 50.
  CHECK_EQ(m.maintenance(49'999 * U), 199'996'000);  // 199.996 USDT
  CHECK_EQ(m.maintenance(50'000 * U), 200 * U);
  CHECK_EQ(m.maintenance(50'001 * U), 200'005'000);  // 200.005 USDT
  CHECK_EQ(m.tier_for(50'000 * U).mmr_ppm, 4'000);
  CHECK_EQ(m.tier_for(50'001 * U).mmr_ppm, 5'000);
  CHECK_EQ(m.maintenance(5'000'000 * U), 108'700 * U);  // 5M x 2.5% - 16,300
  // Continuous across a cap, and rounded up: 1 cash unit past 250k is 1,200 USDT + 0.01 cash.
  CHECK_EQ(m.maintenance(250'000 * U), 1'200 * U);
  CHECK_EQ(m.maintenance(250'000 * U + 1), 1'200 * U + 1);
  CHECK_EQ(m.maintenance(1), 1);  // 0.004 cash rounds up
  CHECK_EQ(m.maintenance(0), 0);
  // Beyond the last cap: last tier, 600M x 50% - 100,016,300.
  CHECK_EQ(m.maintenance(600'000'000 * U), 199'983'700 * U);
  CHECK_EQ(m.tier_for(600'000'000 * U).cap, 500'000'000 * U);

  // Initial = 2 x MMR at the tier; max leverage = 1 / IMR, rounded down.
  CHECK_EQ(m.initial(50'000 * U), 400 * U);
  CHECK_EQ(m.initial(50'001 * U), 500'010'000);  // 1% of 50,001
  CHECK_EQ(m.initial(5'000'000 * U), 250'000 * U);
  CHECK_EQ(m.initial(1), 1);  // 0.008 rounds up
  CHECK_EQ(m.max_leverage_x100(10 * U), 12'500);  // 125x
  CHECK_EQ(m.max_leverage_x100(100'000 * U), 10'000);
  CHECK_EQ(m.max_leverage_x100(5'000'000 * U), 2'000);
  CHECK_EQ(m.max_leverage_x100(400'000'000 * U), 100);  // 50% x 2 = 100%: 1x

  // Initial rate above 100% is clamped: 60% x 2 -> 100%.
  const MarginTiers hi = MarginTiers::from_brackets({{100, 600'000}});
  CHECK_EQ(hi.initial(100), 100);
  CHECK_EQ(hi.max_leverage_x100(100), 100);
  CHECK_EQ(hi.maintenance(100), 60);
  // Fractional initial rate: 0.3333% x 1.5 = 0.49995%.
  const MarginTiers frac = MarginTiers::from_brackets({{1'000'000, 3'333}}, 1'500'000);
  CHECK_EQ(frac.initial(1'000), 5);                 // 4.9995 up
  CHECK_EQ(frac.max_leverage_x100(1'000), 20'002);  // 200.02x down
  // A cap that is not a whole multiple: exact cum 1000.001, shown as 1000; margin continuous.
  const MarginTiers odd = MarginTiers::from_brackets({{1'000'001, 4'000}, {2'000'000, 5'000}});
  CHECK_EQ(odd.tiers()[1].cum, 1'000);
  CHECK_EQ(odd.maintenance(1'000'001), 4'001);  // 4000.004 up
  CHECK_EQ(odd.maintenance(1'000'002), 4'001);  // 5000.010 - 1000.001 = 4000.009 up
  CHECK_EQ(odd.maintenance(2'000'000), 9'000);  // 10000 - 1000.001 = 8999.999 up

  using B = std::vector<std::pair<Cash, std::int64_t>>;
  CHECK_THROWS(MarginTiers::from_brackets(B{}), "margin_tiers must not be empty");
  CHECK_THROWS(MarginTiers::from_brackets(B{{0, 4'000}}), "margin_tiers[0].cap = 0");
  CHECK_THROWS(MarginTiers::from_brackets(B{{10, 4'000}, {10, 5'000}}), "margin_tiers[1].cap = 10");
  CHECK_THROWS(MarginTiers::from_brackets(B{{10, 0}}), "margin_tiers[0].mmr_ppm = 0");
  CHECK_THROWS(MarginTiers::from_brackets(B{{10, 1'000'001}}), "margin_tiers[0].mmr_ppm = 1000001");
  CHECK_THROWS(MarginTiers::from_brackets(B{{10, 5'000}, {20, 4'000}}), "margin_tiers[1].mmr_ppm = 4000");
  CHECK_THROWS(MarginTiers::from_brackets(B{{10, 5'000}}, 999'999), "im_multiplier_ppm = 999999");
  CHECK_THROWS(binance_btcusdt(0), "cash_per_usd = 0");
  CHECK_THROWS(m.maintenance(-1), "notional = -1");
}

void test_mark_simple() {
  MarkPrice last(MarkRule::Last);
  CHECK_EQ(last.mark(), kNone);
  last.on_index(20'000, 0);
  CHECK_EQ(last.mark(), kNone);
  last.on_trade(10'000, 5);
  CHECK_EQ(last.mark(), P(10'000));
  last.on_trade(10'003, 2);  // older timestamp: treated as now
  CHECK_EQ(last.now(), 5);
  CHECK_EQ(last.mark(), P(10'003));

  MarkPrice index(MarkRule::Index);
  index.on_trade(10'000, 0);
  CHECK_EQ(index.mark(), kNone);
  index.on_index(20'000, 1);
  CHECK_EQ(index.mark(), P(20'000));

  CHECK_THROWS(MarkPrice(MarkRule::Binance, 0), "funding_interval_ns = 0");
  CHECK_THROWS(MarkPrice(MarkRule::Binance, 8 * 3600 * S, 150 * S, 1'500'000'000), "ma_window_ns = 1500000000");
  CHECK_THROWS(MarkPrice(MarkRule::Hyperliquid, 8 * 3600 * S, 0), "ema_window_ns = 0");
  CHECK_THROWS(last.on_trade(0, 6), "trade price = 0");
  CHECK_THROWS(last.set_funding_rate_ppm(2'000'000), "rate_ppm = 2000000");
}

void test_mark_binance() {
  // 5 s MA window, 8 h funding interval.
  MarkPrice b(MarkRule::Binance, 8 * 3600 * S, 150 * S, 5 * S);
  CHECK_EQ(b.mark(), kNone);
  b.on_trade(10'030, 0);
  CHECK_EQ(b.mark(), P(10'030));  // no index: last trade
  b.on_index(10'000, 0);
  b.on_book(10'010, 10'020, 0);  // premium 15 ticks, no MA sample yet: P2 = 10015
  // P1 = 10000 (rate 0), P2 = 10015, last 10030.
  CHECK_EQ(b.mark(), P(10'015));
  b.on_trade(9'990, 0);
  CHECK_EQ(b.mark(), P(10'000));  // median(10000, 10015, 9990)
  b.on_trade(10'030, 0);
  // 1 s: the sample at 1 s sees premium 15 (taken before this input); then premium -5.
  b.on_book(9'990, 10'000, 1 * S);
  CHECK_EQ(b.mark(), P(10'015));  // MA = 15
  // 3 s: samples at 2 s and 3 s are -5: MA = (15 - 5 - 5) / 3 = 1.67 -> 2.
  b.on_trade(9'990, 3 * S);
  CHECK_EQ(b.mark(), P(10'000));  // median(10000, 10002, 9990)
  b.on_index(9'980, 3 * S);                          // same instant: no new sample
  CHECK_EQ(b.mark(), P(9'982));   // median(9980, 9980 + 2, 9990)
  // 10 s: seven samples of premium +15 (bid+ask-2*index = 30) overwrite the 5-slot ring.
  b.set_funding_rate_ppm(3'000);
  b.advance_to(10 * S);
  // P1 = 9980 x (1 + 0.003 x 28790/28800) = 9980 + 29.93 -> 10010; P2 = 9995; last 9990.
  CHECK_EQ(b.mark(), P(9'995));
  b.on_trade(10'020, 10 * S);
  CHECK_EQ(b.mark(), P(10'010));

  // Two of three (no trade): mean rounded toward the index. Premium 15.5 -> 15 (half toward index).
  MarkPrice two(MarkRule::Binance, 8 * 3600 * S, 150 * S, 5 * S);
  two.on_index(10'000, 0);
  two.on_book(10'010, 10'021, 0);
  CHECK_EQ(two.mark(), P(10'007));  // (10000 + 10015) / 2 = 10007.5 -> 10007
  // One-sided book: the sample at 1 s is valid (+15.5), the ones at 2 s, 3 s are not.
  two.on_book(10'010, std::nullopt, 1 * S);
  two.advance_to(3 * S);
  CHECK_EQ(two.mark(), P(10'007));  // MA 15.5 -> 15 again
  two.advance_to(7 * S);                               // the valid sample has left the ring
  CHECK_EQ(two.mark(), P(10'000));  // only P1

  // Funding basis: 10 s interval, 0.1% rate, index 10000: offset 10 x time_to_funding / 10 s.
  MarkPrice f(MarkRule::Binance, 10 * S, 150 * S, 5 * S);
  f.on_index(10'000, 0);
  f.set_funding_rate_ppm(1'000);
  CHECK_EQ(f.mark(), P(10'010));  // full interval to go
  f.advance_to(5 * S);
  CHECK_EQ(f.mark(), P(10'005));
  f.advance_to(7'500'000'000);
  CHECK_EQ(f.mark(), P(10'002));  // 2.5 -> 2 (half toward index)
  f.set_funding_rate_ppm(-1'000);
  CHECK_EQ(f.mark(), P(9'998));  // -2.5 -> -2
  f.advance_to(10 * S);                              // funding time: next one is a full interval away
  CHECK_EQ(f.mark(), P(9'990));
}

void test_mark_hyperliquid() {
  MarkPrice h(MarkRule::Hyperliquid);  // EMA 150 s
  CHECK_EQ(h.mark(), kNone);
  h.on_index(10'000, 0);
  CHECK_EQ(h.mark(), P(10'000));  // no component: the index
  h.on_book(10'010, 10'030, 0);
  // C1 = 10000 + 20 (current premium, no elapsed time); C2 = mean(10010, 10030) = 10020.
  CHECK_EQ(h.mark(), P(10'020));
  h.on_trade(10'100, 0);  // C2 = median(10010, 10030, 10100) = 10030
  CHECK_EQ(h.mark(), P(10'025));  // mean(10020, 10030)
  h.on_external_perp_mid(10'040, 0);
  CHECK_EQ(h.mark(), P(10'030));  // median(10020, 10030, 10040)
  // 150 s of premium 20: EMA 20. New book mid 10000 (premium 0); C2 = median(9990, 10010, 10100).
  h.on_book(9'990, 10'010, 150 * S);
  CHECK_EQ(h.mark(), P(10'020));  // median(10020, 10010, 10040)
  // 150 s more of premium 0: EMA = 20 x e^-1 (1 - e^-1) / ((1 - e^-1)(1 + e^-1)) = 20 / (e + 1).
  h.on_external_perp_mid(10'000, 300 * S);
  const double ema = 20.0 / (std::exp(1.0) + 1.0);  // 5.379
  CHECK(std::fabs(ema - 5.379) < 1e-3);
  CHECK_EQ(h.mark(), P(10'005));  // median(10005, 10010, 10000)

  // Without an index: C2 and C3 only, an odd sum's half tick goes down.
  MarkPrice n(MarkRule::Hyperliquid);
  n.on_book(10'010, 10'030, 0);
  n.on_trade(10'020, 0);
  n.on_external_perp_mid(10'025, 0);
  CHECK_EQ(n.mark(), P(10'022));  // mean(10020, 10025) = 10022.5 down
  // With an index above: toward it. No book: C1 missing, C2 = last.
  MarkPrice u(MarkRule::Hyperliquid);
  u.on_index(10'050, 0);
  u.on_trade(10'021, 0);
  u.on_external_perp_mid(10'030, 0);
  CHECK_EQ(u.mark(), P(10'026));  // 10025.5 toward 10050
}

void test_funding_rate() {
  FundingRate f;  // I = 100 ppm, clamp 500, cap 3000
  CHECK_EQ(f.rate_ppm(), 100);  // no sample: P = 0, F = I
  f.sample(10'010, 10'000, 0);  // premium 0.1% = 1000 ppm
  CHECK_EQ(f.premium_ppm(), 1'000);
  CHECK_EQ(f.rate_ppm(), 500);  // 1000 + clamp(100 - 1000) = 1000 - 500
  f.reset();
  // Linear weights: samples 0 then 1500 ppm: P = (1 x 0 + 2 x 1500) / 3 = 1000 (plain mean: 750).
  f.sample(10'000, 10'000, 5 * S);
  f.sample(10'015, 10'000, 10 * S);
  CHECK_EQ(f.premium_ppm(), 1'000);
  CHECK_EQ(f.rate_ppm(), 500);
  f.reset();
  f.sample(10'003, 10'000, 15 * S);  // 300 ppm: |I - P| <= clamp, F = I
  CHECK_EQ(f.rate_ppm(), 100);
  f.reset();
  f.sample(9'992, 10'000, 20 * S);  // -800: F = -800 + 500
  CHECK_EQ(f.rate_ppm(), -300);
  f.reset();
  f.sample(10'100, 10'000, 25 * S);  // +1%: 9500 capped
  CHECK_EQ(f.rate_ppm(), 3'000);
  f.reset();
  f.sample(9'900, 10'000, 30 * S);  // -1%: -9500 floored
  CHECK_EQ(f.rate_ppm(), -3'000);
  f.reset();
  // Impact prices: the index inside the impact spread is zero premium; above the bid counts.
  f.sample_impact(9'990, 10'010, 10'000, 35 * S);
  CHECK_EQ(f.premium_ppm(), 0);
  f.sample_impact(10'005, 10'015, 10'000, 40 * S);  // weights 1, 2: (0 + 2 x 500) / 3 = 333.3
  CHECK_EQ(f.premium_ppm(), 333);
  CHECK_EQ(f.samples(), 2);
  // Sub-ppm premium: 1 tick over 3,000,000 = 0.333 ppm -> 0.
  f.reset();
  f.sample(3'000'001, 3'000'000, 45 * S);
  CHECK_EQ(f.premium_ppm(), 0);
  // No clamp, no interest, wide cap: F = P.
  FundingRate raw(0, 0, 1'000'000);
  raw.sample(10'250, 10'000, 0);
  CHECK_EQ(raw.rate_ppm(), 25'000);

  CHECK_THROWS(FundingRate(100, 500, -1), "cap_ppm = -1");
  CHECK_THROWS(FundingRate(100, -5, 3'000), "clamp_ppm = -5");
  CHECK_THROWS(FundingRate(2'000'000), "interest_ppm = 2000000");
  CHECK_THROWS(f.sample(10'000, 10'000, 1), "funding sample ts = 1");
  CHECK_THROWS(f.sample(10'000, 0, 50 * S), "index price = 0");
}

void test_funding_payment() {
  // 3 lots at 10001 ticks, 100 cash per tick-lot: notional 3,000,300; x 0.01% = 300.03.
  CHECK_EQ(funding_payment(3, 10'001, 100, 100), 301);    // long pays, rounded up
  CHECK_EQ(funding_payment(-3, 10'001, 100, 100), -300);  // short receives, rounded down
  CHECK_EQ(funding_payment(3, 10'001, 100, -100), -300);  // negative rate: long receives
  CHECK_EQ(funding_payment(-3, 10'001, 100, -100), 301);
  CHECK_EQ(funding_payment(10, 10'000, 100, 100), 1'000);  // exact
  CHECK_EQ(funding_payment(0, 10'000, 100, 100), 0);
  CHECK_EQ(funding_payment(10, 10'000, 100, 0), 0);
  // Conservation: positions summing to zero pay a residue in [0, number of positions).
  const std::vector<Qty> pos = {5, -2, -3, 7, -7, 11, -11};
  Cash residue = 0;
  for (const Qty q : pos) residue += funding_payment(q, 12'345, 100, 37);
  // Each |q| x 12345 x 100 x 37 / 1e6 = |q| x 45.6765: payers +ceil, receivers -floor.
  // 5: 228.3825 -> 229 / 2: 91.353 -> 91 / 3: 137.0295 -> 137 / 7: 319.7355 -> 320 and 319 /
  // 11: 502.4415 -> 503 and 502. Residue = 229 - 91 - 137 + 1 + 1 = 3.
  CHECK_EQ(residue, 3);
  CHECK_THROWS(funding_payment(kMaxQty, kMaxPrice, 100, 100), "overflows int64 cash");
  CHECK_THROWS(funding_payment(1, 10'000, 0, 100), "cash_per_tick_lot = 0");
  CHECK_THROWS(funding_payment(1, 10'000, 100, 1'000'001), "rate_ppm = 1000001");
}

// The 64-bit fast path of the rounding helpers and the reduced initial-rate fraction give
// exactly what plain 128-bit arithmetic gives (random operands, some beyond 2^63).
void test_rounding_fast_path_matches_int128() {
  std::uint64_t s = 99;
  auto next = [&s] {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  int wrong = 0;
  for (int k = 0; k < 200000; ++k) {
    const std::uint64_t r = next();
    int128 num = static_cast<int128>(static_cast<std::int64_t>(next()) >> (r % 40));
    if (r % 5 == 0) num *= static_cast<int128>(next() % 1'000'000'000'000ULL + 1);  // beyond 2^63
    const int128 den = static_cast<int128>(next() % (r % 3 == 0 ? 1'000'000'000'000ULL : 1000ULL) + 1);
    const int128 q = num / den, rem = num % den;
    const int128 ceil_ref = (rem != 0 && num > 0) ? q + 1 : q;
    const int128 floor_ref = (rem != 0 && num < 0) ? q - 1 : q;
    const int128 twice = rem < 0 ? -2 * rem : 2 * rem;
    const int128 round_ref = twice <= den ? q : (num > 0 ? q + 1 : q - 1);
    wrong += ceil_div(num, den) != ceil_ref;
    wrong += floor_div(num, den) != floor_ref;
    wrong += round_half_to_zero(num, den) != round_ref;
  }
  CHECK_EQ(wrong, 0);

  // initial() = ceil(notional x min(MMR x mult, 1e12) / 1e12) for every tier and multiplier.
  const std::vector<std::pair<Cash, std::int64_t>> brackets = {
      {50'000'000'000, 4'000}, {250'000'000'000, 5'000}, {1'000'000'000'000, 10'000},
      {10'000'000'000'000, 25'000}, {100'000'000'000'000, 500'000}};
  for (const std::int64_t mult : {1'000'000LL, 1'500'000LL, 2'000'000LL, 3'333'333LL}) {
    const MarginTiers t = MarginTiers::from_brackets(brackets, mult);
    int bad = 0;
    for (int k = 0; k < 20000; ++k) {
      const Cash n = static_cast<Cash>(next() % 200'000'000'000'000ULL);
      const std::size_t i = t.index_for(n);
      const int128 rate = std::min(int128{t.tiers()[i].mmr_ppm} * mult, int128{1'000'000'000'000});
      const int128 prod = int128{n} * rate;
      const int128 want = prod / 1'000'000'000'000 + (prod % 1'000'000'000'000 != 0 ? 1 : 0);
      bad += t.initial(n) != static_cast<Cash>(want);
    }
    CHECK_EQ(bad, 0);
  }
}

}  // namespace

int main() {
  test_rounding_fast_path_matches_int128();
  test_margin_tiers();
  test_mark_simple();
  test_mark_binance();
  test_mark_hyperliquid();
  test_funding_rate();
  test_funding_payment();
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
