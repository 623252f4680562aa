"""The type information liqsim ships: the `_core.pyi` stub and the package's annotations.

`mypy.stubtest` imports the built `liqsim._core` and compares every class, function, method and
property with the stub, so a binding added, renamed or removed without the stub fails here.
(pybind11 classes have their own metaclass, which a stub cannot spell; stubtest's only other
complaint, it is ignored.) mypy then checks the whole installed package, stub included, with
the settings of pyproject.toml's [tool.mypy] (every function annotated).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mypy  # noqa: F401  (a test extra: missing mypy is an install error, not a skip)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"


def run(*args: str, cwd: Path) -> tuple[int, list[str]]:
    """`python -m <args>` in `cwd` (a scratch directory: mypy's cache goes there, and the source
    tree is not on the path, so the installed package is what gets checked)."""
    proc = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=cwd)
    return proc.returncode, [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]


def test_core_stub_matches_the_built_module(tmp_path: Path) -> None:
    _, lines = run("mypy.stubtest", "liqsim._core", "--concise", "--mypy-config-file", str(CONFIG),
                   cwd=tmp_path)
    problems = [line for line in lines
                if line.startswith("liqsim._core") and not line.endswith("metaclass differs")]
    assert problems == [], "\n".join(problems)
    # It did look at the module: every pybind11 class shows up once, for its metaclass.
    assert any(line.startswith("liqsim._core.Engine ") for line in lines), "\n".join(lines)


def test_package_type_checks(tmp_path: Path) -> None:
    rc, lines = run("mypy", "-p", "liqsim", "--config-file", str(CONFIG),
                    "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path)
    assert rc == 0, "\n".join(lines)
    assert lines[-1].startswith("Success: no issues found"), "\n".join(lines)
