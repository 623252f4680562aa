"""The `liqsim` command line: list scenarios, run one, compare policies, benchmark the engine.

    liqsim scenarios
    liqsim run nov21-2025 --policy luld --seed 3 --out out/luld-3
    liqsim compare nov21-2025 --policies none,luld,dcb --seeds 20 --jobs 2 --out out/cmp
    liqsim bench

Bad scenario or policy names exit with status 2 and a message naming the valid ones; other
failures exit with status 1.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ._core import InvalidConfigError, LiqsimError

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _load_scenario(name: str) -> Any:
    from .scenarios import get
    try:
        return get(name)
    except InvalidConfigError as e:
        raise click.BadParameter(str(e), param_hint="SCENARIO") from None


def _load_policies(spec: str, hint: str) -> list[Any]:
    from .policies import get_policy
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise click.BadParameter("give at least one policy", param_hint=hint)
    try:
        return [get_policy(n) for n in names]
    except InvalidConfigError as e:
        raise click.BadParameter(str(e), param_hint=hint) from None


@contextmanager
def _errors() -> Iterator[None]:
    """Configuration errors become usage errors (exit 2), other liqsim errors exit 1."""
    try:
        yield
    except InvalidConfigError as e:
        raise click.UsageError(str(e)) from None
    except LiqsimError as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:  # writing the outputs, reaching a scheduler
        raise click.ClickException(f"{type(e).__name__}: {e}") from None


def _writable_dir(out: Path) -> Path:
    """Create `out` (and parents) and check a file can be written there, before any work runs:
    a bad path should fail in a second, not after an hour of simulation."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".liqsim-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise click.BadParameter(f"cannot write to {out}: {e.strerror or e}", param_hint="'--out'") from None
    return out


def _progress(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag


_progress_option: Callable[[Any], Any] = click.option(
    "--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal).")


@click.group(context_settings=_CONTEXT)
@click.version_option(package_name="liqsim", prog_name="liqsim")
def main() -> None:
    """liqsim: liquidation-cascade experiments on an emulated exchange clearing engine.

    Run a scenario under a circuit-breaker or clearing policy, or compare policies over paired
    seeds and write a report.
    """


@main.command("scenarios")
def scenarios_cmd() -> None:
    """List the scenario presets."""
    from .report import format_table
    from .scenarios import PRESETS
    import pandas as pd

    rows = []
    for name, make in PRESETS.items():
        sc = make()
        doc = (make.__doc__ or sc.description or "").strip().splitlines()
        rows.append({"name": name, "scale": sc.scale, "duration": f"{sc.duration_s / 3600:g} h"
                     if sc.duration_s >= 3600 else f"{sc.duration_s / 60:g} min",
                     "description": doc[0] if doc else ""})
    click.echo(format_table(pd.DataFrame(rows), index=False))


@main.command("policies")
def policies_cmd() -> None:
    """List the named policies (combine them with '+')."""
    from .policies import POLICIES

    width = max(map(len, POLICIES))
    for name, p in POLICIES.items():
        click.echo(f"{name.ljust(width)}  {p.description}")


@main.command("run")
@click.argument("scenario")
@click.option("--policy", "-p", default="none", show_default=True,
              help="Policy name (see `liqsim policies`); combine with '+', e.g. luld+liq_pause.")
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(0, 2**64 - 1))
@click.option("--out", "-o", required=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Output directory: metrics.json, timeseries.parquet, events/<type>.parquet, "
                   "liquidations.parquet.")
