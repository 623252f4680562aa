// Batches of commands, and settling a large batch's fills on a second thread.
//
// Settlement (cash, positions, fees) is ~15% of a matching-only batch. Nothing in a
// matching-only batch reads it back except reduce-only caps, so a large batch hands it to a
// SettleThread (clearing/settle_thread.hpp) on the other core: the matching thread records
// FILL events as always and skips settling them; the worker settles them from the log, in log
// order, with the same integer code. Balances therefore end bit for bit equal, and the event
// log is untouched. Margin, liquidations, breakers and halts read positions and cash after
// every command, so an exchange with any of them settles inline.
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#ifdef __linux__
#include <sched.h>
#endif

#include "liqsim/clearing/rounding.hpp"
#include "liqsim/clearing/settle_thread.hpp"
#include "liqsim/exchange.hpp"

namespace liqsim {

namespace {

std::string str(std::int64_t v) { return std::to_string(v); }

constexpr std::size_t kPrefetchRows = 16;  // 16 and 32 measured alike (docs/benchmarks.md)

}  // namespace

// What the worker writes, as raw slots copied at the start of the batch. The worker must not
// read the Instrument structs, whose other fields (last trade, book) the matching thread writes
// all the time, nor anything on the matching thread's stack: a cache line both threads use
// moves between the cores on every write (this made the matching thread ~10% slower). Hence
// the copies, on cache lines of their own.
struct alignas(64) Exchange::OffloadedSettle {
  struct alignas(64) Slots {
    Qty* qty;
    Cash* basis;
    Cash* realized;
    const std::uint8_t* isolated;
    Cash* iso_cash;
    Cash cash_per_tick_lot;
    std::int64_t taker_fee_ppm;
    std::int64_t maker_fee_ppm;
    Qty open_interest_change = 0;  // added to the instrument when the batch ends
    Price last = 0;                // price of the last fill (0: none yet)
  };
  std::vector<Slots> inst;
  Cash* ledger;                  // ledger_ cash, indexed by account id (system ids < 0)
  std::uint8_t* open_positions;  // open_positions_, same indexing

  explicit OffloadedSettle(Exchange& ex)
      : ledger(ex.ledger_.balances()), open_positions(ex.open_positions_.data()) {
    inst.reserve(ex.instruments_.size());
    for (Instrument& ins : ex.instruments_)
      inst.push_back(Slots{ins.pos.qty.data(), ins.pos.basis.data(), ins.pos.realized.data(),
                           ins.isolated.data(), ins.iso_cash.data(), ins.spec.cash_per_tick_lot,
                           ins.spec.taker_fee_ppm, ins.spec.maker_fee_ppm});
  }

  // Exchange::settle of a continuous-trading fill, for an exchange without risk: the same cash,
  // fee and position arithmetic (positions.hpp, rounding.hpp), minus what only risk reads.
  // Call-auction fills (no aggressor, both sides pay the maker fee) never come here: auctions
  // need a halt, and halts and breakers keep settlement inline.
  void operator()(const Event& e) {
    Slots& s = inst[static_cast<std::size_t>(e.instrument)];
    const Cash per_lot = e.price * s.cash_per_tick_lot;
    const Cash notional = per_lot * e.qty;
    const bool taker_buys = e.side > 0;  // FILL: account = taker, side = taker side
    const AccountId buyer = taker_buys ? e.account : e.other_account;
    const AccountId seller = taker_buys ? e.other_account : e.account;
    s.last = e.price;
    cash(s, buyer) -= notional;
    cash(s, seller) += notional;
    if (s.taker_fee_ppm != 0 || s.maker_fee_ppm != 0) {
      charge(s, e.account, notional, s.taker_fee_ppm);
      charge(s, e.other_account, notional, s.maker_fee_ppm);
    }
    move(s, buyer, e.qty, per_lot);
    move(s, seller, -e.qty, per_lot);
  }

