// Standalone tests of the single-price call auction (OrderBook::uncross / indicative_uncross,
// cpp/src/book/auction.cpp). No framework:
//   g++ -std=c++20 -O1 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
//       -I cpp/include tests/cpp/test_auction.cpp cpp/src/book/order_book.cpp
//       cpp/src/book/auction.cpp -o /tmp/tauc && /tmp/tauc
// Crossed books are built with OrderBook::rest (which never matches). Every expected price,
// volume and fill below is computed by hand in the comments; a randomized section compares
// against a brute-force model of the rules.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "liqsim/book/order_book.hpp"

#include "check.hpp"

using namespace liqsim;

constexpr InstrumentId kInst = 3;
constexpr Timestamp kTs = 12345;

// Records fills and moves positions the way the clearing layer does.
class Recorder final : public FillSink {
 public:
  std::vector<Fill> fills;
  std::vector<Qty> pos;
  void on_fill(const Fill& f) override {
    fills.push_back(f);
    pos[f.taker] += sign(f.taker_side) * f.qty;
    pos[f.maker] -= sign(f.taker_side) * f.qty;
  }
  void sync_positions() override {}  // settles inline
};

struct Harness {
  OrderBook book;
  EventLog log;
  IdMap ids;
  Recorder sink;
  std::map<OrderId, std::uint32_t> idx;  // order id -> pool index when rested
  MatchContext ctx;

