// Facade: one ordered pipeline over books, clearing and risk. For every command:
// validate -> risk pre-check (initial margin) -> match (fills settle in the ledger as they
// happen) -> update mark -> liquidation triggers -> liquidation orders -> backstop -> ADL.
// Every public command validates all of its input before it changes anything.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "liqsim/account_array.hpp"
#include "liqsim/book/id_map.hpp"
#include "liqsim/book/order_book.hpp"
#include "liqsim/clearing/funding.hpp"
#include "liqsim/control/breakers.hpp"
#include "liqsim/clearing/ledger.hpp"
#include "liqsim/clearing/margin_tiers.hpp"
#include "liqsim/clearing/mark_price.hpp"
#include "liqsim/clearing/positions.hpp"
#include "liqsim/error.hpp"
#include "liqsim/events.hpp"
#include "liqsim/risk/adl.hpp"
#include "liqsim/risk/parked_accounts.hpp"
#include "liqsim/risk/trigger_index.hpp"
#include "liqsim/types.hpp"

namespace liqsim {

class SettleThread;

// Where an instrument's mark comes from: the four MarkPrice rules, or whatever set_mark said.
enum class MarkSource : std::uint8_t { Last = 0, Index = 1, Binance = 2, Hyperliquid = 3, External = 4 };

enum class TradingState : std::uint8_t { Continuous = 0, Halted = 1, Closed = 2 };
// During a halt the mark keeps following its source and liquidations trigger on it
// (FollowIndex), the mark is frozen at its halt value (Frozen), or it follows its source but
// liquidations wait for the reopen (FollowIndexLiquidationsWait).
enum class HaltMarkMode : std::uint8_t { FollowIndex = 0, Frozen = 1, FollowIndexLiquidationsWait = 2 };

// Circuit breakers and liquidation controls of one instrument (DESIGN section 4).
struct ControlSpec {
  BreakerSpec breakers;
  HaltMarkMode halt_mark = HaltMarkMode::FollowIndex;
  bool liq_pause = false;           // liquidations deferred while halted, re-checked at reopen
  Cash liq_throttle_global = 0;     // liquidation notional per window, all accounts (0: off)
  Cash liq_throttle_account = 0;    // per account (0: off)
  Timestamp liq_throttle_window_ns = 60'000'000'000;
  Timestamp auction_random_end_ns = 0;  // Xetra-style random end of the call phase (0: none)
  std::uint64_t seed = 0;
};

struct InstrumentSpec {
  std::string symbol;
  Stp stp = Stp::None;
  std::int64_t market_band_ppm = 50'000;  // market-order protection band, 5%
  Cash cash_per_tick_lot = 1;             // tick_size * lot_size / cash_unit
  std::int64_t taker_fee_ppm = 0;
  std::int64_t maker_fee_ppm = 0;         // negative: rebate, at most the taker fee
  std::vector<std::pair<Cash, std::int64_t>> tiers;  // (notional cap, MMR ppm); empty: none
  std::int64_t im_multiplier_ppm = 2'000'000;        // initial margin = 2 x MMR
  MarkSource mark_source = MarkSource::Last;
  ControlSpec control;
  Timestamp funding_interval_ns = 8LL * 3600 * 1'000'000'000;
  std::int64_t funding_interest_ppm = 100;  // 0.01% per interval
  std::int64_t funding_clamp_ppm = 500;     // clamp(I - P, +-0.05%)
  std::int64_t funding_cap_ppm = 3'000;     // +-0.3% (0.75 x first-tier MMR)
};

enum class LiquidationMode : std::uint8_t { IocBankruptcy = 0, Partial = 1, Market = 2 };
enum class BackstopKind : std::uint8_t { InsuranceFund = 0, Vault = 1 };

struct RiskSpec {
  bool enabled = false;  // false: matching and settlement only (no margin, no liquidations)
  LiquidationMode mode = LiquidationMode::IocBankruptcy;
  std::int64_t clearance_fee_ppm = 5'000;  // of the liquidated notional, to the insurance fund
  std::int64_t partial_fraction_ppm = 200'000;
  Cash partial_threshold = 0;  // positions with notional above this are sliced
  Cash partial_min_slice = 0;  // slice notional floor (0: none)
  Cash partial_max_slice = 0;  // slice notional cap (0: none)
  Timestamp partial_cooldown_ns = 30'000'000'000;
  std::int64_t market_slippage_ppm = 50'000;
  std::int64_t max_per_step = 0;  // liquidations per command (0: unlimited)
  BackstopKind backstop = BackstopKind::InsuranceFund;
  std::int64_t vault_trigger_ppm = 666'667;  // vault takes over below 2/3 of maintenance
  AdlRule adl_rule = AdlRule::PnlLeverage;
  bool adl_at_mark = false;
  std::uint64_t adl_seed = 0;
  std::int64_t unwind_slippage_ppm = 10'000;  // backstop unwinds with IOCs at mark -+ 1%
  Timestamp unwind_interval_ns = 1'000'000'000;  // at most one unwinding try per second
};

struct NewOrder {
  InstrumentId instrument;
  AccountId account;
  OrderId id;
  Side side;
  Kind kind;
  Price price;  // ticks; ignored for market orders
  Qty qty;      // lots
  bool reduce_only;
  Timestamp ts;
};

// Column pointers of a batch, all of length n; reduce_only and ts may be null.
struct BatchView {
  std::size_t n = 0;
  const std::uint8_t* cmd = nullptr;
  const InstrumentId* instrument = nullptr;
  const OrderId* order_id = nullptr;
  const AccountId* account = nullptr;
  const std::int8_t* side = nullptr;
  const std::uint8_t* kind = nullptr;
  const Price* price = nullptr;
  const Qty* qty = nullptr;
  const std::uint8_t* reduce_only = nullptr;
  const Timestamp* ts = nullptr;
};

struct OrderInfo {
  OrderId id;
  InstrumentId instrument;
  AccountId account;
  Side side;
  Kind kind;
  Price price;
  Qty leaves;
  bool reduce_only;
};

// Margin state of one account at current marks (cash units).
struct AccountRisk {
  Cash cash;
  Cash wallet;       // cash + cost of open positions: deposits - withdrawals + realized - fees
  Cash equity;       // cash + sum(position x mark)
  Cash maintenance;  // sum over positions of tier maintenance margin
  Cash initial;      // initial margin of positions and resting orders
  Cash upnl;         // equity - cash - ... (sum of position x mark - basis)
};

// What liquidation needs of an account's margin: AccountRisk's equity and maintenance alone
// (the risk stage re-values thousands of waiting accounts; initial margin would also read
// their resting orders).
struct Standing {
  Cash equity;
  Cash maintenance;
};

// Exact thresholds as fractions of ticks (num / den, den > 0); nullopt when flat or undefined.
struct PriceFraction {
  int128 num;
  int128 den;
};

class Exchange : private FillSink {
 public:
  explicit Exchange(RiskSpec risk = {});

