// Circuit breakers, trading halts and reopening call auctions, and the liquidation controls
// (liq_pause, liq_throttle). Runs after each command's marks are updated and before the risk
// stage: validate -> breaker gate -> ... -> update mark -> breaker triggers -> liquidations.
#include <algorithm>
#include <string>

#include "liqsim/exchange.hpp"

#include <limits>

namespace liqsim {

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::optional<Price> best_price(const OrderBook& b, Side s) {
  if (b.empty(s)) return std::nullopt;
  return b.best(s).price;
}

}  // namespace

void Exchange::advance(Timestamp ts) {
  check_ts(ts);
  now_ = ts;
  finish_command();
}

void Exchange::halt(InstrumentId inst, Timestamp duration_ns, Timestamp ts) {
  check_instrument(inst);
  if (duration_ns == 0 || duration_ns < -1)
    fail(ErrorKind::InvalidOrder, "halt duration must be > 0 ns or -1 (rest of run), got " +
                                      std::to_string(duration_ns));
  check_ts(ts);
  if (duration_ns > 0 && ts > std::numeric_limits<Timestamp>::max() - duration_ns)
    fail(ErrorKind::InvalidOrder, "halt of " + std::to_string(duration_ns) + " ns from ts " +
                                      std::to_string(ts) + " ends past the largest timestamp");
  now_ = ts;
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  if (!halted(ins)) start_halt(inst, HaltReason::None, duration_ns, ins.last.value_or(0));
  finish_command();
}

TradingState Exchange::trading_state(InstrumentId inst) const {
  check_instrument(inst);
  return instruments_[static_cast<std::size_t>(inst)].state;
}

Timestamp Exchange::halt_until(InstrumentId inst) const {
  check_instrument(inst);
  return instruments_[static_cast<std::size_t>(inst)].halt_end;
}

const Breakers* Exchange::breakers(InstrumentId inst) const {
  check_instrument(inst);
  const auto& b = instruments_[static_cast<std::size_t>(inst)].breakers;
  return b ? &*b : nullptr;
}

void Exchange::control_stage() {
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    Instrument& ins = instruments_[i];
    const auto inst = static_cast<InstrumentId>(i);
    if (ins.state == TradingState::Halted && now_ >= ins.halt_end) reopen(inst);
    if (ins.state != TradingState::Continuous || !ins.breakers) continue;
    ins.breakers->advance_to(now_);
    ins.breakers->on_book(best_price(ins.book, Side::Buy), best_price(ins.book, Side::Sell), now_);
    if (const auto d = ins.breakers->check(now_))
      start_halt(inst, d->reason, d->duration_ns, d->trigger_price);
  }
}

void Exchange::start_halt(InstrumentId inst, HaltReason reason, Timestamp duration, Price trigger) {
  ++defer_generation_;  // liquidations may now wait
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  ++any_halted_;
  if (duration < 0) {
    ins.state = TradingState::Closed;
    ins.halt_end = -1;
  } else {
    ins.state = TradingState::Halted;
    ins.halt_end = now_ + duration;
    // Xetra-style random end of the call phase, from its own seeded stream.
    const Timestamp spread = ins.spec.control.auction_random_end_ns;
    if (spread > 0)
      ins.halt_end += static_cast<Timestamp>(
          splitmix64(ins.spec.control.seed ^ (0x5bd1e995ULL * ++auction_draws_)) %
          static_cast<std::uint64_t>(spread));
  }
  Event& e = log_.emit(EventType::State, now_, inst);
  e.side = static_cast<std::int8_t>(ins.state);
  e.code = static_cast<std::uint16_t>(reason);
  e.price = trigger;
  e.leaves = ins.halt_end;
}

