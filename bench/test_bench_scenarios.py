"""pytest-benchmark: whole scenario runs (`pytest bench/test_bench_scenarios.py --benchmark-only`)."""

from liqsim import scenarios
from liqsim.simulation import Simulation


def test_smoke_day(benchmark):
    sc = scenarios.get("smoke")
    sim = benchmark(lambda: Simulation(sc, seed=0).run())
    assert sim.exchange.ledger_total() == 0


def test_nov21_day(benchmark):
    sc = scenarios.get("nov21-2025")
    sim = benchmark.pedantic(lambda: Simulation(sc, seed=0).run(), rounds=1, iterations=1)
    assert sim.exchange.ledger_total() == 0
