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
    open_interest += apply_to(qty[a], basis[a], realized[a], delta, price_cash);
  }

  // The same on one account's slots (also used by the settlement thread, which works on raw
  // slots); returns the change of open interest.
  static Qty apply_to(Qty& qty_slot, Cash& basis_slot, Cash& realized_slot, Qty delta,
                      Cash price_cash) {
    const Qty p = qty_slot;
    const Cash b = basis_slot;
    const Qty np = p + delta;
    qty_slot = np;
    // Whether a fill opens or closes is a coin toss to the branch predictor (it mispredicted
    // about once every other order), so both cases run the same straight-line code: an opening
    // fill closes 0 lots and divides by 1.
    // Flags as full-width masks (all ones or zero): a bool spilled as a byte and read back as
    // a word stalled on store forwarding.
    const Qty closing_mask = -static_cast<Qty>(((p ^ delta) < 0) & (p != 0));  // opposite signs
    const Qty abs_p = p > 0 ? p : -p;
    const Qty abs_d = delta > 0 ? delta : -delta;
    const Qty closed = (abs_d < abs_p ? abs_d : abs_p) & closing_mask;
    const Qty div = abs_p | (~closing_mask & 1);  // > 0; any value when closed == 0
    // b x closed / abs_p, in 64 bits when the product fits (nearly always: it saves a 128-bit
    // division); the same truncation either way. Closing everything releases exactly b.
    Cash prod = 0;
    const Cash released = __builtin_expect(__builtin_mul_overflow(b, closed, &prod), 0)
                              ? static_cast<Cash>(static_cast<int128>(b) * closed / div)
                              : prod / div;
    realized_slot += (p > 0 ? closed : -closed) * price_cash - released;
    const Cash kept = b - released + ((delta * price_cash) & ~closing_mask);
    // A flip closes all of p (kept == 0) and opens the rest at this price.
    const Cash flip_mask = closing_mask & -static_cast<Cash>(abs_d > abs_p);
    basis_slot = kept ^ ((kept ^ (np * price_cash)) & flip_mask);
    return (np > 0 ? np : 0) - (p > 0 ? p : 0);
  }
};

}  // namespace liqsim
