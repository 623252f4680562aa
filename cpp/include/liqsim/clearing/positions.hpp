// Positions of one instrument: signed lots per account plus the cost basis used to show entry
// price and realized PnL. Cash-flow accounting makes the basis display-only: equity is always
// cash + position x mark.
#pragma once
#include "liqsim/account_array.hpp"
#include "liqsim/types.hpp"

namespace liqsim {

struct PositionBook {
  AccountArray<Qty> qty;        // signed lots
  AccountArray<Cash> basis;     // signed cost of the open lots (price x lots x cash/tick-lot)
  AccountArray<Cash> realized;  // realized PnL of closed lots, before fees and funding
  Qty open_interest = 0;        // sum of long positions (= sum of shorts), lots

  void resize(std::size_t traders) {
    qty.resize(traders);
    basis.resize(traders);
    realized.resize(traders);
  }

  // Moves `delta` lots into account `a` at `price_cash` = price x cash-per-tick-lot (cash per
  // lot), keeping the average-cost basis and realized PnL.
  void apply(AccountId a, Qty delta, Cash price_cash) {
    Qty& p = qty[a];
    Cash& b = basis[a];
    open_interest += (p + delta > 0 ? p + delta : 0) - (p > 0 ? p : 0);
    if (p == 0 || (p > 0) == (delta > 0)) {
      b += delta * price_cash;
      p += delta;
      return;
    }
    const Qty abs_p = p > 0 ? p : -p;
    const Qty abs_d = delta > 0 ? delta : -delta;
    const Qty closed = abs_d < abs_p ? abs_d : abs_p;
    // b x closed / abs_p, in 64 bits when the product fits (nearly always: it saves a
    // 128-bit division per closing fill); the same truncation either way.
    Cash prod = 0;
    const Cash released = __builtin_mul_overflow(b, closed, &prod)
                              ? static_cast<Cash>(static_cast<int128>(b) * closed / abs_p)
                              : prod / abs_p;
    const Cash proceeds = (p > 0 ? closed : -closed) * price_cash;
    realized[a] += proceeds - released;
    b -= released;
    p += delta;
    if (abs_d > abs_p) b = p * price_cash;  // flipped: the rest opens at this price
    if (p == 0) b = 0;
  }
};

}  // namespace liqsim