  explicit Harness(int accounts, Stp stp = Stp::None)
      : ctx{log, nullptr, sink, ids, kInst, stp, kTs} {
    sink.pos.assign(static_cast<std::size_t>(accounts), 0);
    ctx.positions = sink.pos.data();
    book.resize_accounts(static_cast<std::size_t>(accounts));
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  void add(OrderId id, AccountId a, Side s, Price p, Qty q, bool reduce_only = false) {
    const std::uint32_t i = book.rest(Taker{id, a, s, Kind::Limit, p, q, reduce_only});
    idx[id] = i;
    ids.set(id, live_handle(kInst, i));
  }
  bool retired(OrderId id) const { return ids.find(id) == done_handle(kInst); }
  bool live(OrderId id) const { return ids.find(id) == live_handle(kInst, idx.at(id)); }
};

// (price, id, leaves) of one side in priority order.
using Row = std::tuple<Price, OrderId, Qty>;
static std::vector<Row> side_orders(const OrderBook& b, Side s) {
  std::vector<Row> out;
  for (std::size_t li = 0; li < b.level_count(s); ++li)
    for (std::uint32_t i = b.level(s, li).head; i != kNil; i = b.order(i).next)
      out.emplace_back(b.order(i).price, b.order(i).id, b.order(i).leaves);
  return out;
}

// Level sums/counts/links, level ordering and per-account open quantities all agree.
static bool consistent(const OrderBook& b, int accounts) {
  std::vector<Qty> open_buy(static_cast<std::size_t>(accounts), 0), open_sell = open_buy;
  for (Side s : {Side::Buy, Side::Sell}) {
    for (std::size_t li = 0; li < b.level_count(s); ++li) {
      const Level& lv = b.level(s, li);
      if (li > 0) {
        const Price prev = b.level(s, li - 1).price;
        if (s == Side::Buy ? !(prev > lv.price) : !(prev < lv.price)) return false;
      }
      Qty sum = 0;
      std::uint32_t n = 0, prev = kNil;
      for (std::uint32_t i = lv.head; i != kNil; i = b.order(i).next) {
        const RestingOrder& o = b.order(i);
        if (o.prev != prev || o.price != lv.price || o.side != s || o.leaves <= 0) return false;
        sum += o.leaves;
        (s == Side::Buy ? open_buy : open_sell)[o.account] += o.leaves;
        prev = i;
        ++n;
      }
      if (lv.tail != prev || sum != lv.qty || n != lv.count || n == 0) return false;
    }
  }
  for (AccountId a = 0; a < accounts; ++a)
    if (b.open_qty(a, Side::Buy) != open_buy[a] || b.open_qty(a, Side::Sell) != open_sell[a])
      return false;
  return true;
}

static bool fill_is(const Fill& f, OrderId buy, OrderId sell, AccountId buyer, AccountId seller,
                    Price p, Qty q) {
  return f.instrument == kInst && f.taker_order == buy && f.maker_order == sell &&
         f.taker == buyer && f.maker == seller && f.taker_side == Side::Buy && f.price == p &&
         f.qty == q && f.auction;
}

static bool fill_event_is(const Event& e, std::int64_t seq, OrderId buy, AccountId buyer,
                          OrderId sell, AccountId seller, Price p, Qty q, Qty buy_leaves,
                          Qty sell_leaves) {
  return e.seq == seq && e.ts == kTs && e.type == static_cast<std::uint8_t>(EventType::Fill) &&
         e.instrument == kInst && e.code == 1 && e.side == 0 && e.order_id == buy &&
         e.account == buyer && e.other_order_id == sell && e.other_account == seller &&
         e.price == p && e.qty == q && e.leaves == buy_leaves && e.other_leaves == sell_leaves &&
         e.cash == 0;
}

static bool cancel_event_is(const Event& e, OrderId id, AccountId a, Side s, Price p, Qty q,
                            Qty leaves) {
  return e.type == static_cast<std::uint8_t>(EventType::Cancel) && e.instrument == kInst &&
         e.code == static_cast<std::uint16_t>(Reason::ReduceOnly) && e.order_id == id &&
         e.account == a && e.side == static_cast<std::int8_t>(s) && e.price == p && e.qty == q &&
         e.leaves == leaves;
}

// ---------------------------------------------------------------------------------------------

static void test_crossed_book() {
  // Bids: 1 (acct 0) 102x5, 2 (acct 1) 101x10, 3 (acct 2) 100x10.
  // Asks: 11 (acct 3) 99x8, 12 (acct 4) 100x7, 13 (acct 5) 101x6.
  //   p    buy(>=p)  sell(<=p)  exec  imbalance
  //   99      25         8        8      17
  //   100     25        15       15      10
  //   101     15        21       15       6
  //   102      5        21        5      16
  // Max volume 15 at 100 and 101; imbalance 10 vs 6 -> 101 (whatever the reference).
  // Allocation at 101: bid 3 (100) is not eligible; ask 13 (101) is, but is never reached:
  //   bid 1 x ask 11: 5  -> bid 1 done, ask 11 leaves 3
  //   bid 2 x ask 11: 3  -> bid 2 leaves 7, ask 11 done
  //   bid 2 x ask 12: 7  -> both done                      total 15
  // Left: bid 3 100x10, ask 13 101x6 (no longer crossed).
  Harness h(6);
  h.add(1, 0, Side::Buy, 102, 5);
  h.add(2, 1, Side::Buy, 101, 10);
  h.add(3, 2, Side::Buy, 100, 10);
  h.add(11, 3, Side::Sell, 99, 8);
  h.add(12, 4, Side::Sell, 100, 7);
  h.add(13, 5, Side::Sell, 101, 6);
  CHECK(h.book.indicative_uncross(100) == std::make_pair(Price{101}, Qty{15}));
  CHECK(h.book.indicative_uncross(0) == std::make_pair(Price{101}, Qty{15}));
  CHECK(h.book.indicative_uncross(1000) == std::make_pair(Price{101}, Qty{15}));
  CHECK(h.log.size() == 0 && h.book.live_orders() == 6);  // indicative changes nothing

  CHECK(h.book.uncross(100, h.ctx) == 101);
  CHECK(h.sink.fills.size() == 3);
  if (h.sink.fills.size() == 3) {
    CHECK(fill_is(h.sink.fills[0], 1, 11, 0, 3, 101, 5));
    CHECK(fill_is(h.sink.fills[1], 2, 11, 1, 3, 101, 3));
    CHECK(fill_is(h.sink.fills[2], 2, 12, 1, 4, 101, 7));
  }
  const auto& ev = h.log.buffer();
  CHECK(ev.size() == 3);
  if (ev.size() == 3) {
    CHECK(fill_event_is(ev[0], 0, 1, 0, 11, 3, 101, 5, 0, 3));
    CHECK(fill_event_is(ev[1], 1, 2, 1, 11, 3, 101, 3, 7, 0));
    CHECK(fill_event_is(ev[2], 2, 2, 1, 12, 4, 101, 7, 0, 0));
  }
  CHECK(side_orders(h.book, Side::Buy) == std::vector<Row>{{100, 3, 10}});
  CHECK(side_orders(h.book, Side::Sell) == std::vector<Row>{{101, 13, 6}});
  CHECK(h.book.live_orders() == 2);
  CHECK(h.retired(1) && h.retired(2) && h.retired(11) && h.retired(12));
  CHECK(h.live(3) && h.live(13));
  CHECK((h.sink.pos == std::vector<Qty>{5, 10, 0, -8, -7, 0}));
  CHECK(h.book.open_qty(0, Side::Buy) == 0 && h.book.open_qty(1, Side::Buy) == 0);
  CHECK(h.book.open_qty(2, Side::Buy) == 10 && h.book.open_qty(5, Side::Sell) == 6);
  CHECK(consistent(h.book, 6));
  // Now uncrossed: a second auction does nothing.
  CHECK(h.book.indicative_uncross(100) == std::make_pair(Price{0}, Qty{0}));
  CHECK(h.book.uncross(100, h.ctx) == 0);
  CHECK(h.log.size() == 3 && h.sink.fills.size() == 3);
  section_done("crossed book");
}

static void test_fifo_inside_levels() {
  // Several orders per level. Bids: 101: 1 (a0) 4, 2 (a1) 4; 100: 3 (a2) 5.
  // Asks: 99: 11 (a3) 3; 100: 12 (a4) 2, 13 (a5) 6.
  //   p    buy  sell  exec  imb
  //   99    13    3     3    10
  //   100   13   11    11     2
  //   101    8   11     8     3
  // -> 100, volume 11. Walk: bids 1, 2, 3 (all >= 100); asks 11, 12, 13.
  //   1x11: 3 (1 leaves 1, 11 done)   1x12: 1 (1 done, 12 leaves 1)
  //   2x12: 1 (2 leaves 3, 12 done)   2x13: 3 (2 done, 13 leaves 3)
  //   3x13: 3 (3 leaves 2, 13 done)   total 11; bid 3 100x2 stays.
  Harness h(6);
  h.add(1, 0, Side::Buy, 101, 4);
  h.add(3, 2, Side::Buy, 100, 5);
  h.add(2, 1, Side::Buy, 101, 4);
  h.add(12, 4, Side::Sell, 100, 2);
  h.add(11, 3, Side::Sell, 99, 3);
  h.add(13, 5, Side::Sell, 100, 6);
  CHECK(h.book.indicative_uncross(50) == std::make_pair(Price{100}, Qty{11}));
  CHECK(h.book.uncross(50, h.ctx) == 100);
  CHECK(h.sink.fills.size() == 5);
  if (h.sink.fills.size() == 5) {
    CHECK(fill_is(h.sink.fills[0], 1, 11, 0, 3, 100, 3));
    CHECK(fill_is(h.sink.fills[1], 1, 12, 0, 4, 100, 1));
    CHECK(fill_is(h.sink.fills[2], 2, 12, 1, 4, 100, 1));
    CHECK(fill_is(h.sink.fills[3], 2, 13, 1, 5, 100, 3));
    CHECK(fill_is(h.sink.fills[4], 3, 13, 2, 5, 100, 3));
  }
  const auto& ev = h.log.buffer();
  CHECK(ev.size() == 5);
  if (ev.size() == 5) {
    CHECK(fill_event_is(ev[0], 0, 1, 0, 11, 3, 100, 3, 1, 0));
    CHECK(fill_event_is(ev[1], 1, 1, 0, 12, 4, 100, 1, 0, 1));
    CHECK(fill_event_is(ev[2], 2, 2, 1, 12, 4, 100, 1, 3, 0));
    CHECK(fill_event_is(ev[3], 3, 2, 1, 13, 5, 100, 3, 0, 3));
    CHECK(fill_event_is(ev[4], 4, 3, 2, 13, 5, 100, 3, 2, 0));
  }
  CHECK(side_orders(h.book, Side::Buy) == std::vector<Row>{{100, 3, 2}});
  CHECK(h.book.empty(Side::Sell));
  CHECK(h.live(3));
  CHECK(h.retired(1) && h.retired(2) && h.retired(11) && h.retired(12) && h.retired(13));
  CHECK(consistent(h.book, 6));
  section_done("FIFO inside levels");
}

static void test_imbalance_then_reference() {
  // Bids: 1 (a0) 102x4, 2 (a1) 100x5. Asks: 11 (a2) 100x4, 12 (a3) 101x2.
  //   p    buy  sell  exec  imb
  //   100    9    4     4     5
  //   101    4    6     4     2
  //   102    4    6     4     2
  // Volume ties everywhere; imbalance drops 100 even when the reference is 100 (distance 0);
  // 101 and 102 tie on imbalance, so the reference decides: ref 100 -> 101, ref 200 -> 102,
  // ref 101.5 is impossible; ref 101 -> 101; ref 102 -> 102.
  Harness h(4);
  h.add(1, 0, Side::Buy, 102, 4);
  h.add(2, 1, Side::Buy, 100, 5);
  h.add(11, 2, Side::Sell, 100, 4);
  h.add(12, 3, Side::Sell, 101, 2);
  CHECK(h.book.indicative_uncross(100) == std::make_pair(Price{101}, Qty{4}));
  CHECK(h.book.indicative_uncross(101) == std::make_pair(Price{101}, Qty{4}));
  CHECK(h.book.indicative_uncross(102) == std::make_pair(Price{102}, Qty{4}));
  CHECK(h.book.indicative_uncross(200) == std::make_pair(Price{102}, Qty{4}));
  CHECK(h.book.indicative_uncross(0) == std::make_pair(Price{101}, Qty{4}));
  // At 101: bid 1 x ask 11 for 4, both done. Left: bid 2 100x5, ask 12 101x2.
  CHECK(h.book.uncross(100, h.ctx) == 101);
  CHECK(h.sink.fills.size() == 1 && fill_is(h.sink.fills[0], 1, 11, 0, 2, 101, 4));
  CHECK(h.log.size() == 1 && fill_event_is(h.log.buffer()[0], 0, 1, 0, 11, 2, 101, 4, 0, 0));
  CHECK(side_orders(h.book, Side::Buy) == std::vector<Row>{{100, 2, 5}});
  CHECK(side_orders(h.book, Side::Sell) == std::vector<Row>{{101, 12, 2}});
  CHECK(h.retired(1) && h.retired(11) && h.live(2) && h.live(12));
  CHECK(consistent(h.book, 4));
  section_done("imbalance, then reference");
}

static void test_reference_tie() {
  // Bids: 1 (a0) 102x10. Asks: 11 (a1) 100x10. Candidates 100 and 102 (101 has no order, so it
  // is not a candidate): both volume 10, imbalance 0. The reference decides; equidistant
  // (ref 101) -> the lower price.
  Harness h(2);
  h.add(1, 0, Side::Buy, 102, 10);
  h.add(11, 1, Side::Sell, 100, 10);
  CHECK(h.book.indicative_uncross(100) == std::make_pair(Price{100}, Qty{10}));
  CHECK(h.book.indicative_uncross(101) == std::make_pair(Price{100}, Qty{10}));
  CHECK(h.book.indicative_uncross(102) == std::make_pair(Price{102}, Qty{10}));
  CHECK(h.book.indicative_uncross(0) == std::make_pair(Price{100}, Qty{10}));
  CHECK(h.book.indicative_uncross(kMaxPrice) == std::make_pair(Price{102}, Qty{10}));
  CHECK(h.book.uncross(150, h.ctx) == 102);
  CHECK(h.sink.fills.size() == 1 && fill_is(h.sink.fills[0], 1, 11, 0, 1, 102, 10));
  CHECK(h.log.size() == 1 && fill_event_is(h.log.buffer()[0], 0, 1, 0, 11, 1, 102, 10, 0, 0));
  CHECK(h.book.empty(Side::Buy) && h.book.empty(Side::Sell) && h.book.live_orders() == 0);
  CHECK(h.retired(1) && h.retired(11));
  CHECK((h.sink.pos == std::vector<Qty>{10, -10}));
  CHECK(consistent(h.book, 2));

  // A single level on each side at the same price (a "touching" book): that price, min volume.
  Harness t(2);
  t.add(1, 0, Side::Buy, 100, 3);
  t.add(11, 1, Side::Sell, 100, 7);
  CHECK(t.book.indicative_uncross(5) == std::make_pair(Price{100}, Qty{3}));
  CHECK(t.book.uncross(5, t.ctx) == 100);
  CHECK(side_orders(t.book, Side::Sell) == std::vector<Row>{{100, 11, 4}});
  CHECK(t.book.empty(Side::Buy) && t.live(11) && t.retired(1));
  section_done("reference tie");
}

static void test_not_crossed() {
  // Bids 99x5, 98x5; asks 100x5, 101x5: nothing executes at any price.
  Harness h(2);
  h.add(1, 0, Side::Buy, 99, 5);
  h.add(2, 0, Side::Buy, 98, 5);
  h.add(11, 1, Side::Sell, 100, 5);
  h.add(12, 1, Side::Sell, 101, 5);
  const auto bids = side_orders(h.book, Side::Buy);
  const auto asks = side_orders(h.book, Side::Sell);
  CHECK(h.book.indicative_uncross(100) == std::make_pair(Price{0}, Qty{0}));
  CHECK(h.book.uncross(100, h.ctx) == 0);
  CHECK(h.log.size() == 0 && h.log.next_seq() == 0 && h.sink.fills.empty());
  CHECK(side_orders(h.book, Side::Buy) == bids && side_orders(h.book, Side::Sell) == asks);
  CHECK(h.live(1) && h.live(2) && h.live(11) && h.live(12));
  CHECK(consistent(h.book, 2));

  // One side empty, and an empty book.
  Harness o(2);
  o.add(1, 0, Side::Buy, 99, 5);
  CHECK(o.book.indicative_uncross(99) == std::make_pair(Price{0}, Qty{0}));
  CHECK(o.book.uncross(99, o.ctx) == 0 && o.log.size() == 0 && o.book.live_orders() == 1);
  Harness e(1);
  CHECK(e.book.indicative_uncross(99) == std::make_pair(Price{0}, Qty{0}));
  CHECK(e.book.uncross(99, e.ctx) == 0 && e.log.size() == 0);
  section_done("not crossed");
}

static void test_partial_keeps_priority() {
  // Buy side: level 100 holds 1 (a0) 10 then 2 (a1) 4. Ask: 11 (a2) 99x6.
  //   p    buy  sell  exec  imb
  //   99    14    6     6     8
  //   100   14    6     6     8     -> reference 99 -> 99.
  // Fill 1 x 11 for 6 at 99: order 1 keeps leaves 4 at the head of level 100, ahead of 2.
  Harness h(4);
  h.add(1, 0, Side::Buy, 100, 10);
  h.add(2, 1, Side::Buy, 100, 4);
  h.add(11, 2, Side::Sell, 99, 6);
  CHECK(h.book.uncross(99, h.ctx) == 99);
  CHECK(h.sink.fills.size() == 1 && fill_is(h.sink.fills[0], 1, 11, 0, 2, 99, 6));
  CHECK(h.log.size() == 1 && fill_event_is(h.log.buffer()[0], 0, 1, 0, 11, 2, 99, 6, 4, 0));
  CHECK((side_orders(h.book, Side::Buy) == std::vector<Row>{{100, 1, 4}, {100, 2, 4}}));
  CHECK(h.book.level(Side::Buy, 0).head == h.idx[1] && h.book.level(Side::Buy, 0).qty == 8);
  CHECK(h.live(1) && h.live(2) && h.retired(11));
  CHECK(h.book.open_qty(0, Side::Buy) == 4);
  CHECK(consistent(h.book, 4));
  // Continuous trading afterwards: a sell of 5 at 100 hits order 1 (4) first, then order 2 (1).
  Taker t{20, 3, Side::Sell, Kind::Limit, 100, 5, false};
  CHECK(h.book.match(t, h.ctx) && t.leaves == 0);
  CHECK(h.sink.fills.size() == 3);
  if (h.sink.fills.size() == 3) {
    CHECK(h.sink.fills[1].maker_order == 1 && h.sink.fills[1].qty == 4 && !h.sink.fills[1].auction);
    CHECK(h.sink.fills[2].maker_order == 2 && h.sink.fills[2].qty == 1);
  }

  // Sell side: asks at 100: 11 (a1) 2, 12 (a2) 5, 13 (a3) 1; bid 1 (a0) 101x3.
  // Candidates 100 and 101 both volume 3, imbalance 5; reference 0 -> 100.
  // 1 x 11: 2 (11 done), 1 x 12: 1 (1 done, 12 leaves 4 and stays ahead of 13).
  Harness s(4);
  s.add(11, 1, Side::Sell, 100, 2);
  s.add(12, 2, Side::Sell, 100, 5);
  s.add(13, 3, Side::Sell, 100, 1);
  s.add(1, 0, Side::Buy, 101, 3);
  CHECK(s.book.uncross(0, s.ctx) == 100);
  CHECK(s.sink.fills.size() == 2);
  if (s.sink.fills.size() == 2) {
    CHECK(fill_is(s.sink.fills[0], 1, 11, 0, 1, 100, 2));
    CHECK(fill_is(s.sink.fills[1], 1, 12, 0, 2, 100, 1));
  }
  CHECK(s.log.size() == 2 && fill_event_is(s.log.buffer()[1], 1, 1, 0, 12, 2, 100, 1, 0, 4));
  CHECK((side_orders(s.book, Side::Sell) == std::vector<Row>{{100, 12, 4}, {100, 13, 1}}));
  CHECK(s.book.empty(Side::Buy));
  CHECK(s.retired(1) && s.retired(11) && s.live(12) && s.live(13));
  CHECK(consistent(s.book, 4));
  section_done("partial fill keeps priority");
}

static void test_reduce_only() {
  // Bid 1 (a0) 101x10. Asks: 11 (a2, reduce-only) 99x3, 12 (a2, reduce-only) 100x3,
  // 13 (a3) 100x5. Account 2 is long 4.
  //   p    buy  sell  exec  imb
  //   99    10    3     3     7
  //   100   10   11    10     1
  //   101   10   11    10     1    -> reference 100 -> 100 (indicative volume 10)
  // Walk: 1 x 11: cap 4 >= 3, fill 3 (a2 now long 1);
  //       12: cap 1 < 3 -> CANCEL 2 (REDUCE_ONLY, leaves 1), fill 1 (a2 flat);
  //       1 x 13: fill 5. Bid 1 keeps 1; executed 9 < indicative 10.
  {
    Harness h(4);
    h.sink.pos = {0, 0, 4, 0};
    h.add(1, 0, Side::Buy, 101, 10);
    h.add(11, 2, Side::Sell, 99, 3, true);
    h.add(12, 2, Side::Sell, 100, 3, true);
    h.add(13, 3, Side::Sell, 100, 5);
    CHECK(h.book.indicative_uncross(100) == std::make_pair(Price{100}, Qty{10}));
    CHECK(h.book.uncross(100, h.ctx) == 100);
    CHECK(h.sink.fills.size() == 3);
    if (h.sink.fills.size() == 3) {
      CHECK(fill_is(h.sink.fills[0], 1, 11, 0, 2, 100, 3));
      CHECK(fill_is(h.sink.fills[1], 1, 12, 0, 2, 100, 1));
      CHECK(fill_is(h.sink.fills[2], 1, 13, 0, 3, 100, 5));
    }
    const auto& ev = h.log.buffer();
    CHECK(ev.size() == 4);
    if (ev.size() == 4) {
      CHECK(fill_event_is(ev[0], 0, 1, 0, 11, 2, 100, 3, 7, 0));
      CHECK(cancel_event_is(ev[1], 12, 2, Side::Sell, 100, 2, 1) && ev[1].seq == 1);
      CHECK(fill_event_is(ev[2], 2, 1, 0, 12, 2, 100, 1, 6, 0));
      CHECK(fill_event_is(ev[3], 3, 1, 0, 13, 3, 100, 5, 1, 0));
    }
    CHECK((h.sink.pos == std::vector<Qty>{9, 0, 0, -5}));
    CHECK(side_orders(h.book, Side::Buy) == std::vector<Row>{{101, 1, 1}});
    CHECK(h.book.empty(Side::Sell));
    CHECK(h.live(1) && h.retired(11) && h.retired(12) && h.retired(13));
    CHECK(consistent(h.book, 4));
  }
  // Same book, account 2 long 3: 1 x 11 fills 3 (a2 flat); 12 has cap 0 -> CANCEL all 3
  // (leaves 0, retired); 1 x 13 fills 5; bid 1 keeps 2.
  {
    Harness h(4);
    h.sink.pos = {0, 0, 3, 0};
    h.add(1, 0, Side::Buy, 101, 10);
    h.add(11, 2, Side::Sell, 99, 3, true);
    h.add(12, 2, Side::Sell, 100, 3, true);
    h.add(13, 3, Side::Sell, 100, 5);
    CHECK(h.book.uncross(100, h.ctx) == 100);
    const auto& ev = h.log.buffer();
    CHECK(ev.size() == 3);
    if (ev.size() == 3) {
      CHECK(fill_event_is(ev[0], 0, 1, 0, 11, 2, 100, 3, 7, 0));
      CHECK(cancel_event_is(ev[1], 12, 2, Side::Sell, 100, 3, 0));
      CHECK(fill_event_is(ev[2], 2, 1, 0, 13, 3, 100, 5, 2, 0));
    }
    CHECK(h.sink.fills.size() == 2);
    CHECK(side_orders(h.book, Side::Buy) == std::vector<Row>{{101, 1, 2}});
    CHECK(h.book.empty(Side::Sell) && h.retired(12));
    CHECK((h.sink.pos == std::vector<Qty>{8, 0, 0, -5}));
    CHECK(consistent(h.book, 4));
  }
  // Buy side: 1 (a0, reduce-only) 101x5 with a0 short 2; 2 (a1) 100x5; ask 11 (a2) 100x6.
  //   100: buy 10, sell 6 -> 6 (imb 4); 101: buy 5, sell 6 -> 5.  -> 100.
  // 1: cap 2 -> CANCEL 3 (leaves 2); 1 x 11: 2 (1 done); 2 x 11: 4 (11 done, 2 keeps 1).
  {
    Harness h(3);
    h.sink.pos = {-2, 0, 0};
    h.add(1, 0, Side::Buy, 101, 5, true);
    h.add(2, 1, Side::Buy, 100, 5);
    h.add(11, 2, Side::Sell, 100, 6);
    CHECK(h.book.uncross(0, h.ctx) == 100);
    const auto& ev = h.log.buffer();
    CHECK(ev.size() == 3);
    if (ev.size() == 3) {
      CHECK(cancel_event_is(ev[0], 1, 0, Side::Buy, 101, 3, 2) && ev[0].seq == 0);
      CHECK(fill_event_is(ev[1], 1, 1, 0, 11, 2, 100, 2, 0, 4));
      CHECK(fill_event_is(ev[2], 2, 2, 1, 11, 2, 100, 4, 1, 0));
    }
    CHECK((h.sink.pos == std::vector<Qty>{0, 4, -6}));
    CHECK(side_orders(h.book, Side::Buy) == std::vector<Row>{{100, 2, 1}});
    CHECK(h.book.empty(Side::Sell));
    CHECK(h.retired(1) && h.retired(11) && h.live(2));
    CHECK(consistent(h.book, 3));
  }
  section_done("reduce-only trims");
}

static void test_no_stp() {
  // STP is not applied in the auction: account 0's bid 101x5 and ask 100x5 fill each other even
  // with cancel_oldest / cancel_newest configured. Candidates 100 and 101 tie (5, imb 0);
  // reference 100 -> 100.
  for (Stp stp : {Stp::CancelOldest, Stp::CancelNewest}) {
    Harness h(1, stp);
    h.add(1, 0, Side::Buy, 101, 5);
    h.add(2, 0, Side::Sell, 100, 5);
    CHECK(h.book.uncross(100, h.ctx) == 100);
    CHECK(h.sink.fills.size() == 1 && fill_is(h.sink.fills[0], 1, 2, 0, 0, 100, 5));
    CHECK(h.log.size() == 1 && fill_event_is(h.log.buffer()[0], 0, 1, 0, 2, 0, 100, 5, 0, 0));
    CHECK(h.sink.pos[0] == 0 && h.book.live_orders() == 0 && h.retired(1) && h.retired(2));
    CHECK(consistent(h.book, 1));
  }
  section_done("no self-trade prevention");
}

static void test_event_mask() {
  // Fills filtered out of the log still reach the sink and still consume sequence numbers.
  Harness h(2);
  h.log.set_mask(~(1u << static_cast<unsigned>(EventType::Fill)));
  h.add(1, 0, Side::Buy, 101, 5);
  h.add(11, 1, Side::Sell, 100, 3);
  h.add(12, 1, Side::Sell, 101, 1);
  CHECK(h.book.uncross(101, h.ctx) == 101);  // 100: min(5, 3) = 3; 101: min(5, 4) = 4
  CHECK(h.log.size() == 0 && h.log.next_seq() == 2 && h.sink.fills.size() == 2);
  CHECK(side_orders(h.book, Side::Buy) == std::vector<Row>{{101, 1, 1}});
  section_done("event mask");
}

// ---------------------------------------------------------------------------------------------
// Randomized comparison with a brute-force model of the rules.

struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {  // inclusive
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
};

struct ModelOrder {
  OrderId id;
  AccountId account;
  Side side;
  Price price;
  Qty leaves;
  bool reduce_only;
  int seq;
};

static std::pair<Price, Qty> model_price(const std::vector<ModelOrder>& orders, Price ref) {
  std::vector<Price> prices;
  for (const auto& o : orders) prices.push_back(o.price);
  std::sort(prices.begin(), prices.end());
  prices.erase(std::unique(prices.begin(), prices.end()), prices.end());
  Price best = 0;
  Qty best_exec = 0, best_imb = 0, best_dist = 0;
  bool have = false;
  for (Price p : prices) {
    Qty buy = 0, sell = 0;
    for (const auto& o : orders) {
      if (o.side == Side::Buy && o.price >= p) buy += o.leaves;
      if (o.side == Side::Sell && o.price <= p) sell += o.leaves;
    }
    const Qty exec = std::min(buy, sell);
    if (exec == 0) continue;
    const Qty imb = buy > sell ? buy - sell : sell - buy;
    const Qty dist = p > ref ? p - ref : ref - p;
    const auto k = std::make_tuple(-exec, imb, dist, p);
    if (!have || k < std::make_tuple(-best_exec, best_imb, best_dist, best)) {
      have = true;
      best = p;
      best_exec = exec;
      best_imb = imb;
      best_dist = dist;
    }
  }
  return have ? std::make_pair(best, best_exec) : std::make_pair(Price{0}, Qty{0});
}

struct ModelFill {
  OrderId buy, sell;
  Qty qty;
  bool operator==(const ModelFill&) const = default;
};

// Greedy price-time allocation at p with reduce-only trims; mutates orders and positions.
static std::vector<ModelFill> model_allocate(std::vector<ModelOrder>& orders, Price p,
                                             std::vector<Qty>& pos, int& cancels) {
  std::vector<ModelOrder*> bids, asks;
  for (auto& o : orders) {
    if (o.side == Side::Buy && o.price >= p) bids.push_back(&o);
    if (o.side == Side::Sell && o.price <= p) asks.push_back(&o);
  }
  std::sort(bids.begin(), bids.end(), [](auto* a, auto* b) {
    return std::make_pair(-a->price, a->seq) < std::make_pair(-b->price, b->seq);
  });
  std::sort(asks.begin(), asks.end(), [](auto* a, auto* b) {
    return std::make_pair(a->price, a->seq) < std::make_pair(b->price, b->seq);
  });
  auto trim = [&](ModelOrder* o) {
    if (!o->reduce_only) return;
    const Qty cap = reduce_cap(pos[o->account], o->side);
    if (o->leaves > cap) {
      o->leaves = cap;
      ++cancels;
    }
  };
  std::vector<ModelFill> out;
  std::size_t i = 0, j = 0;
  while (i < bids.size() && j < asks.size()) {
    trim(bids[i]);
    if (bids[i]->leaves == 0) {
      ++i;
      continue;
    }
    trim(asks[j]);
    if (asks[j]->leaves == 0) {
      ++j;
      continue;
    }
    const Qty f = std::min(bids[i]->leaves, asks[j]->leaves);
    bids[i]->leaves -= f;
    asks[j]->leaves -= f;
    pos[bids[i]->account] += f;
    pos[asks[j]->account] -= f;
    out.push_back({bids[i]->id, asks[j]->id, f});
    if (bids[i]->leaves == 0) ++i;
    if (asks[j]->leaves == 0) ++j;
  }
  return out;
}

static void test_random() {
  Rng rng{0x9e3779b97f4a7c15ULL};
  constexpr int kAccounts = 6;
  int cases = 0, crossed = 0, with_trims = 0;
  bool ok = true;
  for (int iter = 0; iter < 3000 && ok; ++iter) {
    Harness h(kAccounts);
    const bool use_ro = iter % 3 == 0;
    for (AccountId a = 0; a < kAccounts; ++a)
      h.sink.pos[a] = use_ro ? rng.uniform(-6, 6) : 0;
    std::vector<Qty> model_pos = h.sink.pos;
    const int n = static_cast<int>(rng.uniform(0, 14));
    const Price center = rng.uniform(100, 110);
    std::vector<ModelOrder> model;
    for (int k = 0; k < n; ++k) {
      const Side s = rng.uniform(0, 1) ? Side::Buy : Side::Sell;
      // Bids skew high and asks low so most books cross.
      const Price p = center + (s == Side::Buy ? 1 : -1) * rng.uniform(-3, 4);
      const Qty q = rng.uniform(1, 9);
      const auto a = static_cast<AccountId>(rng.uniform(0, kAccounts - 1));
      const bool ro = use_ro && rng.uniform(0, 2) == 0;
      const OrderId id = 100 + k;
      h.add(id, a, s, p, q, ro);
      model.push_back({id, a, s, p, q, ro, k});
    }
    const Price ref = rng.uniform(center - 6, center + 6);
    const auto want = model_price(model, ref);
    const auto got = h.book.indicative_uncross(ref);
    ++cases;
    if (got != want) {
      ok = false;
      std::printf("random FAIL iter %d: indicative (%lld, %lld) want (%lld, %lld)\n", iter,
                  static_cast<long long>(got.first), static_cast<long long>(got.second),
                  static_cast<long long>(want.first), static_cast<long long>(want.second));
      break;
    }
    const Price px = h.book.uncross(ref, h.ctx);
    if (px != want.first) ok = false;
    if (want.second == 0) {
      ok = ok && h.log.size() == 0 && h.sink.fills.empty() &&
           h.book.live_orders() == static_cast<std::size_t>(n);
      continue;
    }
    ++crossed;
    int cancels = 0;
    const auto want_fills = model_allocate(model, want.first, model_pos, cancels);
    if (cancels > 0) ++with_trims;
    std::vector<ModelFill> got_fills;
    Qty total = 0;
    for (const Fill& f : h.sink.fills) {
      got_fills.push_back({f.taker_order, f.maker_order, f.qty});
      total += f.qty;
      ok = ok && f.price == px && f.auction && f.taker_side == Side::Buy;
    }
    ok = ok && got_fills == want_fills && h.sink.pos == model_pos;
    ok = ok && h.log.size() == h.sink.fills.size() + static_cast<std::size_t>(cancels);
    ok = ok && total <= want.second && (use_ro || total == want.second);
    // Remaining book = model leftovers, in the same priority order; filled-out orders retired.
    std::vector<ModelOrder> left;
    for (const auto& o : model) {
      if (o.leaves > 0) {
        left.push_back(o);
        ok = ok && h.live(o.id);
      } else {
        ok = ok && h.retired(o.id);
      }
    }
    for (Side s : {Side::Buy, Side::Sell}) {
      std::vector<ModelOrder> side_left;
      for (const auto& o : left)
        if (o.side == s) side_left.push_back(o);
      std::sort(side_left.begin(), side_left.end(), [s](const auto& a, const auto& b) {
        const Price ka = s == Side::Buy ? -a.price : a.price;
        const Price kb = s == Side::Buy ? -b.price : b.price;
        return std::make_pair(ka, a.seq) < std::make_pair(kb, b.seq);
      });
      std::vector<Row> want_rows;
      for (const auto& o : side_left) want_rows.emplace_back(o.price, o.id, o.leaves);
      ok = ok && side_orders(h.book, s) == want_rows;
    }
    ok = ok && consistent(h.book, kAccounts);
    // Without trims, the volume-maximizing price leaves the book uncrossed.
    if (!use_ro)
      ok = ok && (h.book.empty(Side::Buy) || h.book.empty(Side::Sell) ||
                  h.book.best(Side::Buy).price < h.book.best(Side::Sell).price);
    if (!ok) std::printf("random FAIL iter %d (price %lld)\n", iter, static_cast<long long>(px));
  }
  CHECK(ok);
  section_done("random vs model");
  std::printf("  %d books, %d crossed, %d with reduce-only trims\n", cases, crossed, with_trims);
}

static void test_large_book() {
  // 200k levels per side, all crossed: bids 1..200000 x1, asks 1..200000 x1. At p the buy
  // volume is 200001 - p and the sell volume p: volume peaks at 100000 for p = 100000
  // (100001 vs 100000) and p = 100001 (100000 vs 100001), both imbalance 1, so the reference
  // decides: reference 1 -> 100000, reference 200000 -> 100001. At 100000 the bids
  // 200000..100001 fill the asks 1..100000 pairwise; left: bids 1..100000, asks 100001..200000.
  Harness h(2);
  constexpr Price kN = 200000;
  for (Price p = 1; p <= kN; ++p) h.add(p, 0, Side::Buy, p, 1);
  for (Price p = kN; p >= 1; --p) h.add(kN + p, 1, Side::Sell, p, 1);  // appends: best last
  CHECK(h.book.indicative_uncross(1) == std::make_pair(Price{100000}, Qty{100000}));
  CHECK(h.book.indicative_uncross(kN) == std::make_pair(Price{100001}, Qty{100000}));
  CHECK(h.book.uncross(1, h.ctx) == 100000);
  CHECK(h.sink.fills.size() == 100000);
  if (h.sink.fills.size() == 100000) {
    CHECK(fill_is(h.sink.fills.front(), kN, kN + 1, 0, 1, 100000, 1));
    CHECK(fill_is(h.sink.fills.back(), 100001, kN + 100000, 0, 1, 100000, 1));
  }
  CHECK(h.book.best(Side::Buy).price == 100000 && h.book.best(Side::Sell).price == 100001);
  CHECK(h.book.live_orders() == 200000 && h.book.level_count(Side::Buy) == 100000);
  CHECK((h.sink.pos == std::vector<Qty>{100000, -100000}));
  CHECK(consistent(h.book, 2));
  section_done("large book");
}

// The event log keeps its buffer sized ahead; a moved-from log must still be empty and usable.
void test_event_log_moves() {
  EventLog a;
  a.reserve_for(4);
  for (int i = 0; i < 3; ++i) a.emit(EventType::Accept, i, 0);
  EventLog b(std::move(a));
  a.emit(EventType::Fill, 9, 0);  // NOLINT(bugprone-use-after-move): the point of the test
  EventLog c;
  c = std::move(b);
  b.emit(EventType::Fill, 9, 0);  // NOLINT(bugprone-use-after-move)
  CHECK(a.size() == 1 && b.size() == 1 && c.size() == 3);
  CHECK(c.buffer()[2].seq == 2 && c.buffer()[2].ts == 2 && c.buffer()[2].order_id == 0);
}

int main() {
  test_event_log_moves();
  test_crossed_book();
  test_fifo_inside_levels();
  test_imbalance_then_reference();
  test_reference_tie();
  test_not_crossed();
  test_partial_keeps_priority();
  test_reduce_only();
  test_no_stp();
  test_event_mask();
  test_random();
  test_large_book();
  return checks_summary();
}
