"""Step 5: ParsedReports -> Parquet files and a DuckDB warehouse, published atomically.

In: parsed reports. Out, in `<warehouse_dir>`: `facts.parquet`, `reports.parquet`, `check_results.parquet`
and `warehouse.duckdb` (those tables, `vocabulary`, `build_info` and the SQL models).

Every run builds in a private staging folder `<warehouse_dir>/.staging/<run_id>/`; `publish` then moves the
finished files into place with `os.replace`, so an analyst holding the old DuckDB file open keeps a
consistent snapshot, new connections see the new build, and a crash at any point before the rename
leaves the previous warehouse untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipeline.facts import CHECK_RESULTS_SCHEMA, FACTS_SCHEMA, REPORTS_SCHEMA, ParsedReport
from pipeline.vocabulary import VOCABULARY_CSV

DATABASE_FILE = "warehouse.duckdb"
PARQUET_TABLES = ("facts", "reports", "check_results")


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


class WarehouseBusy(RuntimeError):
    """Another build is publishing into the same warehouse folder."""


def report_tables(reports: list[tuple[str, ParsedReport]]) -> dict[str, pa.Table]:
    """Long-format Arrow tables for a list of (report_id, parsed report)."""
    facts: dict[str, list] = {name: [] for name in FACTS_SCHEMA.names}
    checks: dict[str, list] = {name: [] for name in CHECK_RESULTS_SCHEMA.names}
    rows: dict[str, list] = {name: [] for name in REPORTS_SCHEMA.names}
    for rid, report in reports:
        for fact in report.facts:
            for name, value in (
                ("report_id", rid),
                ("agency", report.agency),
                ("agency_id", report.agency_id),
                ("year", report.year),
                ("template", report.template),
                ("section", fact.section),
                ("category", fact.category),
                ("applicant_type", fact.applicant_type),
                ("metric", fact.metric),
                ("value", None if fact.value is None else float(fact.value)),
                ("unit", fact.unit),
                ("value_status", fact.value_status),
                ("raw", fact.raw),
                ("line", fact.line),
                ("source", fact.source),
            ):
                facts[name].append(value)
        for check in report.checks:
            for name in CHECK_RESULTS_SCHEMA.names:
                checks[name].append(rid if name == "report_id" else getattr(check, name))
        for name, value in (
            ("report_id", rid),
            ("path", report.file),
            ("content_hash", report.content_hash),
            ("size_bytes", report.size_bytes),
            ("encoding", report.encoding),
            ("reader", report.reader),
            ("agency", report.agency),
            ("agency_id", report.agency_id),
            ("year", report.year),
            ("template", report.template),
            ("scope", report.scope),
            ("status", report.status),
            ("n_facts", len(report.facts)),
            ("n_failed_checks", report.failed_checks),
            ("errors", list(report.errors)),
        ):
            rows[name].append(value)
    return {
        "facts": pa.Table.from_pydict(facts, schema=FACTS_SCHEMA),
        "reports": pa.Table.from_pydict(rows, schema=REPORTS_SCHEMA),
        "check_results": pa.Table.from_pydict(checks, schema=CHECK_RESULTS_SCHEMA),
    }


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
    """The published warehouse folder and the staging area of each run that builds into it."""

    directory: Path

    @property
    def database(self) -> Path:
        return self.directory / DATABASE_FILE

    def staging(self, run_id: str) -> Path:
        if not _RUN_ID.fullmatch(run_id):  # never let a name steer a path out of the warehouse folder
            raise ValueError(f"not a run id: {run_id!r}")
        return self.directory / ".staging" / run_id

    def staged_database(self, run_id: str) -> Path:
        """The run's private database, started from the published one so partial runs keep the rest."""
        staged = self.staging(run_id) / DATABASE_FILE
        if not staged.exists():
            staged.parent.mkdir(parents=True, exist_ok=True)
            if self.database.exists():
                shutil.copy2(self.database, staged)
        return staged

    @contextlib.contextmanager
    def connect(self, run_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the run's staged database, checkpointed and closed on exit."""
        connection = duckdb.connect(str(self.staged_database(run_id)))
        try:
            yield connection
            connection.execute("CHECKPOINT")
        finally:
            connection.close()

    def write_table(self, run_id: str, name: str, table: pa.Table, parquet: bool = True) -> None:
        """Stage one table: as Parquet beside the database (if asked) and as a DuckDB table."""
        if parquet:
            pq.write_table(table, self.staging(run_id) / f"{name}.parquet", compression="zstd")
        with self.connect(run_id) as connection:
            connection.register("incoming", table)
            connection.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM incoming')
            connection.unregister("incoming")

    def publish(self, run_id: str) -> list[Path]:
        """Move the run's staged files into the warehouse folder; the database goes last."""
        staging = self.staging(run_id)
        staged_db = staging / DATABASE_FILE
        if not staged_db.exists():
            raise FileNotFoundError(f"nothing staged to publish for run {run_id} in {staging}")
        leftover_wal = staged_db.with_name(DATABASE_FILE + ".wal")
        if leftover_wal.exists():
            raise RuntimeError(f"{leftover_wal} exists: a connection to the staged database is still open")
        published: list[Path] = []
        with self.lock():
            for name in PARQUET_TABLES:
                staged = staging / f"{name}.parquet"
                if staged.exists():
                    os.replace(staged, self.directory / staged.name)
                    published.append(self.directory / staged.name)
            os.replace(staged_db, self.database)
            published.append(self.database)
        shutil.rmtree(staging, ignore_errors=True)
        return published

    def discard(self, run_id: str) -> None:
        shutil.rmtree(self.staging(run_id), ignore_errors=True)

    def remove_stale_staging(self, older_than_seconds: float = 24 * 3600) -> None:
        """Staging folders of runs that crashed long ago; recent ones may belong to a running build."""
        root = self.directory / ".staging"
        if not root.is_dir():
            return
        cutoff = time.time() - older_than_seconds
        for folder in root.iterdir():
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One publisher at a time per warehouse folder (CLI runs bypass Dagster's run queue)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / ".publish.lock").open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as err:
                raise WarehouseBusy(f"another build is publishing into {self.directory}; try again later") from err
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
