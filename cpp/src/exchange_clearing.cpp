// Settlement of fills in the ledger, deposits and withdrawals, marks and funding.
#include <algorithm>
#include <string>

#include "liqsim/clearing/rounding.hpp"
#include "liqsim/clearing/settle_thread.hpp"
#include "liqsim/exchange.hpp"

namespace liqsim {

namespace {

std::string str(std::int64_t v) { return std::to_string(v); }

}  // namespace

// A trade on the book (continuous or auction): it sets the last price and feeds the mark and
// the breakers. Position transfers (takeover, ADL) settle without being trades. Every book fill
// comes through here, so the plain case (no pricer, no breakers, no fees) stays short and the
// rest is out of line.
void Exchange::on_fill(const Fill& f) {
  if (marks_deferred_) return;  // the settlement thread settles it and notes its price
  Instrument& traded = instruments_[static_cast<std::size_t>(f.instrument)];
  traded.last = f.price;
  traded_since_sync_ = true;
  if (!traded.mark) [[unlikely]] {  // no mark yet: positions are valued at the last trade
    adl_cache_.valid = false;
    ++risk_epoch_;
  }
  if (traded.pricer || traded.breakers) [[unlikely]] feed_trade(traded, f.price);
  if (settler_) return;  // the settlement thread settles it from its FILL event
  // Picked by index, not by a branch on the (random) taker side.
  const AccountId parties[2] = {f.taker, f.maker};
  const auto taker_sells = static_cast<std::size_t>(f.taker_side == Side::Sell);
  settle(traded, f.instrument, parties[taker_sells], parties[1 - taker_sells], f.price, f.qty, &f);
}

// Out of line (and kept so): inlined, it made on_fill save every register for a rare path.
[[gnu::noinline]] void Exchange::feed_trade(Instrument& ins, Price price) {
  if (ins.pricer) ins.pricer->on_trade(price, now_);
  if (ins.breakers) ins.breakers->on_trade(price, now_);
}

// Fees of a book fill: the taker pays the taker fee (unless exempt: liquidation and backstop
// orders), the maker the maker fee; an auction fill has no aggressor, both pay the maker fee.
void Exchange::fill_fees(const Fill& f, AccountId buyer, AccountId seller, Cash notional) {
  const InstrumentSpec& spec = instruments_[static_cast<std::size_t>(f.instrument)].spec;
  if (f.auction) {
    charge_fee(f.instrument, buyer, notional, spec.maker_fee_ppm);
    charge_fee(f.instrument, seller, notional, spec.maker_fee_ppm);
    return;
  }
  if (!fee_exempt_taker_) charge_fee(f.instrument, f.taker, notional, spec.taker_fee_ppm);
  charge_fee(f.instrument, f.maker, notional, spec.maker_fee_ppm);
}

// A position opened (from flat) or closed (to flat): the count of cross positions changes, and
// a trader who closed out below zero (sold far under the mark, say) owes the exchange: the risk
// stage covers it from the insurance fund, then socializes the rest.
void Exchange::opened_or_closed(Instrument& ins, InstrumentId inst, AccountId a, Qty after) {
  if (!is_isolated(a, inst))
    open_positions_[a] = static_cast<std::uint8_t>(open_positions_[a] + (after != 0 ? 1 : -1));
  if (after == 0 && risk_.enabled && !is_system(a) && !has_position(a, scope_of(a, inst)) &&
      cash_of(ins, a) < 0)
    flat_deficits_.emplace_back(a, scope_of(a, inst));
}

void Exchange::check_inflow(AccountId a, Cash amount) const {
  // Balances and the total paid in stay within kMaxBalance, so sums of them cannot overflow.
  if (amount > kMaxBalance - std::max<Cash>(ledger_.balance(a), 0))
    fail(ErrorKind::InvalidOrder, "deposit of " + str(amount) + " would take the balance of account " +
                                      str(a) + " over 2^62 cash units");
  if (amount > kMaxBalance + std::min<Cash>(ledger_.balance(kExternal), 0))
    fail(ErrorKind::InvalidOrder, "deposit of " + str(amount) +
                                      " would take the total deposited over 2^62 cash units");
}

void Exchange::deposit(AccountId a, Cash amount, Timestamp ts) {
  check_account(a);
  if (amount <= 0) fail(ErrorKind::InvalidOrder, "deposit amount must be > 0, got " + str(amount));
  check_inflow(a, amount);
  check_ts(ts);
  apply_deposit(a, amount, ts);
}

void Exchange::apply_deposit(AccountId a, Cash amount, Timestamp ts) {
  now_ = ts;
  ledger_.transfer(kExternal, a, amount);
  Event& e = log_.emit(EventType::Deposit, now_, -1);
  e.account = a;
  e.cash = amount;
  mark_dirty(a);
}

void Exchange::transfer_positions(InstrumentId inst, AccountId counterparty, const AccountId* accounts,
                              const Qty* qty, const Price* price, std::size_t n, Timestamp ts) {
  check_instrument(inst);
  check_account(counterparty);
  check_ts(ts);
  for (std::size_t i = 0; i < n; ++i) {
    try {
      check_account(accounts[i]);
      if (accounts[i] == counterparty)
        fail(ErrorKind::InvalidOrder, "an account cannot take a position from itself");
      if (qty[i] == 0 || qty[i] > kMaxQty || qty[i] < -kMaxQty)
        fail(ErrorKind::InvalidOrder, "qty must be non-zero and within +-1e15 lots, got " + str(qty[i]));
      check_price("price", price[i]);
      const int128 notional = static_cast<int128>(price[i]) * (qty[i] > 0 ? qty[i] : -qty[i]) *
                              instruments_[static_cast<std::size_t>(inst)].spec.cash_per_tick_lot;
      if (notional > static_cast<int128>(kMaxNotional))
        fail(ErrorKind::InvalidOrder, "position notional exceeds 1e18 cash units");
    } catch (Error& e) {
      e.set_row(static_cast<std::int64_t>(i));
      throw;
    }
  }
  now_ = ts;
  for (std::size_t i = 0; i < n; ++i) {
    const AccountId a = accounts[i];
    const Qty q = qty[i];
    transfer_position(counterparty, a, inst, q, price[i]);  // a receives q (signed)
    Event& e = log_.emit(EventType::Transfer, now_, inst);
    e.account = a;
    e.other_account = counterparty;
    e.qty = q;
    e.price = price[i];
  }
  finish_command();
}

void Exchange::deposit_batch(const AccountId* accounts, const Cash* amounts, std::size_t n,
                             Timestamp ts) {
  int128 total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    try {
      check_account(accounts[i]);
      if (amounts[i] <= 0)
        fail(ErrorKind::InvalidOrder, "deposit amount must be > 0, got " + str(amounts[i]));
      check_inflow(accounts[i], amounts[i]);
      total += amounts[i];
      if (total > kMaxBalance + std::min<Cash>(ledger_.balance(kExternal), 0))
        fail(ErrorKind::InvalidOrder, "deposits up to this row would take the total deposited over "
                                      "2^62 cash units");
    } catch (Error& e) {
      e.set_row(static_cast<std::int64_t>(i));
      throw;
    }
  }
  check_ts(ts);
  // Checked as a whole above (rows of one account may add up past the per-account cap by at
  // most the batch's total, which is itself capped: no overflow), so nothing here can fail.
  for (std::size_t i = 0; i < n; ++i) apply_deposit(accounts[i], amounts[i], ts);
}

