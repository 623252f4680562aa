// A scenario run: an Exchange plus agent populations driven by one discrete-event loop. Every
// agent action goes through the exchange's ordinary command pipeline (validate -> gate ->
// pre-check -> match -> settle -> mark -> breakers -> liquidations), exactly as a user's order.
// The object is a plain value: copying it snapshots the whole run (exchange, agents, queue,
// random streams), and a copy continues bit-identically.
#pragma once
#include <cstdint>
#include <vector>

#include "liqsim/exchange.hpp"
#include "liqsim/market/market_spec.hpp"
#include "liqsim/market/rng.hpp"
#include "liqsim/market/scheduler.hpp"

namespace liqsim::market {

// One row per second (USD unless said otherwise; NaN where undefined).
struct TimeSeries {
  std::vector<double> t, mark, index, external, perp_mid, spot_mid, best_bid, best_ask,
      spot_best_bid, spot_best_ask, depth_bid_1pct, depth_ask_1pct, depth_bid_2pct,
      depth_ask_2pct, open_interest, insurance_fund, liq_long_cum, liq_short_cum, adl_long_cum,
      adl_short_cum, halted, mm_equity, mm_depth_factor, funding_rate;
};

struct Maker {
  AccountId account;
  InstrumentId instrument;
  double stress_threshold;
  double depth_factor = 1.0;   // share of normal depth quoted
  double peak_equity = 0;      // USD
  Timestamp last_quote = 0;
  Timestamp adl_until = -1;
  std::vector<OrderId> live;   // ids quoted at the last refresh
  Rng timing, action;
};

struct Arbitrageur {
  AccountId account;
  Rng timing;
};

struct Stop {
  double price;  // USD trigger on the perp's last trade
  AccountId account;
  std::int8_t side;  // +1: a long's stop (sell when price <= trigger)
};

class Simulation {
 public:
  // Copies `configured` (instruments, risk rules, breakers set up by the caller), validates the
  // spec, opens the agents' accounts, deposits their collateral and seeds the traders' positions.
  Simulation(const Exchange& configured, const MarketSpec& spec, std::uint64_t seed);

  // Runs every scheduled task due at or before `t` (ns), then advances the exchange to `t`.
  void run_until(Timestamp t);
  Timestamp now() const { return now_; }
  Timestamp end() const { return end_; }
  bool done() const { return now_ >= end_; }

  Exchange& exchange() { return ex_; }
  const Exchange& exchange() const { return ex_; }
  const MarketSpec& spec() const { return spec_; }
  std::uint64_t seed() const { return seed_; }
  const TimeSeries& series() const { return series_; }
  // Hands over recorded events (after folding them into the running totals).
  std::vector<Event> take_events();
  // Reads events recorded since the last scan into the running totals (called per sample).
  void scan_events();

  // Accounts by role.
  AccountId first_trader() const { return first_trader_; }
  std::int64_t trader_count() const { return spec_.traders.count; }
  const std::vector<AccountId>& maker_accounts() const { return maker_accounts_; }
  const std::vector<AccountId>& arbitrageur_accounts() const { return arb_accounts_; }
  const std::vector<AccountId>& basis_accounts() const { return basis_accounts_; }
  const std::vector<AccountId>& breakout_accounts() const { return breakout_accounts_; }
  const std::vector<AccountId>& noise_accounts() const { return noise_accounts_; }
  const std::vector<AccountId>& meta_accounts() const { return meta_accounts_; }
  AccountId venue_account() const { return venue_; }
  // Trader set-up draws: leverage and collateral (USD), entry price (USD), signed lots.
  const std::vector<double>& trader_leverage() const { return trader_leverage_; }
  const std::vector<double>& trader_collateral() const { return trader_collateral_; }
  const std::vector<double>& trader_entry() const { return trader_entry_; }
  const std::vector<Qty>& trader_qty() const { return trader_qty_; }
  double exogenous_notional() const { return exogenous_executed_; }  // USD filled so far
  double external_price() const { return external_; }
  std::uint64_t tasks_run() const { return tasks_run_; }

 private:
  void setup();
  void setup_traders();
  void run_task(const Scheduled& s);
  void sample();
  void tick();
  void update_index();
  void maker_quote(Maker& m);
  void noise_order(InstrumentId inst);
  void arbitrage(std::size_t i);
  void meta_child(std::size_t j);
  void submit(InstrumentId inst, AccountId a, Side side, Kind kind, Price price, Qty qty,
              bool reduce_only = false);
  void breakout_entry(std::size_t i);

  // Units
  const Units& units(InstrumentId inst) const { return inst == spec_.perp ? spec_.perp_units : spec_.spot_units; }
  Price ticks(InstrumentId inst, double usd) const;  // nearest tick, >= 1
  Qty lots(InstrumentId inst, double usd_notional, double price_usd) const;  // floor, may be 0
  Cash cash(double usd) const { return static_cast<Cash>(usd / spec_.perp_units.cash_unit); }
  double usd(InstrumentId inst, Price p) const { return static_cast<double>(p) * units(inst).tick_size; }
  double usd_cash(Cash c) const { return static_cast<double>(c) * spec_.perp_units.cash_unit; }
  double mid(InstrumentId inst) const;  // NaN if a side is empty
  double fair_spot() const;             // spot mid, or the external price when the book is empty
  double depth_within(InstrumentId inst, Side side, double mid, double frac) const;  // USD

  Exchange ex_;
  MarketSpec spec_;
  std::uint64_t seed_;
  Scheduler queue_;
  Timestamp now_ = 0;
  Timestamp end_ = 0;
  std::uint64_t tasks_run_ = 0;

  AccountId first_trader_ = 0;
  std::vector<AccountId> maker_accounts_, arb_accounts_, basis_accounts_, noise_accounts_,
      meta_accounts_, breakout_accounts_;
  std::vector<Maker> makers_;
  std::vector<Arbitrageur> arbs_;
  std::vector<double> trader_leverage_, trader_collateral_, trader_entry_;
  std::vector<Qty> trader_qty_;
  std::vector<Stop> long_stops_, short_stops_;  // sorted: next to trigger at the back
  std::vector<Stop> entry_stops_;               // breakout sell-stops, highest trigger at the back
  std::vector<double> breakout_usd_;            // position notional per breakout trader
  std::vector<std::int64_t> breakout_tries_;    // entry attempts so far
  std::vector<Rng> breakout_timing_;            // retry delays
  Rng noise_rng_[2], noise_timing_[2], external_rng_;
  std::vector<double> meta_child_usd_;
  std::vector<std::int64_t> meta_children_left_;

  double external_ = 0;      // USD
  double shock_log_ = 0;     // sum of index shocks applied so far (log)
  AccountId venue_ = -1;     // other venues: takes the inventory makers lay off
  double last_spot_mid_ = 0;
  double exogenous_executed_ = 0;
  // 1 s mid returns of each instrument over the last minute, for the makers' stress signal.
  std::vector<double> returns_[2];
  double last_sample_mid_[2] = {0, 0};
  double vol_1min_[2] = {0, 0};

  // Running totals folded from the event log.
  std::int64_t scan_seq_ = 0;  // events with a lower seq were scanned (running totals)
  double liq_cum_[2] = {0, 0};  // long, short (USD)
  double adl_cum_[2] = {0, 0};
  TimeSeries series_;
};

}  // namespace liqsim::market
