// Mark price of one instrument, DESIGN section 3. Inputs arrive as timestamped events; the clock
// is the latest timestamp seen (no wall clock), so the mark is a pure function of the input
// sequence. An input older than the clock is treated as arriving now (time never goes back).
//
// Rules:
//   Last        last trade.
//   Index       external index.
//   Binance     median(P1, P2, last):  P1 = index x (1 + funding_rate x time_to_funding / interval),
//               P2 = index + MA(mid - index). Funding times are the multiples of the interval
//               from t = 0; time_to_funding is in (0, interval].
//               MA: Binance samples (mid - index) every second and averages the samples of the
//               window. Here: a sample at each whole second k x 1 s taken with the state before
//               any input stamped at that instant, into a ring of window/1 s slots with a
//               running sum, so an update is O(1) per elapsed second and a gap longer than the
//               window costs at most one pass over the ring. Seconds with a one-sided book or no
//               index contribute no sample; before the first sample P2 uses the current premium.
//   Hyperliquid median(C1, C2, C3):  C1 = index + EMA(mid - index),  C2 = median(bid, ask, last),
//               C3 = external perp mid. EMA: continuous-time exponential average of the
//               piecewise-constant premium, weight exp(-age / ema_window), normalised by the
//               total weight (so it is unbiased from the first second and skips spans with no
//               premium). Before any time has elapsed C1 uses the current premium.
//               (Real Hyperliquid, with two components, adds a 30 s EMA of its own
//               bid/ask/last as a third; we take the mean of the two, below.)
//
// Combining: a component that lacks its inputs is left out. Median of three is exact; of two it
// is their mean, an odd sum's half tick rounded toward the index (down when there is no index);
// of one it is that one. Offsets from the index (P1, P2, C1) are rounded to the nearest tick,
// a half tick toward the index; since rounding is monotone, rounding the components first gives
// the same result as rounding the exact median.
// Fallbacks: Last and Index give nullopt until their input exists. Binance without an index
// gives the last trade (nullopt before one). Hyperliquid with no component gives the index
// (nullopt without one).
//
// Determinism: the Hyperliquid EMA state is double (exp of elapsed time). IEEE doubles are
// reproducible for one binary on one machine; std::exp may differ in the last bit between libm
// versions, which can flip a tick only on an exact rounding boundary. Everything else is integer.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "liqsim/types.hpp"

namespace liqsim {

enum class MarkRule : std::uint8_t { Last = 0, Index = 1, Binance = 2, Hyperliquid = 3 };

class MarkPrice {
 public:
  static constexpr Timestamp kSecond = 1'000'000'000;

  // funding_interval_ns in [1, 365 days]; ema_window_ns > 0; ma_window_ns a whole number of
  // seconds in [1 s, 24 h]. Throws InvalidConfig naming the parameter.
  explicit MarkPrice(MarkRule rule, Timestamp funding_interval_ns = 8 * 3600 * kSecond,
                     std::int64_t ema_window_ns = 150 * kSecond, std::int64_t ma_window_ns = 300 * kSecond);

  // Prices must be in [1, kMaxPrice] (InvalidOrder otherwise).
  void on_trade(Price price, Timestamp ts);
  void on_index(Price price, Timestamp ts);
  void on_book(std::optional<Price> bid, std::optional<Price> ask, Timestamp ts);  // nullopt: empty side
  void on_external_perp_mid(Price price, Timestamp ts);
  void set_funding_rate_ppm(std::int64_t rate_ppm);  // |rate| <= 1e6 (InvalidConfig otherwise)
  void advance_to(Timestamp ts);                     // move the clock without a new input

  std::optional<Price> mark() const;
  MarkRule rule() const { return rule_; }
  Timestamp now() const { return now_; }

 private:
  std::optional<std::int64_t> premium_half_ticks() const;  // bid + ask - 2 x index
  void push_sample();
  std::optional<Price> binance() const;
  std::optional<Price> hyperliquid() const;

  MarkRule rule_;
  Timestamp interval_;
  double ema_tau_ns_;
  Timestamp now_ = 0;
  std::int64_t funding_rate_ppm_ = 0;
  std::optional<Price> last_, index_, bid_, ask_, ext_mid_;

  // Binance MA ring (premium samples in half ticks).
  std::vector<std::int64_t> ring_;
  std::vector<bool> ring_valid_;
  std::size_t ring_head_ = 0;
  std::int64_t ring_count_ = 0;  // valid samples in the window
  int128 ring_sum_ = 0;
  Timestamp next_sample_ = kSecond;

  // Hyperliquid EMA (half ticks): ema = num / den.
  double ema_num_ = 0.0;
  double ema_den_ = 0.0;
};

}  // namespace liqsim
