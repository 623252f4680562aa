// Event records: one flat struct per outcome, appended to a growable buffer that Python takes
// over as a numpy structured array without copying (docs/matching.md, "Events").
#pragma once
#include <cstdint>
#include <span>
#include <utility>
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
  Liquidation = 9,   // account, instrument = the scope (-1: cross margin, else the isolated
                     // position's instrument), cash = equity, other_leaves = maintenance margin,
                     // code = liquidation mode (liqsim.analysis reads these)
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
  // Left uninitialized on purpose: the log sizes its buffer ahead (resize() then costs nothing)
  // and emit() writes every field. Use Event::zero() for a blank record.
  Event() {}  // NOLINT(modernize-use-equals-default): `= default` would zero on resize()
  Event(std::int64_t seq_, Timestamp ts_, EventType type_, InstrumentId inst_)
      : seq(seq_), ts(ts_), order_id(0), other_order_id(0), price(0), qty(0), leaves(0),
        other_leaves(0), cash(0), account(0), other_account(0), instrument(inst_), code(0),
        type(static_cast<std::uint8_t>(type_)), side(0) {}
  static Event zero() { return Event(0, 0, EventType{}, 0); }

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
  // Told before the buffer moves to grow (a reader on another thread must be done with it) and
  // where it is afterwards.
  class GrowListener {
   public:
    virtual void before_grow() = 0;
    virtual void after_grow(const Event* base) = 0;

   protected:
    ~GrowListener() = default;
  };

  EventLog() = default;
  // Copies (engine snapshots) take the recorded events only, not the room after them.
  EventLog(const EventLog& o)
      : buf_(o.buf_.begin(), o.buf_.begin() + static_cast<std::ptrdiff_t>(o.n_)), n_(o.n_),
        scratch_(o.scratch_), next_seq_(o.next_seq_), mask_(o.mask_) {
    rebase();
  }
  EventLog& operator=(const EventLog& o) {
    if (this != &o) {
      EventLog copy(o);
      *this = std::move(copy);
    }
    return *this;
  }
  // Moves leave the source an empty, usable log (a defaulted move kept its count of recorded
  // events over an empty buffer, so a later emit() would write out of bounds).
  EventLog(EventLog&& o) noexcept
      : buf_(std::move(o.buf_)), n_(std::exchange(o.n_, 0)), scratch_(o.scratch_),
        next_seq_(o.next_seq_), mask_(o.mask_) {
    rebase();
    o.buf_.clear();
    o.rebase();
  }
  EventLog& operator=(EventLog&& o) noexcept {
    buf_ = std::move(o.buf_);
    o.buf_.clear();
    n_ = std::exchange(o.n_, 0);
    scratch_ = o.scratch_;
    next_seq_ = o.next_seq_;
    mask_ = o.mask_;
    rebase();
    o.rebase();
    return *this;
  }

  // Bit i set: events of type i are recorded (all by default). Sequence numbers advance for
  // every event, recorded or not, so filtered logs stay aligned with full ones.
  void set_mask(std::uint32_t mask) { mask_ = mask; }
  std::uint32_t mask() const { return mask_; }
  // One listener at most (nullptr: none); copies and moves of the log do not keep it.
  void set_grow_listener(GrowListener* l) { listener_ = l; }

  // A blank record (zeros but for seq, ts, type, instrument) for the caller to fill in.
  Event& emit(EventType type, Timestamp ts, InstrumentId inst) {
    Event& e = emit_unfilled(type, ts, inst);
    e = Event(e.seq, ts, type, inst);
    return e;
  }

  // emit() without the blank record, for the hottest call sites: writes seq, ts, instrument
  // and type, and the caller must write every other field (emit()'s zeros first cost ~8 extra
  // stores an event). A masked event type gets a scratch record that nothing reads.
  Event& emit_unfilled(EventType type, Timestamp ts, InstrumentId inst) {
    const std::int64_t seq = next_seq_++;
    if (!((mask_ >> static_cast<unsigned>(type)) & 1u)) return scratch_;
    if (n_ == cap_) grow();
    Event& e = base_[n_++];
    e.seq = seq;
    e.ts = ts;
    e.instrument = inst;
    e.type = static_cast<std::uint8_t>(type);
    return e;
  }

  std::size_t size() const { return n_; }
  // Sets `code` on the FILL events of taker order `id` recorded at index >= first.
  void tag_fills(std::size_t first, OrderId id, Reason code) {
    for (std::size_t i = first; i < n_; ++i)
      if (buf_[i].type == static_cast<std::uint8_t>(EventType::Fill) && buf_[i].order_id == id)
        buf_[i].code = static_cast<std::uint16_t>(code);
  }
  // Grow once up front for a batch instead of doubling (and copying) as it runs; an empty log
  // takes a recycled buffer from the EventPool when one fits (events.cpp).
  void reserve_for(std::size_t extra);
  // The recorded events, oldest first.
  std::span<const Event> buffer() const { return {buf_.data(), n_}; }
  std::int64_t next_seq() const { return next_seq_; }

  // Hands the recorded events to the caller and starts a fresh buffer.
  std::vector<Event> take() {
    buf_.resize(n_);  // drops the unwritten tail
    std::vector<Event> out;
    out.swap(buf_);
    n_ = 0;
    rebase();
    return out;
  }

 private:
  void grow();  // more room at the end of buf_ (doubling)

  // buf_.data() and buf_.size(), kept by rebase() after every change of buf_.
  void rebase() {
    base_ = buf_.data();
    cap_ = buf_.size();
  }

  std::vector<Event> buf_;  // [0, n_) recorded, [n_, size()) room for more (uninitialized)
  std::size_t n_ = 0;
  Event* base_ = nullptr;
  std::size_t cap_ = 0;
  Event scratch_ = Event::zero();
  std::int64_t next_seq_ = 0;
  std::uint32_t mask_ = 0xFFFFFFFFu;
  GrowListener* listener_ = nullptr;
};

}  // namespace liqsim
