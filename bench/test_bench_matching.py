"""pytest-benchmark versions of the matching benchmark (small n), run by hand:

    python -m pytest bench/ --benchmark-only

They are not part of the test suite: pytest's testpaths is tests/, and when collected anyway
(`pytest bench/` without --benchmark-only, `pytest .`) they skip themselves unless
LIQSIM_BENCH=1 is set. n defaults to 100,000 orders (env LIQSIM_BENCH_N). Each round runs on a
fresh exchange / book built in an untimed setup.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import liquibook_driver as lbd  # noqa: E402
from workload import make_workload  # noqa: E402

pytest.importorskip("pytest_benchmark")
liqsim = pytest.importorskip("liqsim")

N = int(os.environ.get("LIQSIM_BENCH_N", "100000"))
FILL = 3


@pytest.fixture(autouse=True)
def _benchmarks_only(request):
    if not (request.config.getoption("benchmark_only", False) or os.environ.get("LIQSIM_BENCH")):
        pytest.skip("benchmark: run with python -m pytest bench/ --benchmark-only")


@pytest.fixture(scope="module")
def workload() -> dict[str, np.ndarray]:
    return make_workload(N, seed=0)


def _exchange():
    ex = liqsim.Exchange()
    ex.add_instrument("X", tick_size=1.0, lot_size=1.0, cash_unit=1.0, stp="none")
    ex.add_accounts(1000)
    return ex


def _fills(events: np.ndarray) -> tuple[int, int]:
    f = events["type"] == FILL
    return int(np.count_nonzero(f)), int(events["qty"][f].sum())


@pytest.fixture(scope="module")
def expected(workload) -> tuple[int, int]:
    """Fill count and volume of the workload, from one untimed liqsim batch run."""
    ex = _exchange()
    ex.submit_batch(**workload)
    return _fills(ex.drain_events())


def test_liqsim_batch(benchmark, workload, expected):
    def run(ex):
        ex.submit_batch(**workload)
        return ex.drain_events()

    benchmark.extra_info["orders"] = N
    events = benchmark.pedantic(run, setup=lambda: ((_exchange(),), {}), rounds=10, iterations=1)
    assert _fills(events) == expected


def test_liqsim_per_order(benchmark, workload, expected):
    cols = tuple(workload[k].tolist() for k in ("cmd", "order_id", "account", "side", "kind",
                                                 "price", "qty", "ts"))

    def run(ex):
        sub, can = ex.submit_ticks, ex.cancel
        for c, oid, a, s, k, p, q, t in zip(*cols):
            if c == 0:
                sub(0, a, s, p, q, kind=k, order_id=oid, ts=t)
            else:
                can(oid, ts=t)
        return ex.drain_events()

    benchmark.extra_info["orders"] = N
    events = benchmark.pedantic(run, setup=lambda: ((_exchange(),), {}), rounds=3, iterations=1)
    assert _fills(events) == expected


@pytest.mark.skipif(not lbd.available(), reason="liquibook not installed (pip install liquibook)")
def test_liquibook(benchmark, workload, expected):
    cols = lbd.as_lists(workload)
    benchmark.extra_info["orders"] = N
    # run_liquibook builds its book and listener before its timed loop; pytest-benchmark times
    # the whole call, which adds only the (small) construction of an empty book
    r = benchmark.pedantic(lbd.run_liquibook, args=(cols,), rounds=3, iterations=1)
    assert (r.fills, r.volume) == expected