@_progress_option
def run_cmd(scenario: str, policy: str, seed: int, out: Path, progress: bool | None) -> None:
    """Run a scenario once under a policy.

    DIR gets metrics.json, timeseries.parquet, events/<type>.parquet and liquidations.parquet
    (one row per liquidation: margin ratio when it ran, closes, deficit, halt timing).
    """
    from .harness import HEADLINE_METRICS, run
    from .report import fmt_number

    sc = _load_scenario(scenario)
    pol = _load_policies(policy, "'--policy'")
    if len(pol) != 1:
        raise click.BadParameter("give one policy (use `liqsim compare` for several)", param_hint="'--policy'")
    _writable_dir(out)
    with _errors():
        res = run(sc, pol[0], seed, progress=_progress(progress))
        res.to_parquet(out)
    rows = [(m, res.metrics[m]) for m in HEADLINE_METRICS]
    rows += [(f"liquidated {k}", res.liquidation_summary[k])
             for k in ("accounts", "underwater_share", "margin_ratio_median", "reopen_burst_share")]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name:>{width}}  {fmt_number(value)}")
    click.echo(f"wrote {out}")


@main.command("compare")
@click.argument("scenario")
@click.option("--policies", "-p", default="none,luld", show_default=True,
              help="Comma-separated policy names; the first is the baseline.")
@click.option("--seeds", "-n", default=10, show_default=True, type=click.IntRange(1),
              help="Number of paired seeds.")
@click.option("--seed-start", default=0, show_default=True, type=click.IntRange(0),
              help="First seed (seeds are seed-start .. seed-start + N - 1).")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Worker processes (default: one per CPU; 1 runs in this process).")
@click.option("--dask", "dask_address", metavar="ADDRESS", default=None,
              help="Run on a dask.distributed scheduler at ADDRESS (e.g. tcp://host:8786).")
@click.option("--dask-local", is_flag=True, help="Run on a local Dask cluster of --jobs workers.")
@click.option("--fork-at", type=click.FloatRange(0), metavar="SECONDS", default=None,
              help="Share the baseline's history up to SECONDS, then fork every policy from that state.")
@click.option("--out", "-o", required=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Output directory: results.parquet, summary.csv, report.md/.html, figures.")
@_progress_option
def compare_cmd(scenario: str, policies: str, seeds: int, seed_start: int, jobs: int | None,
                dask_address: str | None, dask_local: bool, fork_at: float | None, out: Path,
                progress: bool | None) -> None:
    """Compare policies over paired seeds and write a report.

    Every policy runs SCENARIO with the same seeds (same random streams); the first policy is the
    baseline. DIR gets results.parquet, summary.csv, report.md, report.html and PNG figures.
    """
    from .harness import compare
    from .report import format_table

    if dask_address and dask_local:
        raise click.UsageError("use either --dask ADDRESS or --dask-local, not both")
    sc = _load_scenario(scenario)
    pols = _load_policies(policies, "'--policies'")
    backend = "dask" if dask_address or dask_local else "local"
    _writable_dir(out)
    with _errors():
        cmp = compare(sc, pols, range(seed_start, seed_start + seeds), backend=backend, jobs=jobs,
                      dask_address=dask_address, fork_at=fork_at, progress=_progress(progress))
        cmp.to_dir(out)
    click.echo(format_table(cmp.headline()))
    click.echo(f"wrote {out}/report.md")


@main.command("bench")
@click.option("--scenario", "scenario_names", multiple=True, default=("smoke", "nov21-2025"),
              show_default=True, help="Scenario to time (repeatable).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0))
def bench_cmd(scenario_names: tuple[str, ...], seed: int) -> None:
    """Time one run per scenario (engine events/s).

    Events/s = engine events emitted (stored or not) / wall time of `Simulation.run()`.
    """
    from .simulation import Simulation

    scenarios = [_load_scenario(n) for n in scenario_names]
    click.echo(f"{'scenario':<14} {'sim time':>10} {'events':>12} {'wall s':>8} {'events/s':>12}")
    for sc in scenarios:
        with _errors():
            sim = Simulation(sc, seed)
            t0 = time.perf_counter()
            sim.run()
            wall = time.perf_counter() - t0
        events = sim.events_emitted
        click.echo(f"{sc.name:<14} {sc.duration_s:>9g}s {events:>12,} {wall:>8.2f} {events / wall:>12,.0f}")