void Exchange::reopen(InstrumentId inst) {
  ++defer_generation_;  // waiting liquidations may go
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  ins.state = TradingState::Continuous;
  --any_halted_;
  const Price reference = ins.last ? *ins.last : valuation_price(ins);
  MatchContext ctx = context(ins, inst, now_);
  const auto [price, volume] = ins.book.indicative_uncross(reference);
  if (volume > 0) ins.book.uncross(reference, ctx);
  Event& e = log_.emit(EventType::State, now_, inst);
  e.side = static_cast<std::int8_t>(TradingState::Continuous);
  e.price = price;
  e.qty = volume;
  if (ins.breakers) ins.breakers->on_reopen(volume > 0 ? price : reference, now_);
}

Cash Exchange::scope_notional(AccountId a, InstrumentId scope) const {
  Cash total = 0;
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    const Instrument& ins = instruments_[i];
    if (in_scope(a, i, scope) && ins.pos.qty[a] != 0) total += notional(ins, ins.pos.qty[a], valuation_price(ins));
  }
  return total;
}

bool Exchange::would_defer(AccountId a, InstrumentId scope) const {
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    const Instrument& ins = instruments_[i];
    if (!in_scope(a, i, scope) || ins.pos.qty[a] == 0) continue;
    const ControlSpec& c = ins.spec.control;
    if (halted(ins) && (c.liq_pause || c.halt_mark == HaltMarkMode::FollowIndexLiquidationsWait))
      return true;
  }
  const Cash needed = scope_notional(a, scope);
  // Throttle: fixed windows per instrument; a liquidation that would push a window past its
  // cap waits for the next window (one always goes through in an empty window).
  for (std::size_t i = 0; i < instruments_.size(); ++i) {
    if (!in_scope(a, i, scope) || instruments_[i].pos.qty[a] == 0) continue;
    const Instrument& ins = instruments_[i];
    const ControlSpec& c = ins.spec.control;
    if (c.liq_throttle_global <= 0 && c.liq_throttle_account <= 0) continue;
    const bool fresh = now_ / c.liq_throttle_window_ns != ins.throttle_window;  // starts empty
    const Cash used_all = fresh ? 0 : ins.throttle_used;
    // In 128 bits: a clamped notional plus the window's use must not overflow.
    if (c.liq_throttle_global > 0 && used_all > 0 && int128{used_all} + needed > c.liq_throttle_global)
      return true;
    auto it = std::find_if(ins.throttle_accounts.begin(), ins.throttle_accounts.end(),
                           [a](const auto& x) { return x.first == a; });
    const Cash used = fresh || it == ins.throttle_accounts.end() ? 0 : it->second;
    if (c.liq_throttle_account > 0 && used > 0 && int128{used} + needed > c.liq_throttle_account) return true;
  }
  return false;
}

bool Exchange::liquidation_deferred(AccountId a, InstrumentId scope) {
  for (std::size_t i = 0; i < instruments_.size(); ++i) {  // a new window starts empty
    if (!in_scope(a, i, scope) || instruments_[i].pos.qty[a] == 0) continue;
    Instrument& ins = instruments_[i];
    const ControlSpec& c = ins.spec.control;
    if (c.liq_throttle_global <= 0 && c.liq_throttle_account <= 0) continue;
    const std::int64_t window = now_ / c.liq_throttle_window_ns;
    if (window != ins.throttle_window) {
      ins.throttle_window = window;
      ins.throttle_used = 0;
      ins.throttle_accounts.clear();
    }
  }
  if (would_defer(a, scope)) return true;
  const Cash needed = scope_notional(a, scope);
  for (std::size_t i = 0; i < instruments_.size(); ++i) {  // book the liquidation
    if (!in_scope(a, i, scope) || instruments_[i].pos.qty[a] == 0) continue;
    Instrument& ins = instruments_[i];
    const ControlSpec& c = ins.spec.control;
    if (c.liq_throttle_global <= 0 && c.liq_throttle_account <= 0) continue;
    ins.throttle_used += needed;
    auto it = std::find_if(ins.throttle_accounts.begin(), ins.throttle_accounts.end(),
                           [a](const auto& x) { return x.first == a; });
    if (it == ins.throttle_accounts.end()) ins.throttle_accounts.emplace_back(a, needed);
    else it->second += needed;
  }
  return false;
}

}  // namespace liqsim
