"""Step 1: the raw folder -> one row per file with its content hash, for a stat per unchanged file.

In: the raw folder, and the manifest the previous scan left (`<warehouse>/.cache/manifest.parquet`). Out: the scan,
an Arrow table (SCAN_SCHEMA) with one row per file found, in report_id order: where it is, its size, mtime and
content hash, and what becomes of it, by the rules of pipeline/inventory.py:
- `skip_reason` set: a hidden or temporary file or a link to a folder, listed but not read;
- `error` set: a file that cannot be read, a broken or looping link, a file over the size limit (status failed);
- `duplicate_of` set: the same bytes as an earlier file (regular files first, then links); skipped, naming it;
- otherwise an original: its content hash says which parse result (pipeline/cache.py) is its.
A file's hash is taken from the manifest when its path, size, mtime_ns, inode and device are those recorded, so a
nightly scan of an unchanged folder reads no file at all; other files are hashed on a few threads (hashing and
reading release the GIL). `scan_fingerprint` digests the scan: equal fingerprints, the same files.
"""

from __future__ import annotations

import hashlib
import operator
import os
import stat
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.inventory import _unreadable, max_file_bytes, skip_reason

HASH_THREADS = 4
SCAN_SCHEMA = pa.schema(
    [
        pa.field("report_id", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("is_link", pa.bool_(), nullable=False),
        pa.field("size_bytes", pa.int64()),
        pa.field("mtime_ns", pa.int64()),
        pa.field("inode", pa.int64()),
        pa.field("device", pa.int64()),
        pa.field("content_hash", pa.string()),
        pa.field("skip_reason", pa.string()),
        pa.field("error", pa.string()),
        pa.field("duplicate_of", pa.string()),
    ]
)
MANIFEST_COLUMNS = ("path", "size_bytes", "mtime_ns", "inode", "device", "content_hash")
_FOLDER_LINK = "a symbolic link to a folder; links to folders are not followed"


def _listing(raw_dir: Path) -> list[dict]:
    """Every entry below raw_dir as scan rows (no hash yet), never following links to folders.

    Plain strings and one `lstat` per file (a second `stat` only for links): pathlib objects cost more than the
    system calls here, and this runs on every file at every refresh."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw report folder not found: {raw_dir}")
    root = str(raw_dir)
    start = len(root.rstrip("/")) + 1  # report ids are paths relative to raw_dir, with forward slashes
    rows = []
    for folder, subfolders, files in os.walk(root, followlinks=False):
        folder = folder if folder.endswith("/") else folder + "/"
        for name in subfolders:
            path = folder + name
            if os.path.islink(path):
                rows.append(_row(path[start:], path, is_link=True, skip_reason=_FOLDER_LINK))
        for name in files:
            path = folder + name
            relative = path[start:]
            try:
                status = os.lstat(path)
                is_link = stat.S_ISLNK(status.st_mode)
            except OSError:
                status, is_link = None, False
            row = _row(relative, path, is_link=is_link, skip_reason=skip_reason(relative))
            try:
                status = os.stat(path) if is_link or status is None else status
            except OSError as err:
                if not row["skip_reason"]:
                    row["error"] = _unreadable(Path(path), err)
            else:
                row["size_bytes"], row["mtime_ns"] = status.st_size, status.st_mtime_ns
                row["inode"], row["device"] = status.st_ino, status.st_dev
            rows.append(row)
    rows.sort(key=operator.itemgetter("report_id"))
    return rows


def _row(report_id: str, path: str, is_link: bool, skip_reason: str | None) -> dict:
    return {
        "report_id": report_id,
        "path": path,
        "is_link": is_link,
        "size_bytes": None,
        "mtime_ns": None,
        "inode": None,
        "device": None,
        "content_hash": None,
        "skip_reason": skip_reason,
        "error": None,
        "duplicate_of": None,
    }


def read_manifest(path: Path | None) -> dict[str, tuple]:
    """path -> (size, mtime_ns, inode, device, content hash) of the previous scan; empty if there is none."""
    if path is None or not path.exists():
        return {}
    try:
        table = pq.ParquetFile(path).read(
            columns=list(MANIFEST_COLUMNS)
        )  # (read_table imports pyarrow.dataset: seconds)
    except (OSError, pa.ArrowException):  # damaged: every file is hashed again, which is only slower
        return {}
    columns = [table.column(name).to_pylist() for name in MANIFEST_COLUMNS]
    return {row[0]: row[1:] for row in zip(*columns, strict=True)}


def write_manifest(scan: pa.Table, path: Path) -> None:
    """Keep the hashes of this scan for the next one (a new file renamed over the old: never torn)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    known = scan.filter(pc.is_valid(scan.column("content_hash"))).select(list(MANIFEST_COLUMNS))
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(known, temporary, compression="zstd")
    os.replace(temporary, path)


def _hash_file(path: str) -> tuple[str | None, str | None]:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest(), None
    except OSError as err:
        return None, _unreadable(Path(path), err)


def scan_folder(raw_dir: Path, manifest: Path | None = None, max_bytes: int | None = None) -> pa.Table:
    """Scan raw_dir (see the module docstring); `manifest` is the previous scan's, if any."""
    limit = max_file_bytes() if max_bytes is None else max_bytes
    rows = _listing(raw_dir)
    known = read_manifest(manifest)
    to_hash = []
    for row in rows:
        if row["skip_reason"] or row["error"]:
            continue
        if row["size_bytes"] > limit:
            row["error"] = (
                f"file is {row['size_bytes'] / 1024 / 1024:.1f} MB, over the {limit / 1024 / 1024:g} MB limit "
                "(set PIPELINE_MAX_FILE_MB to read larger files)"
            )
            continue
        previous = known.get(row["path"])
        if previous is not None and previous[:4] == (row["size_bytes"], row["mtime_ns"], row["inode"], row["device"]):
            row["content_hash"] = previous[4]
        else:
            to_hash.append(row)
    if to_hash:
        with ThreadPoolExecutor(HASH_THREADS) as pool:
            for row, (digest, error) in zip(
                to_hash, pool.map(_hash_file, [row["path"] for row in to_hash]), strict=True
            ):
                row["content_hash"], row["error"] = digest, error
    originals: dict[str, str] = {}
    for row in sorted(rows, key=lambda row: row["is_link"]):  # stable: regular files first, then links
        digest = row["content_hash"]
        if digest is None or row["skip_reason"] or row["error"]:
            continue
        if digest in originals:
            row["duplicate_of"] = originals[digest]
        else:
            originals[digest] = row["report_id"]
    # through polars: pyarrow's from_pylist imports pandas (seconds), too slow for the nightly no-op check
    columns = {name: list(map(operator.itemgetter(name), rows)) for name in SCAN_SCHEMA.names}
    types = {"is_link": pl.Boolean, **dict.fromkeys(("size_bytes", "mtime_ns", "inode", "device"), pl.Int64)}
    frame = pl.DataFrame(columns, schema={name: types.get(name, pl.String) for name in SCAN_SCHEMA.names})
    return frame.to_arrow().cast(SCAN_SCHEMA)


def originals(scan: pa.Table) -> pa.Table:
    """The rows of files to parse (or take from the cache): read, hashed, not skipped, not a copy."""
    keep = pc.and_(
        pc.is_valid(scan.column("content_hash")),
        pc.and_(
            pc.is_null(scan.column("duplicate_of")),
            pc.and_(pc.is_null(scan.column("skip_reason")), pc.is_null(scan.column("error"))),
        ),
    )
    return scan.filter(keep)


def scan_fingerprint(scan: pa.Table) -> str:
    """A digest of what the scan found: which files, where, their bytes, and what becomes of each."""
    digest = hashlib.sha256()
    names = ("report_id", "path", "is_link", "size_bytes", "content_hash", "skip_reason", "error", "duplicate_of")
    for row in zip(*(scan.column(name).to_pylist() for name in names), strict=True):
        digest.update(repr(row).encode())
    return digest.hexdigest()