// Fees round in the exchange's favour: charges up, rebates down. System accounts pay none.
void Exchange::charge_fee(InstrumentId inst, AccountId a, Cash notional, std::int64_t rate_ppm) {
  if (is_system(a) || rate_ppm == 0) return;
  const Cash fee = fee_for(notional, rate_ppm);
  cash_of(a, inst) -= fee;
  ledger_.cash(kFeePool) += fee;
}

Cash Exchange::ledger_total() const {
  Cash total = ledger_.total();
  for (const Instrument& ins : instruments_)
    for (const Cash c : ins.iso_cash.all()) total += c;
  return total;
}

void Exchange::set_margin_mode(AccountId a, InstrumentId inst, bool isolated, Timestamp ts) {
  check_instrument(inst);
  check_account(a);
  check_ts(ts);
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  if (static_cast<bool>(ins.isolated[a]) == isolated) return;
  if (ins.pos.qty[a] != 0 || ins.book.has_orders(a))
    fail(ErrorKind::InvalidOrder, "margin mode of account " + str(a) + " on " + ins.spec.symbol +
                                      " can only change with no position and no open orders");
  now_ = ts;
  // Leaving isolated mode returns the bucket to the account's cross balance.
  ledger_.cash(a) += ins.iso_cash[a];
  ins.iso_cash[a] = 0;
  ins.isolated[a] = isolated ? 1 : 0;
  mark_dirty(a);
}

