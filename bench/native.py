"""Building and feeding the bench's standalone C++ programs (lean_book.cpp, engine_driver.cpp).

`build_cached` compiles with `$CXX` (else `c++`/`g++`) into a per-user cache directory, once per
digest of the inputs and flags, writing whole binaries only. `write_columns` writes workload
columns as the raw arrays the programs read (raw_columns.hpp, load_workload).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_BUILD_DIR = Path(tempfile.gettempdir()) / f"liqsim-bench-{os.getuid()}"


def build_cached(name: str, inputs: list[Path], flags: list[str],
                 build_dir: Path = DEFAULT_BUILD_DIR) -> Path:
    """Binary `name-<digest>` compiled from the .cpp files among `inputs` (headers count for
    the digest only) with `flags`; reused while inputs and flags are unchanged."""
    h = hashlib.sha256(" ".join(flags).encode())
    for p in inputs:
        h.update(p.read_bytes())
    exe = build_dir / f"{name}-{h.hexdigest()[:12]}"
    if exe.exists():
        return exe
    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if cxx is None:
        raise SystemExit("no C++ compiler found (set CXX)")
    build_dir.mkdir(parents=True, exist_ok=True)
    tmp = exe.with_name(f"{exe.name}.{os.getpid()}.tmp")
    units = [str(p) for p in inputs if p.suffix == ".cpp"]
    subprocess.run([cxx, *flags, *units, "-o", str(tmp)], check=True)
    os.replace(tmp, exe)  # whole binaries only: an interrupted build leaves nothing behind
    return exe


def write_columns(w: dict[str, np.ndarray], where: Path) -> None:
    """Each column of `w` as the raw array file `<name>.<kind><bits>` in `where` (`cmd.u8`,
    `price.i64`, ...: the names raw_columns.hpp reads)."""
    for name, col in w.items():
        col = np.ascontiguousarray(col)
        col.tofile(where / f"{name}.{col.dtype.kind}{col.dtype.itemsize * 8}")
