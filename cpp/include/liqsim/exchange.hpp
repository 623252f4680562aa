// Facade: one ordered pipeline over the books (and, later, clearing, risk and breakers).
// Every public command validates all of its input before it changes anything.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "liqsim/book/id_map.hpp"
#include "liqsim/book/order_book.hpp"
#include "liqsim/error.hpp"
#include "liqsim/events.hpp"
#include "liqsim/types.hpp"

namespace liqsim {

struct InstrumentSpec {
  std::string symbol;
  Stp stp = Stp::None;
  std::int64_t market_band_ppm = 50'000;  // market-order protection band, 5%
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

class Exchange {
 public:
  InstrumentId add_instrument(const InstrumentSpec& spec);
  AccountId add_account();
  AccountId add_accounts(std::size_t n);  // returns the first new id

  void submit(const NewOrder& o);
  void cancel(OrderId id, Timestamp ts);
  void amend(OrderId id, Price price, Qty qty, Timestamp ts);
  // Runs rows in order; a bad row throws Error with row() set, earlier rows stay applied.
  void run_batch(const BatchView& b);

  EventLog& log() { return log_; }
  const OrderBook& book(InstrumentId inst) const;
  const InstrumentSpec& spec(InstrumentId inst) const;
  Qty position(AccountId a, InstrumentId inst) const;
  const std::vector<Qty>& positions(InstrumentId inst) const;
  // False if the id is unknown or the order is no longer live.
  bool order_info(OrderId id, OrderInfo& out) const;
  bool order_seen(OrderId id) const { return ids_.find(id) != IdMap::kMissing; }

  std::size_t num_instruments() const { return instruments_.size(); }
  std::size_t num_accounts() const { return num_accounts_; }
  Timestamp now() const { return now_; }
  OrderId next_order_id() const { return max_order_id_ + 1; }

 private:
  struct Instrument {
    InstrumentSpec spec;
    OrderBook book;
    std::vector<Qty> positions;  // signed lots per account
  };

  void check_instrument(InstrumentId inst) const;
  void check_account(AccountId a) const;
  void check_ts(Timestamp ts) const;
  void validate(const NewOrder& o) const;
  MatchContext context(Instrument& ins, InstrumentId inst, Timestamp ts);
  void retire(OrderId id, InstrumentId inst) { ids_.set(id, done_handle(inst)); }
  Event& order_event(EventType type, Reason code, InstrumentId inst, OrderId id, AccountId a,
                     Side side, Price price, Qty qty);
  // Takes liquidity and rests or expires the remainder (shared by submit and amend).
  void take_and_rest(Instrument& ins, InstrumentId inst, Taker& t, Timestamp ts);

  std::vector<Instrument> instruments_;
  std::size_t num_accounts_ = 0;
  IdMap ids_;
  EventLog log_;
  Timestamp now_ = 0;
  OrderId max_order_id_ = 0;
};

}  // namespace liqsim