  InstrumentId add_instrument(const InstrumentSpec& spec);
  AccountId add_account();
  AccountId add_accounts(std::size_t n);  // returns the first new id

  // Trading
  void submit(const NewOrder& o);
  void cancel(OrderId id, Timestamp ts);
  void amend(OrderId id, Price price, Qty qty, Timestamp ts);
  // Runs rows in order; a bad row throws Error with row() set, earlier rows stay applied.
  // Batches of at least parallel_settlement() rows on a matching-only exchange (no risk, no
  // breakers, nothing halted, FILL events recorded) settle their fills on a second thread
  // (exchange_batch.cpp); the results are the same either way.
  void run_batch(const BatchView& b);
  // Smallest batch that settles on a second thread; kNoParallelSettlement: never.
  static constexpr std::size_t kNoParallelSettlement = ~std::size_t{0};
  void set_parallel_settlement(std::size_t min_rows) { parallel_min_rows_ = min_rows; }
  std::size_t parallel_settlement() const { return parallel_min_rows_; }
  // Leave accounts the liquidation throttle certainly keeps waiting out of the risk stage's
  // listings (exchange_parking.cpp). The same results either way; on by default. Turning it
  // off lets every parked account go back to being listed.
  void set_parking(bool on);
  bool parking() const { return parking_; }
  std::size_t parked_accounts() const { return parked_.size(); }
  std::uint64_t parkings() const { return parked_.parkings(); }
  // Batches so far that settled on a second thread.
  std::uint64_t parallel_batches() const { return parallel_batches_; }

