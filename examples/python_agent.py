"""A Python agent in a C++ scenario: a dip buyer that steps in after a 3% fall.

Run: python examples/python_agent.py
"""

from __future__ import annotations

from typing import Any, Mapping

import liqsim
from liqsim import scenarios
from liqsim.agents import MarketView, PythonAgent
from liqsim.simulation import Simulation


class DipBuyer(PythonAgent):
    """Buys `clip` USD of perp with a market order each time the mark is `trigger` below P0,
    at most `max_clips` times; acts every 5 simulated seconds."""

    dt = 5.0

    def __init__(self, trigger: float = 0.03, clip: float = 20_000.0, max_clips: int = 5) -> None:
        self.trigger, self.clip, self.max_clips = trigger, clip, max_clips
        self.account = -1
        self.clips = 0

    def setup(self, sim: Simulation) -> None:
        self.account = sim.exchange.add_account()
        sim.exchange.deposit(self.account, 10 * self.clip * self.max_clips)

    def act(self, view: MarketView) -> Mapping[str, Any] | None:
        if view.halted or self.clips >= self.max_clips:
            return None
        if view.mark < (1 - self.trigger) * view.scenario.price0:
            self.clips += 1
            return {"instrument": 0, "account": self.account, "side": liqsim.Side.BUY,
                    "kind": liqsim.Kind.MARKET, "price": 0, "qty": view.lots(self.clip)}
        return None


def main() -> None:
    agent = DipBuyer(trigger=0.005, clip=5_000.0)
    sim = Simulation(scenarios.get("smoke"), seed=1, agents=[agent])
    sim.run()
    print(f"dip buyer bought {agent.clips} clips; position "
          f"{sim.exchange.position(agent.account, 0) * sim.scenario.lot_size:.3f} BTC")


if __name__ == "__main__":
    main()
