// Per-instrument circuit breakers, DESIGN section 4: an order gate (price_band), LULD price bands
// with a limit state, the CME dynamic circuit breaker, CME velocity logic and NYSE-style
// market-wide halts. Self-contained (no Exchange dependency); the pipeline feeds it trade prices
// and the top of book after each command and asks check() whether to halt. All decisions are
// exact integer arithmetic (ticks, ns, ppm; products in int128), no floating point.
//
// Clock: the latest timestamp seen by any call (no wall clock); an input older than the clock is
// treated as arriving now. A trade stamped t belongs to a trailing window of length W at time
// `now` while now - t < W, i.e. the window is (now - W, now].
//
// Rules (each cites the real rule it follows; what is simplified is said so):
//
// price_band  Binance USD-M futures PERCENT_PRICE filter: a BUY limit must satisfy
//             price <= mark x multiplierUp, a SELL limit price >= mark x multiplierDown, with
//             multiplierUp = 1 + band, multiplierDown = 1 - band. Exactly on the boundary is
//             admitted; the comparison is exact (no rounding of mark x multiplier). Binance
//             checks only the aggressive side (a buy far below the mark is a harmless passive
//             order); `symmetric = true` rejects both sides beyond +-band, as DESIGN's table
//             words it. No mark yet: admitted.
//
// luld        SEC Limit Up-Limit Down plan (Plan section I "Reference Price", V "Limit State",
//             VII "Trading Pause"), tier 1, simplified to one instrument and one band:
//             - reference = arithmetic mean of trade prices over the trailing ref_window (5 min);
//               a new (pro-forma) mean replaces the reference only if it differs from it by
//               >= ref_move (1%), compared exactly: |sum - ref x n| x 1e6 >= ref x n x ref_move.
//               The new reference is the mean rounded to the nearest tick (a half tick down).
//               The pro-forma mean is re-evaluated on every trade and whenever a trade leaves the
//               window (at t + ref_window exactly); an empty window keeps the previous reference
//               (Plan: "if no eligible reported transactions ... the previous reference price
//               shall remain in effect"). The first trade sets the initial reference.
//             - bands: lower = ceil(ref x (1 - band)), upper = floor(ref x (1 + band)), clipped to
//               [1, kMaxPrice]: every tick in [lower, upper] is within +-band of the reference.
//               trade_bounds() returns them; the engine clamps taker limits to them ("price
//               sliding"), so trades never print outside.
//             - limit state: best ask <= lower band or best bid >= upper band (the Plan's "national
//               best offer equals the lower price band / best bid equals the upper price band",
//               with "beyond" counted too). It starts at the on_book() call that first shows it
//               (or when a reference move puts the stored book at a band) and is cleared as soon
//               as the book leaves the band. A limit state still in force limit_state_ns (15 s)
//               after it began halts for halt_ns (5 min): a limit state that began at t0 halts at
//               t0 + 15 s; one cleared at t0 + 14.999999999 s does not. The deadline is latched
//               as soon as any call carries the clock to or past it, before that call's own input
//               is applied, so a command stamped at or after the deadline cannot undo it.
//               next_deadline() tells the engine when to call check() with no input.
//             - reopen: the reference becomes the reopen price and the mean window is cleared.
//               (Not modelled: the plan's double bands at the open/close, straddle states, the
//               30 s minimum between band updates of some SIP implementations.)
//
// dcb         CME dynamic circuit breaker as DESIGN section 4 describes it: the rolling high and
//             low of trade prices over lookback_ns (60 min), kept in monotonic deques (amortized
//             O(1) per trade). A trade at or below high x (1 - band) or at or above
//             low x (1 + band) (band 3.5%) halts for halt_ns (2 min); compared exactly, e.g.
//             high 100,000: 96,500 halts, 96,501 does not. The trade itself is in the window
//             (it cannot be its own breach). After the halt the lookback restarts: the history is
//             cleared and the reopen price seeds the new window (CME resets the dynamic limits
//             around the reopening price).
//
// velocity    CME Globex Velocity Logic ("detects market movement of a predefined number of ticks
//             either up or down within a predefined time", then a momentary Reserved state): a
//             trade that makes max - min of the trade prices in the trailing window_ns exceed
//             max_move_ticks (strictly more) pauses for pause_ns. Monotonic deques, amortized
//             O(1). Defaults: 1 s lookback, 5 s pause (CME: "a few seconds"), 3,000 ticks
//             (= 300 USD at the 0.1 USD BTC-PERP tick, about 0.5% at 60k); CME sets the tick
//             threshold per product, so set it per instrument. The window is cleared and seeded
//             with the reopen price after a halt.
//
// market_wide NYSE Rule 7.12 (market-wide circuit breaker) adapted to a 24 h market: the session
//             reference is MarketWideSpec.reference, or the first trade price when 0, fixed for
//             the run. A trade at or below reference x (1 - 7%) starts a level-1 halt (15 min),
//             13% level 2 (15 min), 20% level 3 (halted for the rest of the run: duration -1).
//             Each level fires at most once per run (Rule 7.12: a level-1 or level-2 halt once a
//             day). A print that crosses several levels at once fires only the highest; the lower
//             ones count as reached and never fire later. Prints during a halt (reopen auction)
//             and the reopen price itself are also checked, so a reopen below the next level
//             fires it at the next check(). After level 3 every call is ignored except queries:
//             check() returns nothing, on_reopen() does not reopen.
//
// Combining: check(ts) collects the triggers pending at ts (LULD deadline reached; DCB, velocity
// and market-wide breaches by trades since the last halt) and returns at most one halt: the
// longest (rest of run longest of all); on equal lengths the first of market_wide, luld, dcb,
// velocity. The halt covers all pending triggers, which are then cleared (a lower market-wide
// level that lost stays "reached"). From the returned decision until on_reopen() the breakers are
// halted: check() returns nothing (idempotent), trades are still recorded (an auction may print)
// but raise no DCB / velocity trigger, and the LULD limit state is not tracked.
//
// Validation (validate(), also run by the constructor): every field of every policy, enabled or
// not, so a configuration is either valid or rejected as a whole. Bands in ppm: price_band, luld,
// dcb in [1, 1e6]; luld.ref_move_ppm in [0, 1e6]; market-wide levels 1 <= l1 < l2 < l3 <= 1e6;
// windows and halt lengths in [1 ns, 365 days]; velocity.max_move_ticks in [1, kMaxPrice];
// market_wide.reference in [0, kMaxPrice]. Errors are InvalidConfig naming the field and value.
// Prices given to on_trade / on_book / on_reopen must be in [1, kMaxPrice] (InvalidOrder).
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "liqsim/types.hpp"

