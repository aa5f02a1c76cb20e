"""Step 5: a run's staged tables -> Parquet files and a DuckDB warehouse, published atomically.

In: the tables a run builds (pipeline/load.py, the SQL models). Out, in `<warehouse_dir>`: `warehouse.duckdb`
(every table and the SQL models), `facts/` (Parquet partitioned by year, hive style: `facts/year=2021/*.parquet`,
so DuckDB, Spark or Trino read one year's files for a filter on year), `reports.parquet` and
`check_results.parquet` (one file each: one row per file, and a few dozen per report), and `report.html` (the
trends page drawn from this build).

Every run builds in a private staging folder `<warehouse_dir>/.staging/<run_id>/`; `publish` then moves it to
`.versions/<run_id>/` and switches the symbolic link `.current` to it with one rename, through which the
names above are links. So the database and the Parquet files always come from the same build, an analyst holding
the old DuckDB file open keeps a consistent snapshot, new connections see the new build, and a crash at any
point leaves either the previous warehouse or the new one, whole (`Warehouse` describes the folder).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipeline.durable import fsync
from pipeline.vocabulary import VOCABULARY_CSV

DATABASE_FILE = "warehouse.duckdb"
REPORT_PAGE = "report.html"  # the trends page (pipeline/report_page.py), published with the build it shows
PARQUET_TABLES = ("facts", "reports", "check_results")
PARTITIONED_TABLES = {"facts": "year"}  # published as a folder of hive partitions; the others as one file
# the file format of a new warehouse: one the DuckDB CLI on PyPI (duckdb-cli 1.5) and older clients still open
STORAGE_COMPATIBILITY = "v1.4.0"
DUCKDB_MEMORY_LIMIT = "1GB"  # per build ($PIPELINE_DUCKDB_MEMORY to change it)
LEGACY_NAMES = ("facts.parquet",)  # published names of earlier layouts, removed by the next publish
STATE_FILE = ".build-state.json"  # a build's state (pipeline/load.py BuildState), in its version folder
BASE_STATE_FILE = ".base-state.json"  # in a staging folder: the state of the build its database was copied from


def parquet_name(name: str) -> str:
    """The published entry of a Parquet table: `facts` (a folder) or `<name>.parquet`."""
    return name if name in PARTITIONED_TABLES else f"{name}.parquet"


def parquet_scan(folder: Path, name: str) -> str:
    """A DuckDB table expression reading a Parquet table of a warehouse (or staging, or version) folder."""
    path = str(folder / parquet_name(name)).replace("'", "''")
    if name in PARTITIONED_TABLES:
        column = PARTITIONED_TABLES[name]
        return f"read_parquet('{path}/*/*.parquet', hive_partitioning = true, hive_types = {{'{column}': INTEGER}})"
    return f"read_parquet('{path}')"


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


class WarehouseBusy(RuntimeError):
    """Another build is publishing into the same warehouse folder."""


def _copy_as_links(source: Path, target: Path) -> None:
    """A file or folder copied as hard links (published files are never modified), else copied."""
    try:
        if source.is_dir():
            shutil.copytree(source, target, copy_function=os.link)
        else:
            os.link(source, target)
    except OSError:
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)


def run_summary(reports: pa.Table) -> dict[str, int]:
    """Files seen and what became of them, facts written, failed checks: the line a build ends with."""
    statuses = reports.column("status").to_pylist()
    return {
        "files": len(statuses),
        **{status: statuses.count(status) for status in ("ok", "partial", "failed", "skipped")},
        "facts": sum(reports.column("n_facts").to_pylist()),
        "failed_checks": sum(reports.column("n_failed_checks").to_pylist()),
    }


def vocabulary_table() -> pa.Table:
    options = pa_csv.ConvertOptions(strings_can_be_null=False, column_types={"templates": pa.string()})
    return pa_csv.read_csv(VOCABULARY_CSV, convert_options=options)


@dataclass(frozen=True)
class Warehouse:
    """The published warehouse folder and the staging area of each run that builds into it.

    warehouse.duckdb, facts/,          symbolic links to `.current/<name>`: the names analysts open
    reports.parquet, check_results.parquet
    .current                           symbolic link to `.versions/<run_id>`: renaming a new one publishes
    .versions/<run_id>/                the published build and the one before it (`.build-state.json` in it: what
                                       it was built from, see pipeline/load.py)
    .staging/<run_id>/                 a run's private build; `.owner` in it is locked while the run lives
    .publish.lock                      one publisher at a time; says which process holds it
    .cache/                            the parse cache and the last scan's manifest (pipeline/cache.py, scan.py)
    """

    directory: Path

    PUBLISHED_FILES: ClassVar[tuple[str, ...]] = (
        DATABASE_FILE,
        *(parquet_name(name) for name in PARQUET_TABLES),
        REPORT_PAGE,
    )
    CURRENT: ClassVar[str] = ".current"
    VERSIONS: ClassVar[str] = ".versions"
    OWNER_FILE: ClassVar[str] = ".owner"
    LOCK_FILE: ClassVar[str] = ".publish.lock"
    LOCK_WAIT_SECONDS: ClassVar[float] = 300.0
    _claims: ClassVar[dict[Path, int]] = {}  # staging folders this process owns -> their locked `.owner`

    @property
    def database(self) -> Path:
        return self.directory / DATABASE_FILE

    def staging(self, run_id: str) -> Path:
        if not _RUN_ID.fullmatch(run_id):  # never let a name steer a path out of the warehouse folder
            raise ValueError(f"not a run id: {run_id!r}")
        return self.directory / ".staging" / run_id

    def claim(self, run_id: str) -> Path:
        """The run's staging folder, created if need be and marked as in use by this process.

        The mark is an exclusive `flock` on `<staging>/.owner`, held until the run publishes or discards or the
        process ends. The kernel drops it when the process dies, however it dies (SIGKILL, the OOM killer), so
        `remove_stale_staging` can tell a crashed run's leftovers from the folder of a build still going.
        """
        staging = self.staging(run_id)
        if staging in self._claims:
            return staging
        deadline = time.monotonic() + 60
        while True:
            staging.mkdir(parents=True, exist_ok=True)
            owner = staging / self.OWNER_FILE
            descriptor = os.open(owner, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if os.fstat(descriptor).st_ino == os.stat(owner).st_ino:
                    self._claims[staging] = descriptor
                    return staging
            except (BlockingIOError, FileNotFoundError):
                pass  # a clean-up is removing (or just removed) the folder it took for stale: start again
            os.close(descriptor)
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not claim the staging folder {staging}: {owner} stays locked")
            time.sleep(0.01)

    def _release(self, staging: Path) -> None:
        descriptor = self._claims.pop(staging, None)
        if descriptor is not None:
            os.close(descriptor)

    @property
    def cache(self) -> Path:
        return self.directory / ".cache"

    def staged_database(self, run_id: str) -> Path:
        """The run's private database, started from the published one so partial runs keep the rest; the state of
        the build it is copied from goes beside it (`.base-state.json`), read from the same version folder."""
        staging = self.claim(run_id)
        staged = staging / DATABASE_FILE
        if not staged.exists():
            version = self.current_version()
            source = version / DATABASE_FILE if version is not None else self.database
            if source.exists():
                state = version / STATE_FILE if version is not None else None
                if state is not None and state.exists():
                    shutil.copy2(state, staging / BASE_STATE_FILE)
                copying = staged.with_name(DATABASE_FILE + ".copying")
                shutil.copy2(source, copying)
                os.replace(copying, staged)  # never a torn copy under the real name
        return staged

    def has_staged_database(self, run_id: str) -> bool:
        return (self.staging(run_id) / DATABASE_FILE).exists()

    @contextlib.contextmanager
    def read(self, run_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to what the run will publish: its staged database if it staged one, else (a run with
        nothing to rebuild) the published database, read-only."""
        if self.has_staged_database(run_id):
            with self.connect(run_id) as connection:
                yield connection
            return
        connection = duckdb.connect(str(self.current_version() / DATABASE_FILE), read_only=True)
        try:
            yield connection
        finally:
            connection.close()

    @contextlib.contextmanager
    def connect(self, run_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the run's staged database, checkpointed and closed on exit."""
        # bounded, so a build's memory stays flat as the corpus grows: DuckDB spills sorts and joins to disk
        memory = os.environ.get("PIPELINE_DUCKDB_MEMORY") or DUCKDB_MEMORY_LIMIT
        config = {"memory_limit": memory, "storage_compatibility_version": STORAGE_COMPATIBILITY}
        connection = duckdb.connect(str(self.staged_database(run_id)), config=config)
        try:
            yield connection
            connection.execute("CHECKPOINT")
        finally:
            connection.close()

    def write_table(self, run_id: str, name: str, table: pa.Table, parquet: bool = True) -> None:
        """Stage one table: as Parquet beside the database (if asked) and as a DuckDB table."""
        staging = self.claim(run_id)
        if parquet and name not in PARTITIONED_TABLES:
            pq.write_table(table, staging / parquet_name(name), compression="zstd")
        with self.connect(run_id) as connection:
            connection.register("incoming", table)
            connection.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM incoming')
            if parquet and name in PARTITIONED_TABLES:
                folder = staging / parquet_name(name)
                shutil.rmtree(folder, ignore_errors=True)
                target = str(folder).replace("'", "''")
                connection.execute(
                    f"COPY incoming TO '{target}' "
                    f"(FORMAT parquet, PARTITION_BY ({PARTITIONED_TABLES[name]}), COMPRESSION zstd)"
                )
            connection.unregister("incoming")

    def published_state(self) -> Path | None:
        """The published build's state file (pipeline/load.py BuildState), if it has one."""
        version = self.current_version()
        return version / STATE_FILE if version is not None and (version / STATE_FILE).exists() else None

    def current_version(self) -> Path | None:
        """The published build's folder `.versions/<run_id>`; None before the first publish."""
        link = self.directory / self.CURRENT
        return self.directory / os.readlink(link) if link.is_symlink() else None

    def publish(self, run_id: str) -> list[Path]:
        """Swap the run's staged build in: the database and the Parquet files change together, in one rename.

        Under the publish lock, the staged folder (its files flushed to disk) becomes `.versions/<run_id>/`, then
        a new symbolic link is renamed over `.current`: that one rename publishes. A crash before it leaves the
        previous build published, a crash after it the new one, never a mix. The published names are links
        through `.current`, so readers holding old files keep their snapshot; the previous build is kept (a
        reader may have just resolved a name to it), older ones and orphans of crashed publishes are deleted.
        """
        staging = self.staging(run_id)
        staged_db = staging / DATABASE_FILE
        if not staged_db.exists():
            raise FileNotFoundError(f"nothing staged to publish for run {run_id} in {staging}")
        leftover_wal = staged_db.with_name(DATABASE_FILE + ".wal")
        if leftover_wal.exists():
            raise RuntimeError(f"{leftover_wal} exists: a connection to the staged database is still open")
        with self.lock():
            previous = self.current_version()
            for name in PARQUET_TABLES:  # a partial run keeps the published Parquet files it did not rewrite
                staged, published = staging / parquet_name(name), self.directory / parquet_name(name)
                if not staged.exists() and published.exists():
                    _copy_as_links(published.resolve(), staged)
            staged_page, published_page = staging / REPORT_PAGE, self.directory / REPORT_PAGE
            if not staged_page.exists() and published_page.exists():  # a subset run that did not draw the page
                _copy_as_links(published_page.resolve(), staged_page)
            shutil.rmtree(staging / f"{DATABASE_FILE}.tmp", ignore_errors=True)  # DuckDB's spill files, if any
            for folder, _, files in os.walk(staging):
                for name in files:
                    path = Path(folder) / name
                    if path.name != self.OWNER_FILE and not path.is_symlink():
                        fsync(path)
                if Path(folder) != staging:
                    fsync(Path(folder))
            versions = self.directory / self.VERSIONS
            versions.mkdir(exist_ok=True)
            os.rename(staging, versions / run_id)
            self._release(staging)
            (versions / run_id / self.OWNER_FILE).unlink(missing_ok=True)
            fsync(versions)
            fsync(staging.parent)
            self._link(self.CURRENT, f"{self.VERSIONS}/{run_id}")  # the switch
            for name in self.PUBLISHED_FILES:  # no-ops once in place; from the flat layout, a one-time move
                if name != REPORT_PAGE or (versions / run_id / name).exists():  # no page before one was drawn
                    self._link(name, f"{self.CURRENT}/{name}")
            for name in LEGACY_NAMES:  # an earlier layout's name, now leading nowhere
                legacy = self.directory / name
                if legacy.is_symlink() or legacy.is_file():
                    legacy.unlink()
            fsync(self.directory)
            keep = {run_id} | ({previous.name} if previous else set())
            for folder in versions.iterdir():
                if folder.name not in keep:
                    shutil.rmtree(folder, ignore_errors=True)
        return [self.directory / name for name in self.PUBLISHED_FILES]

    def remove_old_versions(self) -> list[Path]:
        """Delete what a publish killed between its switch and its tidying left: every version folder but the
        published one and the one before it (the build its database was copied from, else the newest other).
        Returns the folders removed. A build with nothing to do calls it, so the next no-op tidies up."""
        with self.lock():
            current, versions = self.current_version(), self.directory / self.VERSIONS
            if current is None or not versions.is_dir():
                return []
            others = [folder for folder in versions.iterdir() if folder.name != current.name]
            if len(others) <= 1:
                return []
            try:
                base = json.loads((current / BASE_STATE_FILE).read_text(encoding="utf-8")).get("run_id")
            except (OSError, ValueError, AttributeError):
                base = None
            names = {folder.name for folder in others}
            previous = base if base in names else max(others, key=lambda folder: folder.stat().st_mtime_ns).name
            removed = [folder for folder in others if folder.name != previous]
            for folder in removed:
                shutil.rmtree(folder, ignore_errors=True)
            return removed

    def _link(self, name: str, target: str) -> None:
        """Make `<directory>/<name>` a symbolic link to target, atomically: a new link renamed over the entry."""
        entry = self.directory / name
        if entry.is_symlink() and os.readlink(entry) == target:
            return
        temporary = self.directory / ".staging" / f".{name.lstrip('.')}.link"  # leftovers stay out of sight
        temporary.parent.mkdir(exist_ok=True)
        temporary.unlink(missing_ok=True)
        os.symlink(target, temporary)  # relative: resolved from where it ends up
        os.replace(temporary, entry)

    def discard(self, run_id: str) -> None:
        staging = self.staging(run_id)
        shutil.rmtree(staging, ignore_errors=True)
        self._release(staging)

    def remove_stale_staging(self, older_than_seconds: float = 3600) -> list[Path]:
        """Remove the staging folders of runs that are gone, and say which.

        A run locks `<staging>/.owner` while it lives (see `claim`), so a folder whose lock this can take belongs
        to a run whose process has ended: crashed, killed or exited after a failure. A folder locked by a live
        process is never touched, however old. A folder without `.owner` (a run between creating its folder and
        claiming it, or one from before owners were marked) goes only when older than `older_than_seconds`.
        This relies on a run keeping one process for all its steps, as the job's in-process executor does.
        """
        root = self.directory / ".staging"
        removed: list[Path] = []
        if not root.is_dir():
            return removed
        cutoff = time.time() - older_than_seconds
        for folder in root.iterdir():
            if folder.is_symlink() or not folder.is_dir() or folder in self._claims:
                continue
            try:
                descriptor = os.open(folder / self.OWNER_FILE, os.O_RDWR)
            except FileNotFoundError:
                with contextlib.suppress(FileNotFoundError):
                    if folder.stat().st_mtime < cutoff:
                        shutil.rmtree(folder, ignore_errors=True)
                        removed.append(folder)
                continue
            except OSError:
                continue
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its run is still going
            else:
                shutil.rmtree(folder, ignore_errors=True)  # holding the lock: no claim can slip in meanwhile
                removed.append(folder)
            finally:
                os.close(descriptor)
        return removed

    @contextlib.contextmanager
    def lock(self, timeout: float | None = None) -> Iterator[None]:
        """One publisher at a time per warehouse folder (CLI runs bypass Dagster's run queue).

        Publishing takes milliseconds, so a second publisher waits for the lock (up to `timeout` seconds,
        LOCK_WAIT_SECONDS by default) instead of throwing its finished build away; if it gives up, WarehouseBusy
        names the lock file and the process that holds it. The kernel releases the lock of a killed process.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / self.LOCK_FILE
        wait = self.LOCK_WAIT_SECONDS if timeout is None else timeout
        deadline = time.monotonic() + wait
        with path.open("a+") as handle:
            waiting = False
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError as err:
                    if not waiting:
                        handle.seek(0)
                        logging.getLogger(__name__).warning(
                            "waiting for the publish lock %s, held by %s", path, handle.read().strip() or "?"
                        )
                        waiting = True
                    if time.monotonic() >= deadline:
                        handle.seek(0)
                        holder = handle.read().strip() or "another process"
                        raise WarehouseBusy(
                            f"another build is publishing into {self.directory}: the lock {path} is held by "
                            f"{holder} (waited {wait:g} s); try again later"
                        ) from err
                    time.sleep(0.05)
            try:
                handle.seek(0)
                handle.truncate()
                handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
                handle.flush()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