// Moves `amount` between the cross balance and an isolated bucket (into the bucket when
// `into_isolated`), limited by the free margin of the side it leaves.
void Exchange::move_isolated_margin(AccountId a, InstrumentId inst, Cash amount, Timestamp ts,
                                    bool into_isolated) {
  check_instrument(inst);
  check_account(a);
  if (!is_isolated(a, inst))
    fail(ErrorKind::InvalidOrder, "account " + str(a) + " is not in isolated mode on instrument " + str(inst));
  if (amount <= 0) fail(ErrorKind::InvalidOrder, "margin amount must be > 0, got " + str(amount));
  check_ts(ts);
  const AccountRisk r = scope_risk(a, into_isolated ? -1 : inst);
  const Cash free = std::min(r.wallet, r.equity) - r.initial;
  if (amount > free)
    fail(ErrorKind::InsufficientFunds,
         "moving " + str(amount) + (into_isolated ? " into" : " out of") + " isolated margin exceeds the free margin " +
             str(std::max<Cash>(free, 0)) + " it comes from (account " + str(a) + ")");
  now_ = ts;
  const Cash delta = into_isolated ? amount : -amount;
  ledger_.cash(a) -= delta;
  instruments_[static_cast<std::size_t>(inst)].iso_cash[a] += delta;
  mark_dirty(a);
}

void Exchange::add_isolated_margin(AccountId a, InstrumentId inst, Cash amount, Timestamp ts) {
  move_isolated_margin(a, inst, amount, ts, true);
}

void Exchange::remove_isolated_margin(AccountId a, InstrumentId inst, Cash amount, Timestamp ts) {
  move_isolated_margin(a, inst, amount, ts, false);
}

void Exchange::fund_insurance(Cash amount, Timestamp ts) {
  if (amount <= 0)
    fail(ErrorKind::InvalidOrder, "insurance fund deposit must be > 0, got " + str(amount));
  check_inflow(kInsuranceFund, amount);
  check_ts(ts);
  now_ = ts;
  ledger_.transfer(kExternal, kInsuranceFund, amount);
  Event& e = log_.emit(EventType::InsuranceFund, now_, -1);
  e.cash = amount;
  e.leaves = insurance_fund();
}

void Exchange::withdraw(AccountId a, Cash amount, Timestamp ts) {
  check_account(a);
  if (amount <= 0)
    fail(ErrorKind::InvalidOrder, "withdrawal amount must be > 0, got " + str(amount));
  check_ts(ts);
  const AccountRisk r = account_risk(a);
  // Unrealized profit cannot be withdrawn (Binance): free = min(wallet, equity) - initial.
  const Cash free = std::min(r.wallet, r.equity) - r.initial;
  if (amount > free)
    fail(ErrorKind::InsufficientFunds, "withdrawal of " + str(amount) + " exceeds free margin " +
                                           str(std::max<Cash>(free, 0)) + " of account " + str(a));
  now_ = ts;
  ledger_.transfer(a, kExternal, amount);
  Event& e = log_.emit(EventType::Withdrawal, now_, -1);
  e.account = a;
  e.cash = amount;
  mark_dirty(a);
}

void Exchange::update_mark(InstrumentId inst, Price mark) {
  adl_cache_.valid = false;  // every candidate is valued at the mark
  ++risk_epoch_;
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  ins.mark = mark;
  Event& e = log_.emit(EventType::Mark, now_, inst);
  e.price = mark;
  e.other_leaves = ins.index.value_or(0);
}

void Exchange::set_index(InstrumentId inst, Price index, Timestamp ts) {
  check_instrument(inst);
  check_price("index", index);
  check_ts(ts);
  now_ = ts;
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  ins.index = index;
  if (ins.pricer) ins.pricer->on_index(index, ts);
  // Premium sample for funding: the perp's mid (or last trade) against the index.
  const OrderBook& b = ins.book;
  std::optional<Price> perp;
  if (!b.empty(Side::Buy) && !b.empty(Side::Sell))
    perp = (b.best(Side::Buy).price + b.best(Side::Sell).price) / 2;
  else
    perp = ins.last;
  if (perp) {
    ins.funding.sample(*perp, index, ts);
    if (ins.pricer) ins.pricer->set_funding_rate_ppm(ins.funding.rate_ppm());
  }
  finish_command();
}

