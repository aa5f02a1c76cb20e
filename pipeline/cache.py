"""Step 2: files to parse -> parse results, cached by content hash and parser version, parsed on every core.

In: `(path, content_hash)` of each file to parse (pipeline/scan.py says which). Out: cache batches under
`<warehouse>/.cache/parse/<parser_version>/`, each a folder `<batch_id>/` of three Parquet files:
- `reports.parquet`: one row per content hash, what the parser said about the file (status, agency as printed,
  year, template, scope, region hint, errors…), nothing about where the file lies;
- `facts.parquet` and `checks.parquet`: its facts and check results, keyed by (content_hash, ordinal).
Every file carries its `batch_id`, so that a hash cached twice (two runs at once) is read from one batch only.

The parser version is a hash of the parser's own source (the modules `pipeline.parse` imports, transitively, and
the data files under pipeline/ such as vocabulary.csv): editing any of them re-parses everything, with no number to
bump. Agency resolution (pipeline/agencies.py, data/reference/) is left out on purpose: it runs on the per-report
table at every build (pipeline/load.py), so its result is never cached and editing the alias table never re-parses.

Crash and concurrency safety: a batch is written in `.tmp-<batch_id>/`, its files flushed, then renamed into
place in one step, so a batch is either whole or invisible. Runs hold a shared lock on `.cache/parse/.lock` while
they read; pruning (old parser versions, abandoned temporary folders, batches of content no longer in the raw
folder) needs the exclusive lock and is skipped when another run holds it.

Parsing runs in a process pool (`workers()` processes, $PIPELINE_WORKERS to override; 1 parses in process), in
chunks of files; each worker writes its chunk's batch itself and returns only a small summary, so memory stays
flat however large the corpus.
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import fcntl
import functools
import hashlib
import itertools
import logging
import multiprocessing
import operator
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.durable import fsync
from pipeline.facts import CHECK_RESULTS_SCHEMA, FACTS_SCHEMA, ParsedReport, arrow_table

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
PARSER_ROOT_MODULE = "pipeline.parse"
# Imported by the parser but not part of what is cached: agency ids are resolved at every build (pipeline/load.py).
NOT_PARSER_MODULES = frozenset({"pipeline.agencies"})
PARSER_DATA_SUFFIXES = (".csv", ".json", ".txt")
CACHE_FORMAT = 1  # bump when the cache's own layout changes

MAX_CHUNK = 256  # files per task: large enough to amortise a batch's files, small enough for steady progress
# Fewer files than this are parsed in the build's own process: starting a worker (a fresh interpreter importing the
# parser) costs about as much as parsing a hundred files.
POOL_THRESHOLD = 200

_REPORT_COLUMNS = [
    pa.field("batch_id", pa.string(), nullable=False),
    pa.field("content_hash", pa.string(), nullable=False),
    pa.field("status", pa.string(), nullable=False),
    pa.field("encoding", pa.string()),
    pa.field("reader", pa.string()),
    pa.field("agency", pa.string()),
    pa.field("year", pa.int32()),
    pa.field("template", pa.string()),
    pa.field("scope", pa.string()),
    pa.field("region_hint", pa.string()),
    pa.field("n_facts", pa.int32(), nullable=False),
    pa.field("n_failed_checks", pa.int32(), nullable=False),
    pa.field("errors", pa.list_(pa.string()), nullable=False),
]
CACHED_REPORTS_SCHEMA = pa.schema(_REPORT_COLUMNS)
_KEY = [
    pa.field("batch_id", pa.string(), nullable=False),
    pa.field("content_hash", pa.string(), nullable=False),
    pa.field("ordinal", pa.int32(), nullable=False),
]
_REPORT_LEVEL = ("report_id", "agency", "agency_id", "year", "template")
FACT_COLUMNS = tuple(name for name in FACTS_SCHEMA.names if name not in _REPORT_LEVEL)
CHECK_COLUMNS = tuple(name for name in CHECK_RESULTS_SCHEMA.names if name != "report_id")
CACHED_FACTS_SCHEMA = pa.schema([*_KEY, *(FACTS_SCHEMA.field(name) for name in FACT_COLUMNS)])
CACHED_CHECKS_SCHEMA = pa.schema([*_KEY, *(CHECK_RESULTS_SCHEMA.field(name) for name in CHECK_COLUMNS)])
BATCH_FILES = {"reports": "reports.parquet", "facts": "facts.parquet", "checks": "checks.parquet"}


# --- the parser version --------------------------------------------------------------------------------------


def _module_file(module: str) -> Path | None:
    parts = module.split(".")[1:]
    if not parts:
        return PACKAGE_DIR / "__init__.py"
    relative = Path(*parts)
    for candidate in (PACKAGE_DIR / relative.with_suffix(".py"), PACKAGE_DIR / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(path: Path, module: str) -> set[str]:
    """The pipeline.* modules a source file imports (absolute or relative, at any depth of the file)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from pipeline import x` may name a module
    return {name for name in found if name == "pipeline" or name.startswith("pipeline.")}


def parser_sources() -> list[Path]:
    """The files the parser's results depend on: the modules pipeline.parse imports, transitively (agency
    resolution excepted), and every data file under pipeline/."""
    seen: set[str] = set()
    pending = [PARSER_ROOT_MODULE]
    files: set[Path] = set()
    while pending:
        module = pending.pop()
        if module in seen or module in NOT_PARSER_MODULES:
            continue
        seen.add(module)
        path = _module_file(module)
        if path is None:
            continue
        files.add(path)
        pending.extend(_imported_modules(path, module) - seen)
    for path in PACKAGE_DIR.rglob("*"):
        if path.suffix in PARSER_DATA_SUFFIXES and "__pycache__" not in path.parts and path.is_file():
            files.add(path)
    return sorted(files)


@functools.cache
def parser_version() -> str:
    """16 hex digits that change whenever the parser's source or data change (computed once per process)."""
    digest = hashlib.sha256(f"parse cache format {CACHE_FORMAT}\n".encode())
    for path in parser_sources():
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


# --- batches -------------------------------------------------------------------------------------------------


def _new_batch_id() -> str:
    """Unique across processes and time, and sorting by age: nanoseconds, process id, a counter."""
    return f"{time.time_ns():x}-{os.getpid()}-{next(_batch_counter)}"


_batch_counter = itertools.count()


def batch_tables(batch_id: str, reports: Iterable[ParsedReport]) -> dict[str, pa.Table]:
    """The three cache tables of parsed reports (each report has its content_hash)."""
    reports = list(reports)
    rows: dict[str, list] = {name: [] for name in CACHED_REPORTS_SCHEMA.names}
    for report in reports:
        for name in CACHED_REPORTS_SCHEMA.names:
            if name == "batch_id":
                value = batch_id
            elif name == "n_facts":
                value = len(report.facts)
            elif name == "n_failed_checks":
                value = report.failed_checks
            elif name == "errors":
                value = list(report.errors)
            else:
                value = getattr(report, name, None)
            rows[name].append(value)
    facts = _record_columns(batch_id, reports, "facts", FACT_COLUMNS)
    # float() here, not in Arrow: a number of 300 digits is no exact double, and Arrow refuses to round it
    facts["value"] = [None if value is None else float(value) for value in facts["value"]]
    return {
        "reports": arrow_table(rows, CACHED_REPORTS_SCHEMA),
        "facts": arrow_table(facts, CACHED_FACTS_SCHEMA),
        "checks": arrow_table(_record_columns(batch_id, reports, "checks", CHECK_COLUMNS), CACHED_CHECKS_SCHEMA),
    }


def _record_columns(batch_id: str, reports: list[ParsedReport], kind: str, names: Iterable[str]) -> dict[str, list]:
    """The facts or checks of the reports as columns (a list per field), with batch_id, content_hash and ordinal:
    one pass per column, not one Python statement per value (about 130 facts a report)."""
    records = [record for report in reports for record in getattr(report, kind)]
    columns: dict[str, list] = {
        "batch_id": [batch_id] * len(records),
        "content_hash": [report.content_hash for report in reports for _ in getattr(report, kind)],
        "ordinal": [ordinal for report in reports for ordinal in range(len(getattr(report, kind)))],
    }
    for name in names:
        columns[name] = list(map(operator.attrgetter(name), records))
    return columns


@dataclass
class ChunkResult:
    """What a worker sends back: small, whatever the chunk held."""

    batch_id: str | None = None
    parsed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reasons) of files that failed
    problems: dict[str, str] = field(default_factory=dict)  # expected content hash -> why it is not cached


# Each batch's index rows, read once per process: a batch never changes once it has its name, and a run lists
# the cache several times (one read of 400 batches takes a second at 100,000 reports).
_batch_indexes: dict[Path, pa.Table] = {}


@dataclass(frozen=True)
class ParseCache:
    """The parse cache of one parser version under `<root>/parse/<version>/` (root: `<warehouse>/.cache`)."""

    root: Path
    version: str = field(default_factory=lambda: parser_version())  # looked up when made (tests replace it)

    @property
    def parse_root(self) -> Path:
        return self.root / "parse"

    @property
    def folder(self) -> Path:
        return self.parse_root / self.version

    def batches(self) -> list[Path]:
        """Complete batches, oldest first (a batch folder is complete once it has its name)."""
        if not self.folder.is_dir():
            return []
        return sorted(path for path in self.folder.iterdir() if not path.name.startswith(".") and path.is_dir())

    def write_batch(self, reports: list[ParsedReport]) -> str | None:
        """Write one batch, atomically; returns its id (None when there is nothing to write)."""
        if not reports:
            return None
        batch_id = _new_batch_id()
        temporary = self.folder / f".tmp-{batch_id}"
        temporary.mkdir(parents=True)
        for name, table in batch_tables(batch_id, reports).items():
            path = temporary / BATCH_FILES[name]
            pq.write_table(table, path, compression="zstd")
            fsync(path)
        fsync(temporary)
        os.rename(temporary, self.folder / batch_id)  # the batch appears whole, or not at all
        fsync(self.folder)
        return batch_id

    def index(self) -> pa.Table:
        """One row per cached content hash (CACHED_REPORTS_SCHEMA), from the oldest batch that holds it."""
        tables = []
        batches = self.batches()
        for gone in [path for path in _batch_indexes if path.parent == self.folder and path not in batches]:
            del _batch_indexes[gone]
        for batch in batches:
            if batch not in _batch_indexes:
                try:
                    table = pq.ParquetFile(batch / BATCH_FILES["reports"]).read().cast(CACHED_REPORTS_SCHEMA)
                except (OSError, pa.ArrowException) as err:  # a damaged batch: parsed again, and pruned later
                    log.warning("ignoring the unreadable parse cache batch %s: %s", batch, err)
                    continue
                _batch_indexes[batch] = table
            tables.append(_batch_indexes[batch])
        if not tables:
            return CACHED_REPORTS_SCHEMA.empty_table()
        frame = pl.from_arrow(pa.concat_tables(tables)).sort("batch_id").unique("content_hash", keep="first")
        return frame.sort("content_hash").to_arrow().cast(CACHED_REPORTS_SCHEMA)

    def files(self, kind: str, batch_ids: Iterable[str]) -> list[Path]:
        """The `facts` or `checks` Parquet files of the given batches."""
        return [self.folder / batch_id / BATCH_FILES[kind] for batch_id in sorted(set(batch_ids))]

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the shared lock: no prune removes a batch while this run lists and reads them."""
        self.parse_root.mkdir(parents=True, exist_ok=True)
        with (self.parse_root / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def prune(self, live_hashes: set[str]) -> dict[str, int]:
        """Remove other parser versions' caches, abandoned temporary batches and batches none of whose content is
        in `live_hashes` (the raw folder as just scanned). Only when no other run reads the cache; says what went."""
        removed = {"versions": 0, "temporary": 0, "batches": 0}
        if not self.parse_root.is_dir():
            return removed
        with (self.parse_root / ".lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return removed  # another run reads or writes the cache: prune another time
            try:
                for folder in self.parse_root.iterdir():
                    if folder.is_dir() and folder.name != self.version:
                        shutil.rmtree(folder, ignore_errors=True)
                        removed["versions"] += 1
                if not self.folder.is_dir():
                    return removed
                for folder in self.folder.iterdir():
                    if folder.name.startswith(".tmp-"):  # no run is writing: a killed run's half-written batch
                        shutil.rmtree(folder, ignore_errors=True)
                        removed["temporary"] += 1
                for batch in self.batches():
                    try:
                        hashes = pq.ParquetFile(batch / BATCH_FILES["reports"]).read(columns=["content_hash"])
                    except (OSError, pa.ArrowException):
                        hashes = None
                    if hashes is None or live_hashes.isdisjoint(hashes.column("content_hash").to_pylist()):
                        shutil.rmtree(batch, ignore_errors=True)
                        removed["batches"] += 1
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return removed


# --- parsing, in a pool of processes --------------------------------------------------------------------------


def workers() -> int:
    """Processes to parse with: $PIPELINE_WORKERS, else the CPUs this process may use."""
    configured = os.environ.get("PIPELINE_WORKERS", "").strip()
    if configured:
        return max(1, int(configured))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def parse_chunk(root: str, version: str, files: list[tuple[str, str]]) -> ChunkResult:
    """Parse files `(path, expected content hash)` and cache them as one batch (runs in a worker process)."""
    from pipeline.parse import parse_bytes

    result = ChunkResult()
    reports = []
    for path, expected in files:
        try:
            data = Path(path).read_bytes()
        except OSError as err:
            result.problems[expected] = f"cannot read file: {err.strerror or err}"
            continue
        report = parse_bytes(data, ParsedReport(file=path))
        if report.content_hash != expected:
            result.problems[expected] = "the file changed while the build read it; the next build parses it again"
        reports.append(report)  # cached under the hash of what was read, which is right whatever happened
        result.statuses[report.status] = result.statuses.get(report.status, 0) + 1
        if report.status == "failed":
            result.failures.append((path, "; ".join(report.errors)))
    result.parsed = len(reports)
    result.batch_id = ParseCache(Path(root), version).write_batch(reports)
    return result


def _die_with_parent(parent: int) -> None:
    """Worker initialiser: be killed when the build process dies, however it dies (Linux), so a killed build
    leaves no process behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start spawned workers without running the caller's main script again: a spawned child imports the parent's
    `__main__` (its file or module) unless neither is known, and a script without an `if __name__ == "__main__"`
    guard (a benchmark, a notebook's runner) would run its build once more in every worker. The workers need
    nothing from it: what they run lives in this module."""
    main = sys.modules.get("__main__")
    saved = {name: main.__dict__[name] for name in ("__spec__", "__file__") if main and name in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__spec__ = None
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)
            if "__spec__" not in saved:
                main.__dict__.pop("__spec__", None)


def _chunks(files: list[tuple[str, str]], processes: int) -> list[list[tuple[str, str]]]:
    size = max(1, min(MAX_CHUNK, -(-len(files) // (processes * 4))))
    return [files[start : start + size] for start in range(0, len(files), size)]


@dataclass
class ParseSummary:
    parsed: int = 0
    batches: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # content hash -> why it is not in the cache

    def add(self, chunk: ChunkResult) -> None:
        self.parsed += chunk.parsed
        self.batches += chunk.batch_id is not None
        for status, count in chunk.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.problems.update(chunk.problems)


def _run_in_pool(
    cache: ParseCache,
    chunks: list[list[tuple[str, str]]],
    processes: int,
    done: Callable[[ChunkResult, list[tuple[str, str]]], None],
) -> list[list[tuple[str, str]]]:
    """Run the chunks in a fresh pool; return the chunks lost to a worker that died (a crash in native code, the
    OOM killer): the pool breaks and every unfinished task with it."""
    lost: list[list[tuple[str, str]]] = []
    context = multiprocessing.get_context("spawn")  # no fork of a process with Dagster's threads
    with ProcessPoolExecutor(
        max_workers=processes, mp_context=context, initializer=_die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        with _main_module_hidden():  # workers start at the submits
            futures: dict[Future, list[tuple[str, str]]] = {
                pool.submit(parse_chunk, str(cache.root), cache.version, chunk): chunk for chunk in chunks
            }
        for future in as_completed(futures):
            try:
                done(future.result(), futures[future])
            except BrokenProcessPool:
                lost.append(futures[future])
    return lost


def parse_into_cache(
    cache: ParseCache,
    files: list[tuple[str, str]],
    processes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ParseSummary:
    """Parse `(path, content_hash)` files into the cache, in `processes` processes (1, or fewer files than
    POOL_THRESHOLD: in this process).

    `progress(files done, files in all)` is called as chunks finish. A file whose parsing kills its worker is
    retried alone in a fresh pool; if it kills that one too, it is reported in `problems` (the load marks it
    failed with the reason) and the run goes on.
    """
    processes = workers() if processes is None else max(1, processes)
    summary = ParseSummary()
    total, finished = len(files), 0

    def done(chunk: ChunkResult, chunk_files: list[tuple[str, str]]) -> None:
        nonlocal finished
        summary.add(chunk)
        finished += len(chunk_files)
        for path, reasons in chunk.failures:
            log.warning("%s: failed: %s", path, reasons)
        if progress:
            progress(finished, total)

    if not files:
        return summary
    if len(files) < POOL_THRESHOLD:
        processes = 1
    chunks = _chunks(files, processes)
    if processes == 1:
        for chunk in chunks:
            done(parse_chunk(str(cache.root), cache.version, chunk), chunk)
        return summary
    lost = _run_in_pool(cache, chunks, min(processes, len(chunks)), done)
    if lost:  # one file at a time, so the next break names its file
        singles = [[file] for chunk in lost for file in chunk]
        log.warning("a parser process died; parsing its %d files again one by one", len(singles))
        for single in singles:
            if _run_in_pool(cache, [single], 1, done):
                digest = single[0][1]
                summary.problems[digest] = "the parser's process died on this file (a crash or out of memory)"
                finished += 1
    return summary
