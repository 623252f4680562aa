"""Calibration targets of the presets (DESIGN section 6), breakers off, on five seeds each.

The median of the five seeds must fall inside each target's range (five, not three: nov3's long
share is in range on 55-70% of seeds, and a three-seed median of such a target is close to a
coin flip). Targets the model does not meet yet are marked xfail with the reason (figures over
20 seeds: docs/calibration.md).
"""

from __future__ import annotations

import statistics

import pytest

from liqsim import scenarios
from liqsim.simulation import Simulation

SEEDS = (0, 1, 2, 3, 4)
_cache: dict[str, list[dict[str, float]]] = {}

# (preset, metric): why it is not met yet.
NOT_YET: dict[tuple[str, str], str] = {}  # all medians met (share of seeds: docs/calibration.md)


def metrics_of(name: str) -> list[dict[str, float]]:
    if name not in _cache:
        sc = scenarios.get(name)
        out = []
        for seed in SEEDS:
            sim = Simulation(sc, seed=seed).run()
            assert sim.exchange.ledger_total() == 0  # conservation at the end of every preset
            for inst in (0, 1):
                qty, _, _ = sim.exchange._engine.position_table(inst)
                assert int(qty.sum()) == 0
            out.append(sim.metrics())
        _cache[name] = out
    return _cache[name]


CASES = [pytest.param(name, t.metric, t.lo, t.hi, id=f"{name}-{t.metric}",
                      marks=[pytest.mark.xfail(reason=NOT_YET[(name, t.metric)], strict=False)]
                      if (name, t.metric) in NOT_YET else [])
         for name in scenarios.names() if name != "smoke"
         for t in scenarios.get(name).targets]


@pytest.mark.parametrize("name, metric, lo, hi", CASES)
def test_calibration_target(name: str, metric: str, lo: float, hi: float) -> None:
    values = [m[metric] for m in metrics_of(name)]
    median = statistics.median(values)
    assert lo <= median <= hi, f"{name} {metric}: median {median:.4g} of {values} outside [{lo}, {hi}]"