void Exchange::set_mark(InstrumentId inst, Price mark, Timestamp ts) {
  check_instrument(inst);
  check_price("mark", mark);
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  if (ins.spec.mark_source != MarkSource::External)
    fail(ErrorKind::InvalidOrder, "set_mark needs mark_source 'external' on " + ins.spec.symbol);
  check_ts(ts);
  now_ = ts;
  ins.external_mark = mark;
  finish_command();
}

void Exchange::set_external_mid(InstrumentId inst, Price mid, Timestamp ts) {
  check_instrument(inst);
  check_price("external mid", mid);
  check_ts(ts);
  now_ = ts;
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  if (ins.pricer) ins.pricer->on_external_perp_mid(mid, ts);
  finish_command();
}

std::int64_t Exchange::funding_rate(InstrumentId inst) const {
  check_instrument(inst);
  return instruments_[static_cast<std::size_t>(inst)].funding.rate_ppm();
}

void Exchange::settle_funding(InstrumentId inst, Timestamp ts) {
  check_instrument(inst);
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  apply_funding(inst, ins.funding.rate_ppm(), ts);
  ins.funding.reset();
}

// The mark follows its source after every command. A mark = last trade needs no MARK events
// (the FILL events carry it); every other source records each change.
// Marks that follow a source other than the last trade: an external mark or a pricer fed by
// the book.
void Exchange::sync_mark(InstrumentId inst) {
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  std::optional<Price> next;
  if (ins.spec.mark_source == MarkSource::External) {
    next = ins.external_mark;
  } else {
    const OrderBook& b = ins.book;
    ins.pricer->on_book(b.empty(Side::Buy) ? std::nullopt : std::optional<Price>(b.best(Side::Buy).price),
                        b.empty(Side::Sell) ? std::nullopt : std::optional<Price>(b.best(Side::Sell).price),
                        now_);
    next = ins.pricer->mark();
  }
  if (next && next != ins.mark) update_mark(inst, *next);
}

void Exchange::sync_all_marks() {
  traded_since_sync_ = false;
  for (Instrument& ins : instruments_) {
    if (halted(ins) && ins.spec.control.halt_mark == HaltMarkMode::Frozen) {
      traded_since_sync_ = true;  // frozen: its last trade still waits for the mark
      continue;
    }
    if (ins.spec.mark_source != MarkSource::Last) {
      sync_mark(static_cast<InstrumentId>(&ins - instruments_.data()));
    } else if (ins.last) {
      // No MARK event (the fills carry the price), but ADL values and margins move with it.
      // Written without a branch on `moved`: trades move the price about half the time.
      const bool moved = !ins.mark.has_value() | (ins.mark.value_or(0) != *ins.last);
      ins.mark = *ins.last;
      adl_cache_.valid = adl_cache_.valid & !moved;
      risk_epoch_ += moved;
    }
  }
}

void Exchange::finish_command() {
  if (marks_deferred_) return;  // marks follow at the end of the batch; no breakers, no risk
  sync_marks();
  // With no breaker on and nothing halted the control stage has nothing to do.
  if (with_breakers_ > 0 || any_halted_ > 0) {
    control_stage();
    sync_marks();  // a reopening auction trades
  }
  if (risk_.enabled) risk_stage();
}

void Exchange::apply_funding(InstrumentId inst, std::int64_t rate_ppm, Timestamp ts) {
  check_instrument(inst);
  if (rate_ppm < -kPpm || rate_ppm > kPpm)
    fail(ErrorKind::InvalidOrder, "funding rate must be within +-100%, got " + str(rate_ppm) + " ppm");
  check_ts(ts);
  Instrument& ins = instruments_[static_cast<std::size_t>(inst)];
  const Price v = valuation_price(ins);
  if (v == 0) fail(ErrorKind::InvalidOrder, "funding needs a mark price for " + ins.spec.symbol);
  now_ = ts;
  // Payers pay their amount rounded up into the fee pool, receivers get theirs rounded down
  // from it: the rounding residue stays in the pool and cash is conserved exactly.
  for (AccountId a = -kSystemAccountCount; a < static_cast<AccountId>(num_accounts_); ++a) {
    const Qty p = ins.pos.qty[a];
    if (p == 0) continue;
    const Cash amount = funding_payment(p, v, ins.spec.cash_per_tick_lot, rate_ppm);  // > 0: pays
    cash_of(a, inst) -= amount;
    ledger_.cash(kFeePool) += amount;
    Event& e = log_.emit(EventType::Funding, now_, inst);
    e.account = a;
    e.qty = p;
    e.price = v;
    e.cash = amount;
    mark_dirty(a);
  }
  finish_command();
}

}  // namespace liqsim
