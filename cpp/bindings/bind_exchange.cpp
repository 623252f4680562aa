// liqsim._core.Engine: the C++ Exchange with batch entry points (GIL released) and zero-copy
// event drains. Unit conversion and friendly argument handling live in liqsim/exchange.py.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "liqsim/event_pool.hpp"
#include "liqsim/exchange.hpp"

namespace py = pybind11;

namespace liqsim::py_bindings {

namespace {

template <class T>
using carray = py::array_t<T, py::array::c_style>;

template <class T>
const T* column(const carray<T>& a, std::size_t n, const char* name) {
  if (a.ndim() != 1 || static_cast<std::size_t>(a.shape(0)) != n)
    fail(ErrorKind::InvalidOrder, std::string(name) + " must be a 1-d array of length " +
                                      std::to_string(n));
  return a.data();
}

py::array take_events(Exchange& ex) { return event_array(ex.log().take()); }

py::object price_or_none(const OrderBook& b, Side s) {
  if (b.empty(s)) return py::none();
  return py::int_(b.best(s).price);
}

py::object qty_or_none(const OrderBook& b, Side s) {
  if (b.empty(s)) return py::none();
  return py::int_(b.best(s).qty);
}

py::tuple depth(const Exchange& ex, InstrumentId inst, std::size_t n) {
  const OrderBook& b = ex.book(inst);
  py::list out;
  for (Side s : {Side::Buy, Side::Sell}) {
    const std::size_t k = std::min(n, b.level_count(s));
    carray<Price> price(static_cast<py::ssize_t>(k));
    carray<Qty> qty(static_cast<py::ssize_t>(k));
    carray<std::int64_t> count(static_cast<py::ssize_t>(k));
    for (std::size_t i = 0; i < k; ++i) {
      const Level& lv = b.level(s, i);
      price.mutable_at(i) = lv.price;
      qty.mutable_at(i) = lv.qty;
      count.mutable_at(i) = lv.count;
    }
    out.append(price);
    out.append(qty);
    out.append(count);
  }
  return py::tuple(out);
}

}  // namespace

py::array event_array(std::vector<Event>&& v) {
  auto events = std::make_unique<std::vector<Event>>(std::move(v));
  const auto n = static_cast<py::ssize_t>(events->size());
  const Event* data = events->data();
  // When numpy frees the array, its buffer goes back to the pool for the next batch.
  py::capsule owner(events.get(), [](void* p) {
    std::unique_ptr<std::vector<Event>> buf(static_cast<std::vector<Event>*>(p));
    EventPool::instance().release(std::move(*buf));
  });
  events.release();  // now owned by the capsule
  return py::array_t<Event>({n}, {static_cast<py::ssize_t>(sizeof(Event))}, data, owner);
}

void bind_exchange(py::module_& m) {
  py::class_<Exchange>(m, "Engine", "The C++ exchange (ticks, lots, ns; see liqsim.Exchange).")
      .def(py::init<RiskSpec>(), py::arg("risk") = RiskSpec{})
      .def("add_instrument", &Exchange::add_instrument, py::arg("spec"))
      .def("add_account", &Exchange::add_account)
      .def("add_accounts", &Exchange::add_accounts, py::arg("n"))
      .def(
          "submit",
          [](Exchange& ex, InstrumentId inst, AccountId account, OrderId id, int side, int kind,
             Price price, Qty qty, bool reduce_only, Timestamp ts) {
            if (kind < 0 || kind > 255)
              fail(ErrorKind::InvalidOrder, "kind must be 0..4, got " + std::to_string(kind));
            if (side != 1 && side != -1)
              fail(ErrorKind::InvalidOrder, "side must be +1 or -1, got " + std::to_string(side));
            ex.submit(NewOrder{inst, account, id, static_cast<Side>(side),
                               static_cast<Kind>(kind), price, qty, reduce_only, ts});
          },
          // noconvert: integers only (Python ints and numpy integers). By default pybind11 would
          // also take a numpy float32 or anything with __int__ and truncate it silently.
          py::arg("instrument").noconvert(), py::arg("account").noconvert(),
          py::arg("order_id").noconvert(), py::arg("side").noconvert(), py::arg("kind").noconvert(),
          py::arg("price").noconvert(), py::arg("qty").noconvert(), py::arg("reduce_only").noconvert(),
          py::arg("ts").noconvert())
      .def("cancel", &Exchange::cancel, py::arg("order_id").noconvert(), py::arg("ts").noconvert())
      .def("amend", &Exchange::amend, py::arg("order_id").noconvert(), py::arg("price").noconvert(),
           py::arg("qty").noconvert(), py::arg("ts").noconvert())
      .def(
          "run_batch",
          [](Exchange& ex, const carray<std::uint8_t>& cmd, const carray<InstrumentId>& inst,
             const carray<OrderId>& order_id, const carray<AccountId>& account,
             const carray<std::int8_t>& side, const carray<std::uint8_t>& kind,
             const carray<Price>& price, const carray<Qty>& qty,
             const std::optional<carray<std::uint8_t>>& reduce_only,
             const std::optional<carray<Timestamp>>& ts) {
            BatchView b;
            b.n = static_cast<std::size_t>(cmd.size());
            b.cmd = column(cmd, b.n, "cmd");
            b.instrument = column(inst, b.n, "instrument");
            b.order_id = column(order_id, b.n, "order_id");
            b.account = column(account, b.n, "account");
            b.side = column(side, b.n, "side");
            b.kind = column(kind, b.n, "kind");
            b.price = column(price, b.n, "price");
            b.qty = column(qty, b.n, "qty");
            if (reduce_only) b.reduce_only = column(*reduce_only, b.n, "reduce_only");
            if (ts) b.ts = column(*ts, b.n, "ts");
            py::gil_scoped_release unlocked;
            ex.run_batch(b);
          },
          py::arg("cmd"), py::arg("instrument"), py::arg("order_id"), py::arg("account"),
          py::arg("side"), py::arg("kind"), py::arg("price"), py::arg("qty"),
          py::arg("reduce_only") = py::none(), py::arg("ts") = py::none(),
          "Run a batch of commands (arrays must already have the exact dtypes).")
      .def_property(
          "parallel_settlement",
          [](const Exchange& ex) -> std::optional<std::size_t> {
            if (ex.parallel_settlement() == Exchange::kNoParallelSettlement) return std::nullopt;
            return ex.parallel_settlement();
          },
          [](Exchange& ex, std::optional<std::int64_t> min_rows) {
            if (min_rows && *min_rows < 0)
              fail(ErrorKind::InvalidConfig,
                   "parallel_settlement must be >= 0 rows or None, got " + std::to_string(*min_rows));
            ex.set_parallel_settlement(min_rows ? static_cast<std::size_t>(*min_rows)
                                                : Exchange::kNoParallelSettlement);
          },
          "Smallest batch that settles its fills on a second thread (None: never).")
      .def_property("park_waiting", &Exchange::parking, &Exchange::set_parking,
                    "Leave accounts the throttle certainly keeps waiting out of risk-stage listings.")
      .def_property_readonly("parked_accounts", &Exchange::parked_accounts,
                             "Accounts parked now (due, certainly kept waiting by the throttle).")
      .def_property_readonly("parkings", &Exchange::parkings, "Accounts parked so far, all told.")
      .def_property_readonly("parallel_batches", &Exchange::parallel_batches,
                             "Batches so far that settled their fills on a second thread.")
      .def("drain_events", &take_events, "Recorded events as a structured array; clears them.")
      .def_property_readonly("pending_events", [](Exchange& ex) { return ex.log().size(); })
      .def_property_readonly("next_seq", [](Exchange& ex) { return ex.log().next_seq(); })
      .def_property(
          "event_mask", [](Exchange& ex) { return ex.log().mask(); },
          [](Exchange& ex, std::uint32_t mask) { ex.log().set_mask(mask); })
      .def(
          "bbo",
          [](const Exchange& ex, InstrumentId inst) {
            const OrderBook& b = ex.book(inst);
            return py::make_tuple(price_or_none(b, Side::Buy), qty_or_none(b, Side::Buy),
                                  price_or_none(b, Side::Sell), qty_or_none(b, Side::Sell));
          },
          py::arg("instrument"))
      .def("depth", &depth, py::arg("instrument"), py::arg("n"))
      .def("position", &Exchange::position, py::arg("account"), py::arg("instrument"))
      .def(
          "positions",
          [](const Exchange& ex, InstrumentId inst) {
            const auto& p = ex.positions(inst).qty;
            return carray<Qty>(static_cast<py::ssize_t>(p.size()), p.data());
          },
          py::arg("instrument"))
      .def(
          "order_info",
          [](const Exchange& ex, OrderId id) -> py::object {
            OrderInfo o{};
            if (!ex.order_info(id, o)) return py::none();
            py::dict d;
            d["order_id"] = o.id;
            d["instrument"] = o.instrument;
            d["account"] = o.account;
            d["side"] = static_cast<int>(o.side);
            d["kind"] = static_cast<int>(o.kind);
            d["price"] = o.price;
            d["leaves"] = o.leaves;
            d["reduce_only"] = o.reduce_only;
            return d;
          },
          py::arg("order_id"))
      .def("order_seen", &Exchange::order_seen, py::arg("order_id"))
      .def("order_instrument", &Exchange::order_instrument, py::arg("order_id"))
      .def("live_orders",
           [](const Exchange& ex, InstrumentId inst) { return ex.book(inst).live_orders(); },
           py::arg("instrument"))
      .def_property_readonly("now", &Exchange::now)
      .def_property_readonly("next_order_id", &Exchange::next_order_id)
      .def_property_readonly("num_accounts", &Exchange::num_accounts)
      .def_property_readonly("num_instruments", &Exchange::num_instruments);
}

}  // namespace liqsim::py_bindings
