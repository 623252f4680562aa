"""pytest-benchmark versions of the liquidation-trigger benchmark, run by hand:

    python -m pytest bench/test_bench_liquidation.py --benchmark-only

Not part of the test suite: pytest's testpaths is tests/, and when collected anyway (`pytest
bench/` without --benchmark-only, `pytest .`) they skip themselves unless LIQSIM_BENCH=1 is
set. One exchange with N leveraged longs on a known liquidation-price grid is built per module
(bench_liquidation_triggers.Scenario, untimed; N from env LIQSIM_BENCH_LIQ_N, default 100,000)
and every round times one `Exchange.set_mark`. A round that triggers k accounts liquidates the
next k ranks of the grid (fresh accounts each round, bids for them placed in the untimed
setup), so rounds need no rebuild; the liquidated set is checked after each test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest.importorskip("pytest_benchmark")
pytest.importorskip("liqsim")

import bench_liquidation_triggers as blt  # noqa: E402

N = int(os.environ.get("LIQSIM_BENCH_LIQ_N", "100000"))
K_ROUNDS = 30


@pytest.fixture(autouse=True)
def _benchmarks_only(request):
    if not (request.config.getoption("benchmark_only", False) or os.environ.get("LIQSIM_BENCH")):
        pytest.skip("benchmark: run with python -m pytest bench/ --benchmark-only")


@pytest.fixture(scope="module")
def scenario() -> blt.Scenario:
    sc = blt.Scenario(N)
    sc.check_setup()
    sc.prepare_scan()
    return sc


def _check_liquidated(sc: blt.Scenario) -> None:
    """Exactly the ranks triggered so far are flat; everyone else still holds the long."""
    flat = np.flatnonzero(sc.ex.positions(0)[: sc.n] == 0)
    assert np.array_equal(flat, np.sort(sc.account_of_rank[: sc.cursor]))


def test_set_mark_triggers_none(benchmark, scenario):
    ex = scenario.ex
    step = iter(range(10**9))

    def setup():  # alternate between two marks above every liquidation price
        return (0, blt.NONE_MARKS[next(step) % 2] * blt.TICK), {}

    benchmark.extra_info["accounts"] = N
    benchmark.pedantic(ex.set_mark, setup=setup, rounds=2000, iterations=1, warmup_rounds=100)
    _check_liquidated(scenario)


@pytest.mark.parametrize("k", [10, 100])
def test_set_mark_triggers_k(benchmark, scenario, k):
    if scenario.cursor + (K_ROUNDS + 1) * k > N:
        pytest.skip(f"N={N} has too few accounts left for {K_ROUNDS} rounds of k={k}")
    ex = scenario.ex

    def setup():  # next mark down: crosses the LPs of exactly k fresh accounts
        _, price = scenario.trigger_args(k)
        return (0, price), {}

    benchmark.extra_info["accounts"] = N
    benchmark.extra_info["triggered_per_round"] = k
    benchmark.pedantic(ex.set_mark, setup=setup, rounds=K_ROUNDS, iterations=1)
    _check_liquidated(scenario)


def test_full_scan_numpy(benchmark, scenario):
    """equity < maintenance for every account (numpy, arrays fetched from the engine)."""
    benchmark.extra_info["accounts"] = N
    hits = benchmark.pedantic(scenario.scan_numpy, rounds=10, iterations=1)
    assert len(hits) == 0  # set_mark already liquidated everyone below maintenance
