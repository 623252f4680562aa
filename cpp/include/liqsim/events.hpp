// Event records: one flat struct per outcome, appended to a growable buffer that Python takes
// over as a numpy structured array without copying (docs/matching.md, "Events").
#pragma once
#include <cstdint>
#include <vector>

#include "liqsim/types.hpp"

namespace liqsim {

enum class EventType : std::uint8_t {
  Accept = 1,
  Reject = 2,
  Fill = 3,
  Cancel = 4,
  Expire = 5,
  Amend = 6,
  CancelReject = 7,
  AmendReject = 8,
  Liquidation = 9,   // account, instrument, qty = position, price = mark, cash = equity,
                     // other_leaves = maintenance margin, code = liquidation mode
  Takeover = 10,     // account -> other_account (insurance fund / vault), price, qty
  AdlFill = 11,      // bankrupt account, other_account = counterparty, price, qty, side = the
                     // bankrupt account's closing side, cash = the counterparty's realized
                     // profit on the closed lots
  Funding = 12,      // account, qty = position, price = mark, cash = paid (>0) or received (<0)
  InsuranceFund = 13,// cash = change, leaves = new insurance fund equity, code = cause
  BadDebt = 14,      // account, cash = loss not covered by the account. code 0 with
                     // other_account -1: a deficit the insurance fund paid; code 0 otherwise:
                     // a deficit left to ADL, other_leaves = the part the ADL closes covered
                     // (0 with adl_at_mark); code SOCIALIZED: a share of a loss charged to
                     // other_account (ADL counterparty at the mark, or any trader with equity
                     // when a backstop is below zero)
  Deposit = 15,      // account, cash
  Withdrawal = 16,   // account, cash
  Mark = 17,         // price = new mark, other_leaves = index (0 if none)
  State = 18,        // trading state change: side = new state (0 continuous, 1 halted,
                     // 2 closed), code = halt reason (0 on reopen), price = trigger price or
                     // auction price, qty = auction volume, leaves = halt end (-1: rest of run)
  Transfer = 19,     // opening position handed over outside the book (scenario set-up):
                     // account receives qty (signed) from other_account at price, no fees
};

enum class Reason : std::uint16_t {
  None = 0,
  UserCancel = 1,
  SelfTrade = 2,
  ReduceOnly = 3,
  PostOnlyWouldCross = 4,
  IocRemainder = 5,
  FokUnfillable = 6,
  MarketRemainder = 7,
  NoLiquidity = 8,
  TooLate = 9,
  InsufficientMargin = 10,
  Liquidation = 11,
  ClearanceFee = 12,
  TakeoverLoss = 13,
  Socialized = 14,
  Halted = 15,
  PriceBand = 16,
  BackstopUnwind = 17,  // FILL code: the insurance fund / vault selling off a taken-over position
                        // (not a liquidation: the TAKEOVER already counted that position)
};

// Field order chosen so the struct has no padding (88 bytes); the numpy dtype mirrors it.
struct Event {
  std::int64_t seq;
  Timestamp ts;
  OrderId order_id;
  OrderId other_order_id;
  Price price;
  Qty qty;
  Qty leaves;
  Qty other_leaves;
  Cash cash;
  AccountId account;
  AccountId other_account;
  InstrumentId instrument;
  std::uint16_t code;
  std::uint8_t type;
  std::int8_t side;
};
static_assert(sizeof(Event) == 88, "Event must stay packed: the numpy dtype mirrors it");

class EventLog {
 public:
  // Bit i set: events of type i are recorded (all by default). Sequence numbers advance for
  // every event, recorded or not, so filtered logs stay aligned with full ones.
  void set_mask(std::uint32_t mask) { mask_ = mask; }
  std::uint32_t mask() const { return mask_; }

  Event& emit(EventType type, Timestamp ts, InstrumentId inst) {
    const std::int64_t seq = next_seq_++;
    if (!((mask_ >> static_cast<unsigned>(type)) & 1u)) return scratch_;
    Event& e = buf_.emplace_back();  // value-initialized: every field zero
    e.seq = seq;
    e.ts = ts;
    e.type = static_cast<std::uint8_t>(type);
    e.instrument = inst;
    return e;
  }

  std::size_t size() const { return buf_.size(); }
  // Sets `code` on the FILL events of taker order `id` recorded at index >= first.
  void tag_fills(std::size_t first, OrderId id, Reason code) {
    for (std::size_t i = first; i < buf_.size(); ++i)
      if (buf_[i].type == static_cast<std::uint8_t>(EventType::Fill) && buf_[i].order_id == id)
        buf_[i].code = static_cast<std::uint16_t>(code);
  }
  // Grow once up front for a batch instead of doubling (and copying) as it runs; an empty log
  // takes a recycled buffer from the EventPool when one fits (events.cpp).
  void reserve_for(std::size_t extra);
  const std::vector<Event>& buffer() const { return buf_; }
  std::int64_t next_seq() const { return next_seq_; }

  // Hands the recorded events to the caller and starts a fresh buffer.
  std::vector<Event> take() {
    std::vector<Event> out;
    out.swap(buf_);
    return out;
  }

 private:
  std::vector<Event> buf_;
  Event scratch_{};
  std::int64_t next_seq_ = 0;
  std::uint32_t mask_ = 0xFFFFFFFFu;
};

}  // namespace liqsim