namespace liqsim {

inline constexpr Timestamp kNsPerSecond = 1'000'000'000;
inline constexpr Timestamp kNsPerMinute = 60 * kNsPerSecond;
inline constexpr Timestamp kMaxBreakerDuration = 365 * 24 * 60 * kNsPerMinute;
inline constexpr Timestamp kRestOfRun = -1;  // HaltDecision::duration_ns of a level-3 halt

enum class HaltReason : std::uint16_t {
  None = 0,
  Luld = 1,
  Dcb = 2,
  Velocity = 3,
  MarketWide1 = 4,
  MarketWide2 = 5,
  MarketWide3 = 6,
};

const char* halt_reason_name(HaltReason r);

struct PriceBandSpec {
  bool enabled = false;
  std::int64_t band_ppm = 50'000;  // Binance PERCENT_PRICE multiplierUp 1.05 / multiplierDown 0.95
  bool symmetric = false;          // true: reject both sides beyond +-band (not Binance)
};

struct LuldSpec {
  bool enabled = false;
  std::int64_t band_ppm = 50'000;              // tier 1: 5%
  Timestamp ref_window_ns = 5 * kNsPerMinute;  // mean of the last 5 minutes
  std::int64_t ref_move_ppm = 10'000;          // reference moves only on >= 1%
  Timestamp limit_state_ns = 15 * kNsPerSecond;
  Timestamp halt_ns = 5 * kNsPerMinute;
};

struct DcbSpec {
  bool enabled = false;
  Timestamp lookback_ns = 60 * kNsPerMinute;
  std::int64_t band_ppm = 35'000;  // 3.5%
  Timestamp halt_ns = 2 * kNsPerMinute;
};

struct VelocitySpec {
  bool enabled = false;
  Price max_move_ticks = 3'000;        // instrument specific; 300 USD at a 0.1 USD tick
  Timestamp window_ns = kNsPerSecond;  // lookback
  Timestamp pause_ns = 5 * kNsPerSecond;
};

struct MarketWideSpec {
  bool enabled = false;
  std::int64_t level1_ppm = 70'000;
  std::int64_t level2_ppm = 130'000;
  std::int64_t level3_ppm = 200'000;
  Timestamp halt1_ns = 15 * kNsPerMinute;
  Timestamp halt2_ns = 15 * kNsPerMinute;
  // level 3: halted for the rest of the run
  Price reference = 0;  // 0: the first trade price seen
};

struct BreakerSpec {
  PriceBandSpec price_band;
  LuldSpec luld;
  DcbSpec dcb;
  VelocitySpec velocity;
  MarketWideSpec market_wide;
};

void validate(const BreakerSpec& spec);  // throws InvalidConfig naming the field

struct HaltDecision {
  HaltReason reason = HaltReason::None;
  Timestamp duration_ns = 0;  // kRestOfRun (-1): rest of run
  // What the trigger was measured against: LULD reference; DCB window high (down breach) or low
  // (up breach); velocity: the other end of the move; market-wide session reference.
  Price reference = 0;
  // LULD: the band price the book sits at; DCB / velocity / market-wide: the breaching trade.
  Price trigger_price = 0;
  // When the rule was met (<= the ts given to check): LULD limit-state start + limit_state_ns;
  // otherwise the breaching trade's timestamp.
  Timestamp trigger_ts = 0;
};

// Everything a query may want, in one value (for bindings / event snapshots).
struct BreakerState {
  Timestamp now = 0;
  std::optional<Price> luld_reference;
  Price luld_lower = 1, luld_upper = kMaxPrice;  // == trade_bounds()
  std::optional<Timestamp> limit_state_since;
  std::optional<Price> dcb_high, dcb_low;
  std::optional<Price> market_wide_reference;
  int market_wide_level = 0;  // highest level reached, 0..3
  bool halted = false;
  bool halted_for_run = false;
  std::optional<HaltDecision> active_halt;
};

class Breakers {
 public:
  explicit Breakers(BreakerSpec spec = {});  // validates