  // Money and prices
  void deposit(AccountId a, Cash amount, Timestamp ts);
  // Deposits for many accounts; all rows are validated before any is applied.
  void deposit_batch(const AccountId* accounts, const Cash* amounts, std::size_t n, Timestamp ts);
  void withdraw(AccountId a, Cash amount, Timestamp ts);
  // Isolated margin: a position with its own collateral bucket, liquidated on its own.
  void set_margin_mode(AccountId a, InstrumentId inst, bool isolated, Timestamp ts);
  void add_isolated_margin(AccountId a, InstrumentId inst, Cash amount, Timestamp ts);
  void remove_isolated_margin(AccountId a, InstrumentId inst, Cash amount, Timestamp ts);
  void fund_insurance(Cash amount, Timestamp ts);
  void set_index(InstrumentId inst, Price index, Timestamp ts);
  void set_mark(InstrumentId inst, Price mark, Timestamp ts);
  // Mid of the same contract on another venue (an input of the Hyperliquid mark).
  void set_external_mid(InstrumentId inst, Price mid, Timestamp ts);
  // Pays funding at the rate accumulated from premium samples since the last settlement.
  void settle_funding(InstrumentId inst, Timestamp ts);
  std::int64_t funding_rate(InstrumentId inst) const;  // current estimate, ppm
  // Pays funding at `rate_ppm` of each position's notional at mark (longs pay if positive).
  void apply_funding(InstrumentId inst, std::int64_t rate_ppm, Timestamp ts);

  // Positions handed over outside the book (scenario set-up, makers laying off inventory on
  // other venues): account i receives qty[i] lots (signed) from `counterparty` at price[i], no
  // fees, no margin check. Every row is validated before any is applied; TRANSFER events record
  // them.
  void transfer_positions(InstrumentId inst, AccountId counterparty, const AccountId* accounts,
                      const Qty* qty, const Price* price, std::size_t n, Timestamp ts);
  // Replaces an instrument's breakers and liquidation controls from `ts` on (policy forks);
  // breaker reference windows start empty. Not while the instrument is halted.
  void set_control(InstrumentId inst, const ControlSpec& control, Timestamp ts);

  // Time and trading state: advance runs due timers (halt ends, reopening auctions) and the
  // risk stage without any other command.
  void advance(Timestamp ts);
  void halt(InstrumentId inst, Timestamp duration_ns, Timestamp ts);  // manual halt; -1: close
  TradingState trading_state(InstrumentId inst) const;
  Timestamp halt_until(InstrumentId inst) const;
  const Breakers* breakers(InstrumentId inst) const;

  // Queries
  EventLog& log() { return log_; }
  const OrderBook& book(InstrumentId inst) const;
  const InstrumentSpec& spec(InstrumentId inst) const;
  const RiskSpec& risk_spec() const { return risk_; }
  Qty position(AccountId a, InstrumentId inst) const;
  const PositionBook& positions(InstrumentId inst) const;
  const Ledger& ledger() const { return ledger_; }
  std::optional<Price> mark(InstrumentId inst) const;
  std::optional<Price> index(InstrumentId inst) const;
  std::optional<Price> last_trade(InstrumentId inst) const;
  AccountRisk account_risk(AccountId a) const;  // the cross-margin part of the account
  // Margin of one isolated position (its own bucket), or of the cross part for scope -1.
  AccountRisk scope_risk(AccountId a, InstrumentId scope) const;
  Standing standing(AccountId a, InstrumentId scope) const;  // scope_risk's equity, maintenance
  bool is_isolated(AccountId a, InstrumentId inst) const;
  InstrumentId scope_of(AccountId a, InstrumentId inst) const {
    return is_isolated(a, inst) ? inst : -1;
  }
  // Sum of every ledger balance, isolated buckets included: exactly zero.
  Cash ledger_total() const;
  bool liquidatable(AccountId a) const;
  std::optional<PriceFraction> liquidation_price(AccountId a, InstrumentId inst) const;
  std::optional<PriceFraction> bankruptcy_price(AccountId a, InstrumentId inst) const;
  std::vector<AdlCandidate> adl_candidates(InstrumentId inst, Side side) const;
  Cash insurance_fund() const;  // equity of the insurance fund at mark
  // Loss left after the insurance fund: what ADL at the bankruptcy price or socialized shares
  // covered (the run metric `bad_debt` over the BAD_DEBT events, to the unit). Deficits the fund
  // paid are not in it.
  Cash bad_debt() const { return bad_debt_; }
  const MarginTiers* tiers(InstrumentId inst) const;
  // False if the id is unknown or the order is no longer live.
  bool order_info(OrderId id, OrderInfo& out) const;
  bool order_seen(OrderId id) const { return ids_.find(id) != IdMap::kMissing; }
  // Instrument of any order ever seen, live or done (-1 if never seen).
  InstrumentId order_instrument(OrderId id) const {
    const std::uint64_t h = ids_.find(id);
    return h == IdMap::kMissing ? -1 : handle_instrument(h);
  }

