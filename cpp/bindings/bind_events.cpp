// The event record as a numpy dtype, and the integer codes of the engine's enums.
#include <pybind11/numpy.h>

#include <initializer_list>
#include <utility>

#include "bindings.hpp"
#include "liqsim/event_pool.hpp"
#include "liqsim/control/breakers.hpp"
#include "liqsim/events.hpp"
#include "liqsim/types.hpp"

namespace py = pybind11;

namespace liqsim::py_bindings {

namespace {

template <class E>
py::dict codes(std::initializer_list<std::pair<const char*, E>> items) {
  py::dict d;
  for (const auto& [name, value] : items) d[name] = static_cast<int>(value);
  return d;
}

}  // namespace

// Name -> code tables; the Python package builds its IntEnums from these, so the codes have
// one source.
void bind_events(py::module_& m) {
  PYBIND11_NUMPY_DTYPE(Event, seq, ts, order_id, other_order_id, price, qty, leaves, other_leaves,
                       cash, account, other_account, instrument, code, type, side);
  m.attr("EVENT_DTYPE") = py::dtype::of<Event>();
  m.attr("EVENT_TYPE_CODES") = codes<EventType>({
      {"ACCEPT", EventType::Accept}, {"REJECT", EventType::Reject}, {"FILL", EventType::Fill},
      {"CANCEL", EventType::Cancel}, {"EXPIRE", EventType::Expire}, {"AMEND", EventType::Amend},
      {"CANCEL_REJECT", EventType::CancelReject}, {"AMEND_REJECT", EventType::AmendReject},
      {"LIQUIDATION", EventType::Liquidation}, {"TAKEOVER", EventType::Takeover},
      {"ADL_FILL", EventType::AdlFill}, {"FUNDING", EventType::Funding},
      {"INSURANCE_FUND", EventType::InsuranceFund}, {"BAD_DEBT", EventType::BadDebt},
      {"DEPOSIT", EventType::Deposit}, {"WITHDRAWAL", EventType::Withdrawal},
      {"MARK", EventType::Mark}, {"STATE", EventType::State},
       {"TRANSFER", EventType::Transfer}});
  m.attr("REASON_CODES") = codes<Reason>({
      {"NONE", Reason::None}, {"USER_CANCEL", Reason::UserCancel},
      {"SELF_TRADE", Reason::SelfTrade}, {"REDUCE_ONLY", Reason::ReduceOnly},
      {"POST_ONLY_WOULD_CROSS", Reason::PostOnlyWouldCross},
      {"IOC_REMAINDER", Reason::IocRemainder}, {"FOK_UNFILLABLE", Reason::FokUnfillable},
      {"MARKET_REMAINDER", Reason::MarketRemainder}, {"NO_LIQUIDITY", Reason::NoLiquidity},
      {"TOO_LATE", Reason::TooLate}, {"INSUFFICIENT_MARGIN", Reason::InsufficientMargin},
      {"LIQUIDATION", Reason::Liquidation}, {"CLEARANCE_FEE", Reason::ClearanceFee},
      {"TAKEOVER_LOSS", Reason::TakeoverLoss}, {"SOCIALIZED", Reason::Socialized},
      {"HALTED", Reason::Halted}, {"PRICE_BAND", Reason::PriceBand},
      {"BACKSTOP_UNWIND", Reason::BackstopUnwind}});
  m.attr("HALT_REASON_CODES") = codes<HaltReason>({
      {"NONE", HaltReason::None}, {"LULD", HaltReason::Luld}, {"DCB", HaltReason::Dcb},
      {"VELOCITY", HaltReason::Velocity}, {"MARKET_WIDE_1", HaltReason::MarketWide1},
      {"MARKET_WIDE_2", HaltReason::MarketWide2}, {"MARKET_WIDE_3", HaltReason::MarketWide3}});
  m.attr("KIND_CODES") = codes<Kind>({{"LIMIT", Kind::Limit}, {"IOC", Kind::Ioc},
                                      {"FOK", Kind::Fok}, {"POST_ONLY", Kind::PostOnly},
                                      {"MARKET", Kind::Market}});
  m.attr("CMD_CODES") = codes<Cmd>({{"NEW", Cmd::New}, {"CANCEL", Cmd::Cancel}, {"AMEND", Cmd::Amend}});
  m.attr("SYSTEM_ACCOUNTS") = py::dict(py::arg("INSURANCE_FUND") = -1, py::arg("BACKSTOP_VAULT") = -2, py::arg("FEE_POOL") = -3, py::arg("EXTERNAL") = -4);
  m.attr("STP_CODES") = codes<Stp>({{"none", Stp::None}, {"cancel_newest", Stp::CancelNewest},
                                    {"cancel_oldest", Stp::CancelOldest}});
  m.def("pooled_event_bytes", [] { return EventPool::instance().pooled_bytes(); },
        "Bytes of drained event buffers kept for reuse by the next batches.");
  m.def("free_pooled_events", [] { EventPool::instance().clear(); },
        "Frees the event buffers kept for reuse (memory goes back to the system).");
  m.attr("MAX_PRICE_TICKS") = kMaxPrice;
  m.attr("MAX_QTY_LOTS") = kMaxQty;
}

}  // namespace liqsim::py_bindings