  // Order gate (price_band): false if the limit price is beyond the band of the mark (see the
  // header comment for the side rule). Disabled or no mark: true.
  bool admits(Side side, Price limit, std::optional<Price> mark) const;

  // LULD bands [lo, hi] within which trades may print right now; {1, kMaxPrice} when LULD is off
  // or has no reference yet. Call advance_to(ts) first so references aged out by time are seen.
  std::pair<Price, Price> trade_bounds() const;

  // Move the clock without input: trades leave the windows, the LULD reference may move, a
  // limit-state deadline reached is latched.
  void advance_to(Timestamp ts);
  // Every fill price, in order.
  void on_trade(Price price, Timestamp ts);
  // Top of book after each command (nullopt: empty side); drives the LULD limit state.
  void on_book(std::optional<Price> best_bid, std::optional<Price> best_ask, Timestamp ts);
  // Evaluate all triggers at ts (after the command's trades and on_book); the halt to start, if
  // any. Nothing while halted.
  std::optional<HaltDecision> check(Timestamp ts);
  // The halt ended and the book reopened at `price` (auction price, or last): the LULD reference
  // becomes `price` and its mean window is cleared, the DCB and velocity windows restart from
  // `price`, pending DCB / velocity triggers and the limit state are dropped. Ignored after a
  // level-3 market-wide halt. May also be called without a halt from this class (e.g. after a
  // halt the engine started for its own reasons).
  void on_reopen(Price price, Timestamp ts);

  // Earliest time at which check() returns a halt with no further input: the clock if a trigger
  // is already pending, the LULD limit-state deadline if one is running, else nullopt.
  std::optional<Timestamp> next_deadline() const;

  // Queries.
  const BreakerSpec& spec() const { return spec_; }
  Timestamp now() const { return now_; }
  std::optional<Price> luld_reference() const { return luld_ref_; }
  std::optional<Timestamp> limit_state_since() const { return limit_since_; }
  bool in_limit_state() const { return limit_since_.has_value(); }
  std::optional<Price> dcb_high() const;
  std::optional<Price> dcb_low() const;
  std::optional<Price> market_wide_reference() const { return mw_ref_; }
  int market_wide_level() const { return mw_level_; }
  bool halted() const { return active_.has_value(); }
  bool halted_for_run() const { return halted_for_run_; }
  const std::optional<HaltDecision>& active_halt() const { return active_; }
  BreakerState state() const;

 private:
  struct Point {
    Timestamp ts;
    Price price;
  };
  // Trailing-window max and min (monotonic deques): amortized O(1) push and expiry.
  struct MinMaxWindow {
    std::deque<Point> max_q;  // prices strictly decreasing front to back
    std::deque<Point> min_q;  // prices strictly increasing front to back
    void push(Point p);
    void expire(Timestamp now, Timestamp window);  // drop points with ts <= now - window
    void clear();
    bool empty() const { return max_q.empty(); }
    Price max() const { return max_q.front().price; }
    Price min() const { return min_q.front().price; }
  };

  void luld_evict_and_latch(Timestamp ts);
  bool luld_update_reference();     // from the current window; true if the reference moved
  void luld_refresh_limit_state(Timestamp at);
  bool luld_book_at_band(Price* band) const;
  void market_wide_print(Price price, Timestamp ts);

  BreakerSpec spec_;
  Timestamp now_ = 0;

  // LULD.
  std::deque<Point> luld_window_;
  int128 luld_sum_ = 0;
  std::optional<Price> luld_ref_;
  std::optional<Price> bid_, ask_;
  std::optional<Timestamp> limit_since_;
  std::optional<HaltDecision> luld_pending_;

  // DCB and velocity.
  MinMaxWindow dcb_;
  std::optional<HaltDecision> dcb_pending_;
  MinMaxWindow vel_;
  std::optional<HaltDecision> vel_pending_;

  // Market-wide.
  std::optional<Price> mw_ref_;
  int mw_level_ = 0;
  std::optional<HaltDecision> mw_pending_;

  std::optional<HaltDecision> active_;
  bool halted_for_run_ = false;
};

}  // namespace liqsim