  std::size_t num_instruments() const { return instruments_.size(); }
  std::size_t num_accounts() const { return num_accounts_; }
  Timestamp now() const { return now_; }
  OrderId next_order_id() const { return max_order_id_ + 1; }

 private:
  struct Instrument {
    InstrumentSpec spec;
    std::optional<MarginTiers> tiers;
    OrderBook book;
    PositionBook pos;
    TriggerIndex triggers;
    std::optional<MarkPrice> pricer;  // none for Last and External
    FundingRate funding{};
    std::optional<Price> index, mark, last, external_mark;
    std::optional<Breakers> breakers;
    TradingState state = TradingState::Continuous;
    Timestamp halt_end = 0;  // uncross time while halted (-1: rest of run)
    std::int64_t throttle_window = -1;  // fixed liquidation-throttle window index
    std::int64_t defer_window = -1;     // window index last seen by the risk stage
    Cash throttle_used = 0;
    std::vector<std::pair<AccountId, Cash>> throttle_accounts;
    AccountArray<std::uint8_t> isolated;  // margin mode per account
    AccountArray<Cash> iso_cash;          // isolated collateral buckets (cash-flow balance)
  };

  // exchange.cpp: commands and matching
  // Input checks: the passing case inline (every order runs them), the error message out of line.
  void check_instrument(InstrumentId inst) const {
    if (inst < 0 || static_cast<std::size_t>(inst) >= instruments_.size()) unknown_instrument(inst);
  }
  void check_account(AccountId a) const {
    if (a < 0 || static_cast<std::size_t>(a) >= num_accounts_) unknown_account(a);
  }
  void check_account_or_system(AccountId a) const;  // system accounts have ids -4..-1
  void check_ts(Timestamp ts) const {
    if (ts < now_) ts_backwards(ts);
  }
  [[noreturn]] static void unknown_instrument(InstrumentId inst);
  [[noreturn]] static void unknown_account(AccountId a);
  [[noreturn]] void ts_backwards(Timestamp ts) const;
  // A price field in 1..kMaxPrice ticks (0 too when `zero_keeps` is set: "unchanged").
  static void check_price(const char* field, Price p, bool zero_keeps = false) {
    if ((p == 0 && zero_keeps) || (p >= 1 && p <= kMaxPrice)) return;
    bad_price(field, p, zero_keeps);
  }
  [[noreturn]] static void bad_price(const char* field, Price p, bool zero_keeps);
  // An order's notional (price x qty x cash per tick-lot) within kMaxNotional, so no fill's
  // cash move can overflow.
  static void check_notional(const Instrument& ins, Price price, Qty qty) {
    Cash per_lot = 0, n = 0;
    if (__builtin_mul_overflow(price, ins.spec.cash_per_tick_lot, &per_lot) ||
        __builtin_mul_overflow(per_lot, qty, &n) || n > kMaxNotional)
      bad_notional(price, qty);
  }
  [[noreturn]] static void bad_notional(Price price, Qty qty);
  void validate(const NewOrder& o) const;
  MatchContext context(Instrument& ins, InstrumentId inst, Timestamp ts);
  void retire(OrderId id, InstrumentId inst) { ids_.set(id, done_handle(inst)); }
  Event& order_event(EventType type, Reason code, InstrumentId inst, OrderId id, AccountId a,
                     Side side, Price price, Qty qty);
  void place(const NewOrder& o);
  // An amend after its checks (h: the order's id-map handle); the caller finishes the command.
  void apply_amend(std::uint64_t h, OrderId id, Price price, Qty qty);
  // Takes liquidity and rests or expires the remainder; returns lots filled.
  Qty take_and_rest(Instrument& ins, InstrumentId inst, Taker& t, Timestamp ts);
  // take_and_rest inlined into the order path (defined in exchange.cpp, used there only).
  [[gnu::always_inline]] inline Qty take_and_rest_inline(Instrument& ins, InstrumentId inst,
                                                         Taker& t, Timestamp ts);
  void on_fill(const Fill& f) override;
  void sync_positions() override;  // waits for the settlement thread, if one runs
  void feed_trade(Instrument& ins, Price price);  // mark pricer and breakers see the trade
  void fill_fees(const Fill& f, AccountId buyer, AccountId seller, Cash notional);
  // Moves cash and lots for one trade; `fill` (a book fill) also charges its fees, never to
  // system accounts. Position transfers (takeover, ADL) pass none. Fees are charged before the
  // lots move, so an account this trade closes to flat is checked for a deficit with its fee
  // paid.
  void settle(Instrument& ins, InstrumentId inst, AccountId buyer, AccountId seller, Price price,
              Qty qty, const Fill* fill) {
    const Cash per_lot = price * ins.spec.cash_per_tick_lot;
    const Cash notional = per_lot * qty;  // bounded at order entry
    cash_of(ins, buyer) -= notional;
    cash_of(ins, seller) += notional;
    if (fill && (ins.spec.taker_fee_ppm != 0 || ins.spec.maker_fee_ppm != 0)) [[unlikely]]
      fill_fees(*fill, buyer, seller, notional);
    move_position(ins, inst, buyer, qty, per_lot);
    move_position(ins, inst, seller, -qty, per_lot);
  }
  // One side of a trade: `delta` lots into `a` at `per_lot` cash per lot.
  void move_position(Instrument& ins, InstrumentId inst, AccountId a, Qty delta, Cash per_lot) {
    const Qty before = ins.pos.qty[a];
    ins.pos.apply(a, delta, per_lot);
    const Qty after = before + delta;
    if ((before == 0) != (after == 0)) opened_or_closed(ins, inst, a, after);
    mark_dirty(a);
  }
  void opened_or_closed(Instrument& ins, InstrumentId inst, AccountId a, Qty after);
  void move_isolated_margin(AccountId a, InstrumentId inst, Cash amount, Timestamp ts,
                            bool into_isolated);
  void charge_fee(InstrumentId inst, AccountId a, Cash notional, std::int64_t rate_ppm);
  void finish_command();
  // Every mark follows its source after each command (sync_all_marks; sources other than the
  // last trade in sync_mark). Nothing to do, the common case, kept inline and cheap, unless an
  // instrument's mark has such a source or a trade happened since the last sync.
  void sync_marks() {
    if (sourced_marks_ != 0 || traded_since_sync_) sync_all_marks();
  }
  void sync_all_marks();
  void sync_mark(InstrumentId inst);
  OrderId engine_order_id() { return next_engine_id_++; }
  void resize_account_arrays(std::size_t n);  // every per-account array, to n traders
  void check_inflow(AccountId a, Cash amount) const;  // a deposit stays within kMaxBalance
  void apply_deposit(AccountId a, Cash amount, Timestamp ts);  // checked already

