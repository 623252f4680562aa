"""Runs the standalone C++ unit programs in tests/cpp (margin tiers, mark price, funding, ADL,
auction, breakers, order-id map, parked accounts, trigger index) built with AddressSanitizer and UBSan, so CI checks the C++ components
directly and under sanitizers, not only through the bindings. The parallel-settlement program
links the whole engine and is built with ThreadSanitizer instead: it runs two threads."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CXX = shutil.which("g++") or shutil.which("c++")

# test program -> engine sources it links
PROGRAMS = {
    "test_clearing_math.cpp": ["clearing/margin_tiers.cpp", "clearing/mark_price.cpp", "clearing/funding.cpp"],
    "test_adl.cpp": ["risk/adl.cpp"],
    "test_auction.cpp": ["book/order_book.cpp", "book/auction.cpp", "events.cpp"],
    "test_breakers.cpp": ["control/breakers.cpp"],
    "test_id_map.cpp": [],
    "test_parking.cpp": [],
    "test_trigger_index.cpp": [],
    "test_parallel_settlement.cpp": sorted(str(p.relative_to(ROOT / "cpp" / "src"))
                                           for p in (ROOT / "cpp" / "src").rglob("*.cpp")),
}
THREADED = {"test_parallel_settlement.cpp"}
FLAGS = ["-std=c++20", "-O1", "-g", "-Wall", "-Wextra", "-Wpedantic", "-Wshadow", "-Wconversion",
         "-Wno-sign-conversion", "-Werror"]
SANITIZERS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
THREAD_SANITIZER = ["-fsanitize=thread", "-pthread"]


@pytest.mark.skipif(CXX is None, reason="no C++ compiler")
@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_cpp_unit_program(program: str, tmp_path: Path) -> None:
    src = ROOT / "tests" / "cpp" / program
    deps = [ROOT / "cpp" / "src" / d for d in PROGRAMS[program]]
    # A renamed source must fail here, not skip: these programs are part of the suite.
    missing = [str(p) for p in (src, *deps) if not p.exists()]
    assert not missing, f"{program}: sources not found: {missing} (update PROGRAMS)"
    exe = tmp_path / program.removesuffix(".cpp")
    sanitizers = THREAD_SANITIZER if program in THREADED else SANITIZERS
    build = subprocess.run([CXX, *FLAGS, *sanitizers, "-I", str(ROOT / "cpp" / "include"), str(src),
                            *map(str, deps), "-o", str(exe)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-4000:]
    # halt_on_error: a data race fails the run (ThreadSanitizer only reports it by default).
    env = {**os.environ, "TSAN_OPTIONS": "halt_on_error=1"}
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert "0 failures" in run.stdout, run.stdout[-2000:]
