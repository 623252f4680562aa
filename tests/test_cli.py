"""The `liqsim` command line, run as a subprocess (`python -m liqsim`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from liqsim.metrics import METRIC_NAMES


def liqsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "liqsim", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_run_writes_contract(tmp_path: Path) -> None:
    p = liqsim("run", "smoke", "--policy", "luld", "--seed", "1", "--out", "out", "--no-progress", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    out = tmp_path / "out"
    record = json.loads((out / "metrics.json").read_text())
    assert set(METRIC_NAMES) <= set(record)
    assert (record["scenario"], record["policy"], record["seed"]) == ("smoke", "luld", 1)
    assert "exogenous_notional" in record
    assert (out / "timeseries.parquet").is_file()
    assert (out / "events" / "fill.parquet").is_file()
    assert len(pd.read_parquet(out / "liquidations.parquet")) == len(pd.read_parquet(out / "events" / "liquidation.parquet"))
    assert "liquidation_notional" in p.stdout and "liquidated margin_ratio_median" in p.stdout


def test_compare_writes_report(tmp_path: Path) -> None:
    p = liqsim("compare", "smoke", "--policies", "none,luld", "--seeds", "2", "--jobs", "1", "--out", "out",
               "--no-progress", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    out = tmp_path / "out"
    for name in ("results.parquet", "summary.csv", "report.md", "report.html", "price_path.png",
                 "depth.png", "metrics.png", "forest.png", "liquidations.png", "liquidations.csv"):
        assert (out / name).is_file(), name
    res = pd.read_parquet(out / "results.parquet")
    assert res.shape == (4, 2 + len(METRIC_NAMES))
    assert "liq_diff_median" in p.stdout and "| luld" in p.stdout


def test_scenarios_lists_presets(tmp_path: Path) -> None:
    p = liqsim("scenarios", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "nov21-2025" in p.stdout and "smoke" in p.stdout


def test_unknown_scenario(tmp_path: Path) -> None:
    p = liqsim("run", "nope", "--out", "out", cwd=tmp_path)
    assert p.returncode == 2
    assert "unknown scenario 'nope'" in p.stderr and "smoke" in p.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_policy(tmp_path: Path) -> None:
    p = liqsim("compare", "smoke", "--policies", "none,nope", "--seeds", "1", "--out", "out", cwd=tmp_path)
    assert p.returncode == 2
    assert "unknown policy 'nope'" in p.stderr and "luld" in p.stderr
    p = liqsim("run", "smoke", "--policy", "nope", "--out", "out", cwd=tmp_path)
    assert p.returncode == 2 and "unknown policy" in p.stderr


def test_fork_with_clearing_policy_fails_cleanly(tmp_path: Path) -> None:
    p = liqsim("compare", "smoke", "--policies", "none,adl_pro_rata", "--seeds", "1", "--fork-at", "100",
               "--out", "out", cwd=tmp_path)
    assert p.returncode == 2
    assert "clearing rules cannot be switched mid-run" in p.stderr
    assert "Traceback" not in p.stderr