  // exchange_margin.cpp: valuation, margin and thresholds
  Price valuation_price(const Instrument& ins) const;
  Cash notional(const Instrument& ins, Qty lots, Price price) const;
  // `replaced`: open quantity of the account's order on o's side that o replaces (an amend).
  bool passes_initial_margin(const NewOrder& o, Price limit, Qty replaced = 0) const;
  // The account's margin and ADL standing changed (re-valued at the next risk stage / ADL
  // round); nothing to do when neither is in use (the matching-only hot path).
  void mark_dirty(AccountId a) {
    if (adl_cache_.valid) touch_adl(a);
    if (risk_.enabled && !is_system(a)) {
      risk_stamp_[a].epoch = 0;
      if (!dirty_[a]) {
        dirty_[a] = 1;
        dirty_list_.push_back(a);
      }
    }
  }
  void touch_adl(AccountId a);
  void refresh_triggers();
  void update_mark(InstrumentId inst, Price mark);

  // exchange_control.cpp: breakers, halts and reopening auctions
  void control_stage();
  void start_halt(InstrumentId inst, HaltReason reason, Timestamp duration, Price trigger);
  void reopen(InstrumentId inst);
  bool halted(const Instrument& ins) const { return ins.state != TradingState::Continuous; }
  // Liquidations of this scope wait (liq_pause / halt mark mode) or exceed the throttle.
  bool liquidation_deferred(AccountId a, InstrumentId scope);

