"""Step 1: the raw folder -> every file in it, each parsed, skipped or failed with a reason.

In: a folder of report files. Out: `RawFile`s (one per file found, in a stable order) and, through
`parse_inventory`, one `(report_id, ParsedReport)` per file. Nothing found is left out:
- hidden and temporary files (`.DS_Store`, `~$x.docx`, `x.tmp`) and symbolic links to folders (never
  followed, so a link loop cannot hang a run) are `skipped` with the reason;
- a file whose bytes are identical to an earlier one is parsed once; the copy is `skipped` and names it;
- files over the size limit, unreadable files and broken or looping links are `failed` with the reason.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.facts import ParsedReport
from pipeline.parse import parse_bytes

DEFAULT_MAX_FILE_MB = 20.0
_TEMPORARY_PREFIXES = ("~$", ".~lock.", "~WRL")
_TEMPORARY_SUFFIXES = ("~", ".tmp", ".temp", ".swp", ".part", ".crdownload", ".partial")
_SYSTEM_FILES = {"thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class RawFile:
    report_id: str  # the path relative to the raw folder, with forward slashes
    path: Path
    size_bytes: int | None
    skip_reason: str | None = None  # set for files that are listed but deliberately not parsed


def max_file_bytes() -> int:
    """The size limit: $PIPELINE_MAX_FILE_MB megabytes, 20 by default."""
    return int(float(os.environ.get("PIPELINE_MAX_FILE_MB") or DEFAULT_MAX_FILE_MB) * 1024 * 1024)


def skip_reason(report_id: str) -> str | None:
    """Why a file (its path relative to the raw folder, with forward slashes) is listed but not read, or None."""
    *folders, name = report_id.split("/")
    hidden = next((part for part in folders if part.startswith(".")), None)
    if hidden:
        return f"inside the hidden folder {hidden!r}"
    if name.startswith(_TEMPORARY_PREFIXES) or name.lower().endswith(_TEMPORARY_SUFFIXES):
        return "a temporary file (an editor's lock or partial download), not a report"
    if name.startswith(".") or name.lower() in _SYSTEM_FILES:
        return "a hidden or system file, not a report"
    return None


def scan_raw_folder(raw_dir: Path) -> list[RawFile]:
    """Every file below raw_dir, without following symbolic links to folders."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw report folder not found: {raw_dir}")
    found: list[RawFile] = []
    for folder, subfolders, files in os.walk(raw_dir, followlinks=False):
        base = Path(folder)
        for name in subfolders:
            if (base / name).is_symlink():
                relative = (base / name).relative_to(raw_dir)
                found.append(
                    RawFile(
                        relative.as_posix(),
                        base / name,
                        None,
                        "a symbolic link to a folder; links to folders are not followed",
                    )
                )
        for name in files:
            path = base / name
            relative = path.relative_to(raw_dir)
            try:
                size = path.stat().st_size
            except OSError:
                size = None  # a broken or looping link: parse_inventory says which
            found.append(RawFile(relative.as_posix(), path, size, skip_reason(relative.as_posix())))
    return sorted(found, key=lambda raw_file: raw_file.report_id)


def _unreadable(path: Path, err: OSError) -> str:
    if path.is_symlink() and not path.exists():
        return f"broken symbolic link (its target {os.readlink(path)!r} cannot be reached: {err.strerror})"
    return f"cannot read file: {err.strerror or err}"


def parse_inventory(files: Iterable[RawFile], max_bytes: int | None = None) -> Iterator[tuple[str, ParsedReport]]:
    """Parse each file once, yielding each report as soon as it is done: regular files in the order given,
    then symbolic links, so that of identical files a regular one is the original and a link the copy."""
    limit = max_file_bytes() if max_bytes is None else max_bytes
    files = list(files)
    first_with_content: dict[str, str] = {}
    for raw_file in sorted(files, key=lambda f: f.path.is_symlink()):  # stable: keeps the order otherwise
        yield raw_file.report_id, _account(raw_file, limit, first_with_content)


def _account(raw_file: RawFile, limit: int, first_with_content: dict[str, str]) -> ParsedReport:
    report = ParsedReport(file=str(raw_file.path), size_bytes=raw_file.size_bytes)
    if raw_file.skip_reason:
        report.status = "skipped"
        report.errors.append(raw_file.skip_reason)
        return report
    if raw_file.size_bytes is not None and raw_file.size_bytes > limit:
        report.errors.append(
            f"file is {raw_file.size_bytes / 1024 / 1024:.1f} MB, over the {limit / 1024 / 1024:g} MB limit "
            "(set PIPELINE_MAX_FILE_MB to read larger files)"
        )
        return report
    try:
        data = raw_file.path.read_bytes()
    except OSError as err:
        report.errors.append(_unreadable(raw_file.path, err))
        return report
    digest = hashlib.sha256(data).hexdigest()
    if digest in first_with_content:
        report.status, report.content_hash = "skipped", digest
        report.errors.append(f"identical to {first_with_content[digest]} (same bytes); parsed once, there")
        return report
    first_with_content[digest] = raw_file.report_id
    return parse_bytes(data, report)
