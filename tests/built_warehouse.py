"""One build of a raw folder per test session, shared by the test files that only read the warehouse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPOSITORY

BUNDLED_DATA = REPOSITORY / "data" / "raw"  # what ./dev build reads and the README's examples show
_built: dict[Path, Path] = {}


def build(raw_dir: Path, warehouse_dir: Path) -> Path:
    """Run `python -m pipeline build` as a user would; the published warehouse folder."""
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "--raw", str(raw_dir), "--warehouse", str(warehouse_dir)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return warehouse_dir


def built_once(raw_dir: Path, factory: pytest.TempPathFactory) -> Path:
    """The warehouse built from raw_dir, built at the first call of the session."""
    if raw_dir not in _built:
        _built[raw_dir] = build(raw_dir, factory.mktemp("warehouse"))
    return _built[raw_dir]