  // exchange_liquidation.cpp: the risk stage
  void risk_stage();
  void liquidate(AccountId a, InstrumentId scope);

  // exchange_parking.cpp: accounts the throttle certainly keeps waiting, left out of listings
  void park_waiting(const std::vector<AccountId>& waited);
  // At the start of each round, after refresh_triggers(): parked accounts whose price range no
  // longer holds the valuation price leave, and all of an instrument's leave when its throttle
  // window is no longer the one they were parked in (or `all`).
  void wake_parked(bool all = false);
  void unparked(AccountId a);  // gives it the standing listings would have given it
  // A full listing, not listing the parked accounts because nobody can be booked this round:
  // marks them listed (done) this stage and stamped now; whether listing them would have put
  // some in the due list (which runs the stage another round).
  bool list_parked();
  // Whether liquidation_deferred(a, scope) would return true now (no booking, no side effects).
  bool would_defer(AccountId a, InstrumentId scope) const;
  // Notional of the scope's positions at their valuation prices (what the throttle books).
  Cash scope_notional(AccountId a, InstrumentId scope) const;
  // The account's one cross position is due at valuation price `v` (scope_risk's arithmetic).
  bool cross_due_at(AccountId a, const Instrument& ins, Qty p, Price v) const;
  // The bucket a trade in `inst` settles in.
  Cash& cash_of(AccountId a, InstrumentId inst) {
    return cash_of(instruments_[static_cast<std::size_t>(inst)], a);
  }
  Cash& cash_of(Instrument& ins, AccountId a) {
    return a >= 0 && ins.isolated[a] ? ins.iso_cash[a] : ledger_.cash(a);
  }
  bool in_scope(AccountId a, std::size_t inst, InstrumentId scope) const {
    return scope < 0 ? !is_isolated(a, static_cast<InstrumentId>(inst))
                     : static_cast<InstrumentId>(inst) == scope;
  }
  bool has_position(AccountId a, InstrumentId scope) const;
  // Reduce-only IOC for `a`; its fills get FILL code `tag` (LIQUIDATION, or BACKSTOP_UNWIND
  // when a backstop sells off what it took over).
  Cash close_through_book(AccountId a, InstrumentId inst, Qty qty, Price limit,
                          Reason tag = Reason::Liquidation);
  void takeover(AccountId a, InstrumentId inst, AccountId backstop);
  void auto_deleverage(AccountId a, InstrumentId inst, Qty qty, Price price);
  AdlCandidate adl_candidate(const Instrument& ins, AccountId a, Price valuation) const;
  // Rebuilds the candidates of one side unless nothing changed since the last ADL round.
  const std::map<AccountId, AdlCandidate>& cached_adl_candidates(InstrumentId inst, Side side);
  void refresh_adl_cache();
  void transfer_position(AccountId from, AccountId to, InstrumentId inst, Qty lots, Price price);
  void settle_bad_debt(AccountId a, InstrumentId inst, const std::vector<AdlFill>& counterparties);
  bool unwind_backstops();
  void socialize(AccountId backstop);
  void cover_flat_deficits();

