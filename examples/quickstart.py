"""Quick start: a tiny BTC perp book, a sweep, and the events it produced."""

import numpy as np

import liqsim

ex = liqsim.Exchange()
btc = ex.add_instrument("BTC-PERP", tick_size=0.1, lot_size=0.001, cash_unit=1e-6)
maker, taker = ex.add_account(), ex.add_account()

# A ladder of asks, one call for the whole batch (integer ticks and lots).
inst = ex.instrument(btc)
prices = inst.to_ticks(85000.0 + 0.5 * np.arange(10))
ex.submit_batch(order_id=np.arange(1, 11), account=maker, side=liqsim.Side.SELL,
                price=prices, qty=inst.to_lots(0.2))

# One market buy of 1 BTC sweeps five levels.
ex.submit(btc, taker, "buy", qty=1.0, kind="market")

events = ex.events_df()
fills = events[events["event"] == "FILL"]
print(fills[["order_id", "other_order_id", "price", "qty"]].assign(
    price_usd=inst.price(fills["price"].to_numpy()), btc=inst.qty(fills["qty"].to_numpy())))
print("best bid/ask:", ex.bbo(btc))
print("taker position (BTC):", inst.qty(ex.position(taker, btc)))
