// Settlement on a second thread (cpp/include/liqsim/clearing/settle_thread.hpp,
// cpp/src/exchange_batch.cpp) must leave an exchange exactly where inline settlement does.
// Two exchanges run the same random batches, one settling every batch on the worker thread,
// one inline; after every batch their event logs, positions (qty, basis, realized), ledger and
// isolated balances and open interest must be equal to the unit. The streams include what
// makes the matching thread wait for the worker (reduce-only takers and makers, FOK with
// reduce-only makers), sweeps long enough to grow the event log mid-batch, fees and rebates,
// isolated accounts, two instruments and bad rows that stop a batch half way. Built with
// ThreadSanitizer by tests/test_cpp_units.py, so a missing wait is also reported as a race:
//   g++ -std=c++20 -O1 -g -fsanitize=thread -I cpp/include -pthread -o /tmp/tps
//       tests/cpp/test_parallel_settlement.cpp cpp/src/*.cpp cpp/src/*/*.cpp && /tmp/tps
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "liqsim/exchange.hpp"

using namespace liqsim;

static int g_checks = 0;
static int g_failures = 0;

static void check(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::printf("FAIL: %s\n", what.c_str());
  }
}

namespace {

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr int kAccounts = 12;

Exchange make_exchange(bool parallel) {
  Exchange ex;
  for (int i = 0; i < 2; ++i) {
    InstrumentSpec s;
    s.symbol = i == 0 ? "A" : "B";
    s.cash_per_tick_lot = i == 0 ? 7 : 1;
    s.taker_fee_ppm = i == 0 ? 500 : 0;
    s.maker_fee_ppm = i == 0 ? -100 : 0;
    s.market_band_ppm = 200'000;
    ex.add_instrument(s);
  }
  ex.add_accounts(kAccounts);
  for (AccountId a = 0; a < kAccounts; ++a) ex.deposit(a, 1'000'000'000, 0);
  ex.set_margin_mode(3, 1, true, 0);  // isolated on B: its trades settle in a bucket
  ex.set_margin_mode(4, 1, true, 0);
  ex.add_isolated_margin(3, 1, 50'000'000, 0);
  ex.set_parallel_settlement(parallel ? 1 : Exchange::kNoParallelSettlement);
  return ex;
}

struct Batch {
  std::vector<std::uint8_t> cmd, kind, reduce_only;
  std::vector<InstrumentId> inst;
  std::vector<OrderId> id;
  std::vector<AccountId> account;
  std::vector<std::int8_t> side;
  std::vector<Price> price;
  std::vector<Qty> qty;
  std::vector<Timestamp> ts;

  void add(Cmd c, InstrumentId i, OrderId o, AccountId a, Side s, Kind k, Price p, Qty q, bool ro,
           Timestamp t) {
    cmd.push_back(static_cast<std::uint8_t>(c));
    inst.push_back(i);
    id.push_back(o);
    account.push_back(a);
    side.push_back(static_cast<std::int8_t>(s));
    kind.push_back(static_cast<std::uint8_t>(k));
    price.push_back(p);
    qty.push_back(q);
    reduce_only.push_back(ro ? 1 : 0);
    ts.push_back(t);
  }
  BatchView view() const {
    BatchView b;
    b.n = cmd.size();
    b.cmd = cmd.data();
    b.instrument = inst.data();
    b.order_id = id.data();
    b.account = account.data();
    b.side = side.data();
    b.kind = kind.data();
    b.price = price.data();
    b.qty = qty.data();
    b.reduce_only = reduce_only.data();
    b.ts = ts.data();
    return b;
  }
};

// Random rows around a mid of 1000 ticks. `sweep` adds many small makers and then takers
// that cross them all: thousands of fills from a handful of rows grow the event log.
Batch random_batch(std::uint64_t& rng, OrderId& next_id, Timestamp& now, bool sweep, bool bad_row) {
  Batch b;
  const int rows = sweep ? 0 : 1 + static_cast<int>(splitmix(rng) % 400);
  for (int r = 0; r < rows; ++r) {
    now += 1;
    const auto u = splitmix(rng);
    const InstrumentId inst = static_cast<InstrumentId>(u % 2);
    const AccountId a = static_cast<AccountId>((u >> 8) % kAccounts);
    const Side s = (u >> 16) & 1 ? Side::Buy : Side::Sell;
    const int pick = static_cast<int>((u >> 20) % 100);
    if (pick < 20 && next_id > 1) {  // cancel or amend a random earlier id
      const OrderId target = 1 + static_cast<OrderId>((u >> 32) % static_cast<std::uint64_t>(next_id - 1));
      if (pick < 14) b.add(Cmd::Cancel, inst, target, a, s, Kind::Limit, 0, 0, false, now);
      else b.add(Cmd::Amend, inst, target, a, s, Kind::Limit, 995 + static_cast<Price>((u >> 40) % 11),
                 static_cast<Qty>((u >> 48) % 20), false, now);
      continue;
    }
    static constexpr Kind kKinds[] = {Kind::Limit, Kind::Limit, Kind::Limit, Kind::Ioc,
                                      Kind::Fok,   Kind::PostOnly, Kind::Market};
    const Kind k = kKinds[(u >> 28) % 7];
    const Price offset = static_cast<Price>((u >> 36) % 9) - 4;  // through the mid or not
    const Price p = 1000 - sign(s) * offset;
    const Qty q = 1 + static_cast<Qty>((u >> 44) % 30);
    const bool ro = ((u >> 52) % 6) == 0;
    b.add(Cmd::New, inst, next_id++, a, s, k, p, q, ro, now);
  }
  if (sweep) {
    for (int m = 0; m < 3000; ++m)
      b.add(Cmd::New, 0, next_id++, static_cast<AccountId>(m % kAccounts), Side::Sell, Kind::Limit,
            1001 + m % 5, 1, (m % 7) == 0, ++now);
    b.add(Cmd::New, 0, next_id++, 0, Side::Buy, Kind::Fok, 1005, 2000, false, ++now);
    b.add(Cmd::New, 0, next_id++, 1, Side::Buy, Kind::Ioc, 1005, 5000, false, ++now);
  }
  if (bad_row && !b.cmd.empty()) {  // qty 0: the batch stops there, earlier rows stay
    const std::size_t at = static_cast<std::size_t>(splitmix(rng) % b.cmd.size());
    b.cmd[at] = static_cast<std::uint8_t>(Cmd::New);
    b.kind[at] = static_cast<std::uint8_t>(Kind::Limit);
    b.price[at] = 1000;
    b.qty[at] = 0;
    b.id[at] = next_id++;
  }
  return b;
}

// Runs a batch; returns the failing row or -1.
std::int64_t run(Exchange& ex, const Batch& b) {
  try {
    ex.run_batch(b.view());
  } catch (const Error& e) {
    return e.row();
  }
  return -1;
}

void compare(Exchange& par, Exchange& inl, const std::string& where) {
  const auto ep = par.log().buffer();
  const auto ei = inl.log().buffer();
  check(ep.size() == ei.size() && std::memcmp(ep.data(), ei.data(), ep.size() * sizeof(Event)) == 0,
        where + ": event logs equal");
  check(par.ledger().balances() != nullptr &&
            std::memcmp(par.ledger().balances() - kSystemAccountCount,
                        inl.ledger().balances() - kSystemAccountCount,
                        (kAccounts + kSystemAccountCount) * sizeof(Cash)) == 0,
        where + ": ledger balances equal");
  check(par.ledger_total() == 0 && inl.ledger_total() == 0, where + ": ledgers sum to 0");
  for (InstrumentId i = 0; i < 2; ++i) {
    const PositionBook& pp = par.positions(i);
    const PositionBook& pi = inl.positions(i);
    check(pp.qty.all() == pi.qty.all() && pp.basis.all() == pi.basis.all() &&
              pp.realized.all() == pi.realized.all(),
          where + ": positions equal on instrument " + std::to_string(i));
    check(pp.open_interest == pi.open_interest, where + ": open interest equal");
    Qty longs = 0;
    for (Qty q : pp.qty.all()) longs += q > 0 ? q : 0;
    check(pp.open_interest == longs, where + ": open interest = sum of longs");
    // A parallel batch sets the last trade and the mark when it ends.
    check(par.last_trade(i) == inl.last_trade(i) && par.mark(i) == inl.mark(i),
          where + ": last trade and mark equal on instrument " + std::to_string(i));
  }
  for (AccountId a : {3, 4})
    check(par.scope_risk(a, 1).cash == inl.scope_risk(a, 1).cash, where + ": isolated buckets equal");
}

void random_streams() {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    Exchange par = make_exchange(true);
    Exchange inl = make_exchange(false);
    std::uint64_t rng = seed;
    OrderId next_id = 1;
    Timestamp now = 1;
    for (int k = 0; k < 40; ++k) {
      const auto u = splitmix(rng);
      const Batch b = random_batch(rng, next_id, now, u % 10 == 0, u % 7 == 0);
      const std::int64_t rp = run(par, b);
      const std::int64_t ri = run(inl, b);
      const std::string where = "seed " + std::to_string(seed) + " batch " + std::to_string(k);
      check(rp == ri, where + ": same failing row");
      compare(par, inl, where);
    }
    check(par.parallel_batches() == 40 && inl.parallel_batches() == 0,
          "seed " + std::to_string(seed) + ": every batch of one exchange settled in parallel");
  }
}

void risk_and_mask_settle_inline() {
  RiskSpec risk;
  risk.enabled = true;
  Exchange with_risk(risk);
  InstrumentSpec s;
  s.symbol = "A";
  s.tiers = {{1'000'000'000'000, 5'000}};
  with_risk.add_instrument(s);
  with_risk.add_accounts(2);
  with_risk.set_parallel_settlement(1);
  Batch b;
  b.add(Cmd::New, 0, 1, 0, Side::Sell, Kind::Limit, 1000, 1, false, 1);
  with_risk.run_batch(b.view());
  check(with_risk.parallel_batches() == 0, "an exchange with risk settles inline");

  Exchange masked = make_exchange(true);
  masked.log().set_mask(~(1u << static_cast<unsigned>(EventType::Fill)));
  masked.run_batch(b.view());
  check(masked.parallel_batches() == 0, "without recorded FILL events a batch settles inline");

  Exchange small = make_exchange(true);
  small.set_parallel_settlement(2);
  small.run_batch(b.view());
  check(small.parallel_batches() == 0, "a batch below the row threshold settles inline");
}

}  // namespace

int main() {
  random_streams();
  risk_and_mask_settle_inline();
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