  RiskSpec risk_;
  std::vector<Instrument> instruments_;
  std::size_t num_accounts_ = 0;
  Ledger ledger_;
  AccountArray<std::uint8_t> open_positions_;  // instruments with a non-zero position
  AccountArray<std::uint8_t> dirty_;
  std::vector<AccountId> dirty_list_;
  // The risk stage re-checks trigger candidates and multi-instrument accounts every command.
  // An account found above maintenance (cross scope) stays so until a valuation price moves
  // (risk_epoch_ advances) or the account changes (mark_dirty clears its stamp); one found due
  // but made to wait (throttle, paused liquidations) also waits until then or until something
  // that decides the waiting changes (defer_generation_: a liquidation, a halt or reopening, a
  // new throttle window, new controls). Such checks are skipped in between: marks move a few
  // times a second, commands thousands of times (risk/risk_stamp.hpp).
  std::size_t sourced_marks_ = 0;   // instruments whose mark source is not the last trade
  bool traded_since_sync_ = false;  // a book trade since the last sync_marks()
  std::uint64_t risk_epoch_ = 1;
  std::uint64_t defer_generation_ = 1;
  AccountArray<RiskStamp> risk_stamp_;
  // risk_stage() scratch: the stage / candidate round that last marked an account (cross
  // scope) done or listed; serials only grow, so nothing is cleared between stages.
  std::uint64_t risk_stage_serial_ = 0;
  std::uint64_t risk_round_serial_ = 0;
  AccountArray<std::uint64_t> stage_done_;
  AccountArray<std::uint64_t> cand_listed_;
  // Incremental candidate listing (risk_stage): accounts refresh_triggers re-keyed since the
  // last listing, and the counters that listing saw.
  std::vector<AccountId> refreshed_;
  std::uint64_t scan_epoch_ = 0;
  std::uint64_t scan_gen_ = 0;
  bool rescan_ = true;
  // Parking (exchange_parking.cpp). The last full listing that stood for the parked accounts
  // was in stage parked_listed_stage_ and stamped them parked_floor_ (an account parked since
  // carries a stamp at least as new); stamps are written when they leave.
  bool parking_ = true;
  ParkedAccounts parked_;
  std::uint64_t parked_listed_stage_ = 0;
  RiskStamp parked_floor_;
  std::vector<AccountId> waited_, woken_;  // risk_stage() scratch
  std::vector<AccountId> multi_;  // accounts with positions in several instruments
  AccountArray<Timestamp> last_liquidation_;  // time of the last partial slice + 1; 0 = never
  AccountArray<std::uint8_t> in_multi_;
  std::uint64_t adl_rounds_ = 0;
  std::uint64_t auction_draws_ = 0;
  Timestamp last_unwind_[2] = {-1, -1};  // insurance fund, vault
  std::size_t any_halted_ = 0;       // instruments currently halted or closed
  std::size_t with_breakers_ = 0;    // instruments with a breaker policy on
  std::vector<std::pair<AccountId, InstrumentId>> flat_deficits_;  // (account, margin scope)
  // exchange_batch.cpp: settling a batch's fills on a second thread
  struct OffloadedSettle;
  bool settles_in_parallel(std::size_t rows) const;
  std::size_t parallel_min_rows_ = 16384;
  // Set only while run_batch has a settlement thread; a copy of the exchange (snapshot) gets
  // none, whenever it is taken.
  struct SettlerRef {
    SettleThread* ptr = nullptr;
    SettlerRef() = default;
    SettlerRef(const SettlerRef&) {}
    SettlerRef& operator=(const SettlerRef&) { return *this; }
    SettleThread* operator->() const { return ptr; }
    explicit operator bool() const { return ptr != nullptr; }
  } settler_;
  // Also only during such a batch, when every mark follows the last trade: the matching thread
  // does nothing per fill or per command about prices (no breaker, pricer or risk stage reads
  // them then); the settlement thread notes each instrument's last trade and the marks follow
  // once, when the batch ends.
  bool marks_deferred_ = false;
  std::uint64_t parallel_batches_ = 0;

  IdMap ids_;
  EventLog log_;
  Timestamp now_ = 0;
  OrderId max_order_id_ = 0;
  OrderId next_engine_id_ = kFirstEngineOrderId;  // ids of orders the engine sends itself
  bool fee_exempt_taker_ = false;               // liquidation and backstop orders
  bool in_risk_stage_ = false;
  Cash bad_debt_ = 0;
  // ADL candidates of one (instrument, side), kept between ADL rounds: accounts changed since
  // (mark_dirty) are re-valued at the next round; a mark change drops the cache.
  struct AdlCache {
    bool valid = false;
    InstrumentId inst = -1;
    Side side = Side::Buy;
    std::map<AccountId, AdlCandidate> cands;
    AdlQueue queue;                    // ranking rules: the same candidates in queue order
    std::vector<AccountId> touched;
  } adl_cache_;
};

}  // namespace liqsim
