"""Flushing to disk: what makes a rename a durable publish (pipeline/warehouse.py) or cache batch (pipeline/cache.py).

In: a file or folder path. Out: its data (a file) or its entries (a folder) on disk, so that a power cut after a
rename cannot leave a name pointing at what was never written.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync(path: Path) -> None:
    """Flush a file's data or a folder's entries to disk."""
    descriptor = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