  Cash& cash(Slots& s, AccountId a) { return a >= 0 && s.isolated[a] ? s.iso_cash[a] : ledger[a]; }
  void charge(Slots& s, AccountId a, Cash notional, std::int64_t rate_ppm) {
    if (is_system(a) || rate_ppm == 0) return;
    const Cash fee = fee_for(notional, rate_ppm);
    cash(s, a) -= fee;
    ledger[kFeePool] += fee;
  }
  void move(Slots& s, AccountId a, Qty delta, Cash per_lot) {
    const Qty before = s.qty[a];
    s.open_interest_change +=
        PositionBook::apply_to(s.qty[a], s.basis[a], s.realized[a], delta, per_lot);
    const Qty after = before + delta;
    if ((before == 0) != (after == 0) && !(a >= 0 && s.isolated[a]))  // opened_or_closed
      open_positions[a] = static_cast<std::uint8_t>(open_positions[a] + (after != 0 ? 1 : -1));
  }
};

// CPUs this process may run on (its affinity mask: a container or `taskset` may allow fewer
// than the machine has). With one, the two threads would only take turns.
static unsigned usable_cpus() {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return static_cast<unsigned>(CPU_COUNT(&set));
#endif
  return std::thread::hardware_concurrency();
}

bool Exchange::settles_in_parallel(std::size_t rows) const {
  return rows > 0 && rows >= parallel_min_rows_ && !risk_.enabled && with_breakers_ == 0 &&
         any_halted_ == 0 && ((log_.mask() >> static_cast<unsigned>(EventType::Fill)) & 1u) &&
         usable_cpus() >= 2;
}

void Exchange::sync_positions() {
  if (settler_) settler_->drain();
}

void Exchange::run_batch(const BatchView& b) {
  log_.reserve_for(b.n * 2);  // typical: an accept plus a fill or cancel per row

  std::unique_ptr<OffloadedSettle> offloaded;
  std::optional<SettleThread> worker;
  if (settles_in_parallel(b.n)) {
    offloaded = std::make_unique<OffloadedSettle>(*this);
    try {
      worker.emplace(log_, *offloaded);
      settler_.ptr = &*worker;
      marks_deferred_ = sourced_marks_ == 0;
      ++parallel_batches_;
    } catch (const std::system_error&) {  // no thread to be had: settle inline
    }
  }
  // However the batch ends, the worker settles everything recorded before it stops, the open
  // interest it tracked joins the instruments, and deferred marks follow the last trades (as
  // finish_command would have after the batch's last command).
  struct Join {
    Exchange& ex;
    std::optional<SettleThread>& worker;
    std::unique_ptr<OffloadedSettle>& offloaded;
    ~Join() {
      if (!worker) return;
      worker->finish();
      ex.settler_.ptr = nullptr;
      for (std::size_t k = 0; k < ex.instruments_.size(); ++k) {
        const auto& s = offloaded->inst[k];
        Instrument& ins = ex.instruments_[k];
        ins.pos.open_interest += s.open_interest_change;
        if (ex.marks_deferred_ && s.last != 0) {
          ins.last = s.last;
          ex.traded_since_sync_ = true;
        }
      }
      if (std::exchange(ex.marks_deferred_, false)) ex.sync_marks();
    }
  } join{*this, worker, offloaded};

  for (std::size_t i = 0; i < b.n; ++i) {
    // The id-map entries of cancels and amends a few rows ahead: random ids, cache misses
    // otherwise. (Prefetching their resting orders too, which needs the entry, was slower.)
    if (i + kPrefetchRows < b.n && b.cmd[i + kPrefetchRows] != static_cast<std::uint8_t>(Cmd::New))
      ids_.prefetch(b.order_id[i + kPrefetchRows]);
    try {
      const Timestamp ts = b.ts ? b.ts[i] : now_;
      switch (b.cmd[i]) {
        case static_cast<std::uint8_t>(Cmd::New):
          submit(NewOrder{b.instrument[i], b.account[i], b.order_id[i],
                          static_cast<Side>(b.side[i]), static_cast<Kind>(b.kind[i]), b.price[i],
                          b.qty[i], b.reduce_only ? b.reduce_only[i] != 0 : false, ts});
          break;
        case static_cast<std::uint8_t>(Cmd::Cancel):
          cancel(b.order_id[i], ts);
          break;
        case static_cast<std::uint8_t>(Cmd::Amend):
          amend(b.order_id[i], b.price[i], b.qty[i], ts);
          break;
        default:
          fail(ErrorKind::InvalidOrder,
               "cmd must be 0 (new), 1 (cancel) or 2 (amend), got " + str(b.cmd[i]));
      }
    } catch (Error& e) {
      e.set_row(static_cast<std::int64_t>(i));
      throw;
    }
    // Every 64 rows: often enough that the worker keeps up, rarely enough that the shared
    // counter's cache line seldom moves between the cores.
    if ((i & 63) == 63 && settler_) settler_->publish();
  }
}

}  // namespace liqsim
