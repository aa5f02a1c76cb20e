"""Step 3: scan + parse cache -> the warehouse tables, in the run's staged database and as Parquet beside it.

In: the scan (pipeline/scan.py), the parse cache (pipeline/cache.py), a DuckDB connection to the run's staged
database (a copy of the published one) and the state of the build that database came from. Out, in the staged
database: `raw_report_files`, `reports`, `facts`, `check_results`; in the staging folder: `facts/` (Parquet
partitioned by year, hive style: `facts/year=2021/data_0.parquet`, `year=__HIVE_DEFAULT_PARTITION__` for reports
without a year), `reports.parquet`, `check_results.parquet`, and `.build-state.json` (BuildState) for the next run.

How:
1. `report_rows`: the per-report table (Arrow, one row per file: REPORTS_SCHEMA plus the cache batch it reads),
   from the scan and the cache's index, every file accounted for (parsed, skipped or failed, with the reason);
2. `assign_agencies`: the one place agency ids are set, on that small table, at every build (so an edit of
   the alias table never needs a re-parse); names the last build resolved with the same code and reference data
   are taken from its memo in `<warehouse>/.cache/agencies/`;
3. facts and check results get report_id, agency, agency_id, year and template by a DuckDB join of the cache's
   Parquet with that table, in DuckDB (no Python loop over facts). When the staged database came from a build
   of the same parser and load code, only reports whose row changed (new, changed or deleted files, another
   agency id…) have their facts deleted and inserted again; otherwise the tables are rebuilt from the cache;
4. Parquet: only the year partitions touched are written again; the others are hard links to the files of the
   build the staged database came from (files are never modified once written, so sharing them is safe);
5. when the staged database also came from the same code and SQL models, the agencies whose rows changed (those
   of touched reports, before and after, and those whose `agencies` or `agency_names` rows differ) are listed in
   CHANGED_AGENCIES, so that the model steps compute incremental models for those agencies only, and the years of
   their reports, before and after, in CHANGED_YEARS, for the models incremental by year (pipeline/sql_models.py).
   The lists live in the staged database and are dropped before publishing.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import agencies
from pipeline import cache as cache_module
from pipeline.cache import ParseCache, ParseSummary, parse_into_cache
from pipeline.facts import CHECK_RESULTS_SCHEMA, FACTS_SCHEMA, RAW_REPORT_FILES_SCHEMA, REPORTS_SCHEMA
from pipeline.scan import originals, scan_fingerprint, scan_folder, write_manifest
from pipeline.warehouse import BASE_STATE_FILE, STATE_FILE, Warehouse, _copy_as_links

log = logging.getLogger(__name__)

REPOSITORY = Path(__file__).resolve().parent.parent
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # hive's (and DuckDB's, Spark's) name of the NULL partition
PARTITION_FILE = "data_0.parquet"  # the one file of each year partition
# Columns of a report row that facts copy: a report whose row changes has its facts loaded again.
REPORT_LEVEL_COLUMNS = ("content_hash", "status", "agency", "agency_id", "year", "template")
# In a staged database only: what the load step tells the model steps (dropped before publishing).
BUILD_SCHEMA = "_build"
CHANGED_AGENCIES = f"{BUILD_SCHEMA}.changed_agencies"  # agency_id of every agency whose rows changed (NULL: no agency)
CHANGED_YEARS = f"{BUILD_SCHEMA}.changed_years"  # (table_name, year): that table's rows of that year changed
# The columns of the agency tables that say what an agency is (not how many reports it has, nor how that was
# found): all that a model incremental by year may read of them (pipeline/sql_models.py).
AGENCY_DESCRIPTION = {
    "agencies": ("agency_id", "agency_name", "province", "city", "county", "division_code", "level", "agency_type"),
    "agency_names": ("agency_id", "name", "matched_by"),
}
AGENCY_MEMO_FOLDER = "agencies"  # in <warehouse>/.cache: what the last build resolved each printed name to


@dataclass(frozen=True)
class BuildState:
    """What a published build was made from (`.build-state.json` in its version folder)."""

    fingerprint: str  # input_fingerprint: equal fingerprints, nothing to do
    parser_version: str
    load_version: str
    run_id: str
    inputs: dict  # the parts of the fingerprint (input_parts), to say what changed

    @classmethod
    def read(cls, path: Path) -> BuildState | None:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def write(self, path: Path) -> None:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        os.replace(temporary, path)


def _digest_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(REPOSITORY)).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def load_version() -> str:
    """Changes when the code that turns cached results into tables changes: then no old table is reused."""
    package = REPOSITORY / "pipeline"
    return _digest_files([package / "load.py", package / "cache.py", package / "facts.py"])


@functools.cache
def code_version() -> str:
    """All code and data of pipeline/ and the SQL models: what this process runs (read once, as the modules and
    models are loaded once per process)."""
    files = [
        path
        for folder, patterns in (
            (REPOSITORY / "pipeline", ("*.py", "*.csv", "*.json")),
            (REPOSITORY / "sql", ("*.sql",)),
        )
        for pattern in patterns
        for path in folder.rglob(pattern)
        if path.is_file() and "__pycache__" not in path.parts
    ]
    return _digest_files(files)


def reference_version() -> str:
    """The reference data agency resolution reads at every build (alias table, divisions): read every time, since
    editing the alias table is how a person merges two agencies, and the next build must apply it."""
    digest = hashlib.sha256()
    for path in (agencies.ALIASES_CSV, agencies.DIVISIONS_CSV):
        digest.update(Path(path).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def input_parts(scan_digest: str) -> dict[str, str]:
    """Everything a build reads: the files found (scan_fingerprint), parser, code and reference data."""
    return {
        "raw files": scan_digest,
        "parser": cache_module.parser_version(),
        "load code": load_version(),
        "code and SQL models": code_version(),
        "reference data": reference_version(),
        "size limit": os.environ.get("PIPELINE_MAX_FILE_MB", ""),
    }


def input_fingerprint(parts: dict[str, str]) -> str:
    """One digest of input_parts: equal fingerprints, the same warehouse."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


# --- the per-report table ------------------------------------------------------------------------------------

LOAD_REPORTS_SCHEMA = pa.schema([*REPORTS_SCHEMA, pa.field("batch_id", pa.string())])


def report_rows(scan: pa.Table, index: pa.Table, problems: dict[str, str] | None = None) -> pa.Table:
    """One row per scanned file (LOAD_REPORTS_SCHEMA, report_id order): skipped and failed files with the reason,
    originals with what the parser said (from the cache index); `problems` (content hash -> reason) marks files
    whose parse result is missing as failed. agency_id is left to `assign_agencies`."""
    problem_table = pl.DataFrame(
        {"content_hash": list((problems or {}).keys()), "problem": list((problems or {}).values())},
        schema={"content_hash": pl.String, "problem": pl.String},
    )
    cached = pl.from_arrow(index).rename({"status": "cached_status", "errors": "cached_errors"})
    files = pl.from_arrow(scan)
    original = (
        pl.col("skip_reason").is_null()
        & pl.col("error").is_null()
        & pl.col("duplicate_of").is_null()
        & pl.col("content_hash").is_not_null()
    )
    joined = (
        files.with_columns(original.alias("original"))
        .join(problem_table, on="content_hash", how="left")
        .join(cached, on="content_hash", how="left")
        .with_columns(
            usable=pl.col("original") & pl.col("problem").is_null() & pl.col("batch_id").is_not_null(),
        )
    )
    missing = "no parse result for this file (its parser process was lost); the next build parses it again"
    status = (
        pl.when(pl.col("skip_reason").is_not_null())
        .then(pl.lit("skipped"))
        .when(pl.col("error").is_not_null())
        .then(pl.lit("failed"))
        .when(pl.col("duplicate_of").is_not_null())
        .then(pl.lit("skipped"))
        .when(pl.col("usable"))
        .then(pl.col("cached_status"))
        .otherwise(pl.lit("failed"))
    )
    errors = (
        pl.when(pl.col("skip_reason").is_not_null())
        .then(pl.concat_list(pl.col("skip_reason")))
        .when(pl.col("error").is_not_null())
        .then(pl.concat_list(pl.col("error")))
        .when(pl.col("duplicate_of").is_not_null())
        .then(pl.concat_list(pl.format("identical to {} (same bytes); parsed once, there", pl.col("duplicate_of"))))
        .when(pl.col("usable"))
        .then(pl.col("cached_errors"))
        .otherwise(pl.concat_list(pl.col("problem").fill_null(pl.lit(missing))))
    )

    def parsed(column: str) -> pl.Expr:
        return pl.when(pl.col("usable")).then(pl.col(column)).otherwise(None).alias(column)

    rows = joined.select(
        "report_id",
        "path",
        pl.when(pl.col("skip_reason").is_null() & pl.col("error").is_null())
        .then(pl.col("content_hash"))
        .otherwise(None)
        .alias("content_hash"),
        "size_bytes",
        parsed("encoding"),
        parsed("reader"),
        parsed("agency"),
        pl.lit(None, pl.String).alias("agency_id"),
        parsed("year"),
        parsed("template"),
        parsed("scope"),
        status.alias("status"),
        pl.when(pl.col("usable")).then(pl.col("n_facts")).otherwise(0).alias("n_facts"),
        pl.when(pl.col("usable")).then(pl.col("n_failed_checks")).otherwise(0).alias("n_failed_checks"),
        errors.alias("errors"),
        parsed("region_hint"),
        parsed("batch_id"),
    ).sort("report_id")
    return rows.to_arrow().cast(LOAD_REPORTS_SCHEMA)


def assign_agencies(reports: pa.Table, memo_folder: Path | None = None) -> dict[str, pa.Table]:
    """THE one place a report's agency_id is set: the canonical agency of its printed name (pipeline/agencies.py,
    aliases applied), on the per-report table, at every build; facts take agency_id from it by a join. Returns
    `reports` with agency_id set, and the `agencies` and `agency_names` tables.

    With a `memo_folder`, what the last build resolved is read from `<memo_folder>/<version>.parquet` and only
    names not seen yet are resolved (a fifth of a 1% refresh of 100,000 reports otherwise). The version digests the
    code and the reference data, so editing the alias table resolves everything again."""
    aliases = agencies.load_aliases(agencies.ALIASES_CSV)  # a bad row stops the run, naming its file and line
    divisions = agencies.divisions_table(agencies.DIVISIONS_CSV)
    memo = memo_folder / f"{code_version()}-{reference_version()}.parquet" if memo_folder is not None else None
    known = None
    if memo is not None and memo.is_file():
        try:
            known = pq.ParquetFile(memo).read()  # not pq.read_table, which imports pandas
        except (OSError, pa.ArrowException) as error:  # a memo is never needed: resolve everything
            log.warning("agency resolutions in %s not read (%s); resolving every name", memo, error)
    resolved = agencies.with_agencies({"reports": reports}, aliases, divisions, known=known)
    if memo is not None:
        memo.parent.mkdir(parents=True, exist_ok=True)
        temporary = memo.with_name(f".{memo.name}.{os.getpid()}.tmp")
        pq.write_table(resolved["resolutions"], temporary)
        os.replace(temporary, memo)  # whole or not at all; the names no report has any more go with the old file
        for stale in memo.parent.glob("*.parquet"):
            if stale != memo:
                stale.unlink(missing_ok=True)
    return resolved


# --- DuckDB ---------------------------------------------------------------------------------------------------


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths) + "]"


def _tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in connection.sql("SELECT table_name FROM duckdb_tables()").fetchall()}


def _create_empty(connection: duckdb.DuckDBPyConnection, name: str, schema: pa.Schema) -> None:
    connection.register("empty_table", schema.empty_table())
    connection.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM empty_table')
    connection.unregister("empty_table")


def _insert_from_cache(
    connection: duckdb.DuckDBPyConnection,
    cache: ParseCache,
    rows: pa.Table,
    table: str,
    kind: str,
    columns: str,
    order: str = "r.report_id, cached.ordinal",
) -> None:
    """Insert the cached facts or checks of the report rows given (those with a batch), joined to their row."""
    rows = rows.filter(pc.is_valid(rows.column("batch_id")))
    files = [path for path in cache.files(kind, rows.column("batch_id").to_pylist()) if path.exists()]
    if not files:
        return
    connection.register("load_rows", rows.select(["report_id", "content_hash", "batch_id", *REPORT_LEVEL_COLUMNS[2:]]))
    connection.execute(
        f'INSERT INTO "{table}" SELECT {columns} '
        f"FROM read_parquet({_sql_list(files)}) AS cached "
        "JOIN load_rows AS r ON cached.content_hash = r.content_hash AND cached.batch_id = r.batch_id "
        f"ORDER BY {order}"
    )
    connection.unregister("load_rows")


FACT_SELECT = ", ".join(
    f"r.{name}" if name in ("report_id", "agency", "agency_id", "year", "template") else f"cached.{name}"
    for name in FACTS_SCHEMA.names
)


CHECK_SELECT = ", ".join(
    "r.report_id" if name == "report_id" else f'cached."{name}"' for name in CHECK_RESULTS_SCHEMA.names
)


@dataclass
class LoadResult:
    reports: pa.Table  # the per-report table as loaded (LOAD_REPORTS_SCHEMA, agency_id set)
    agencies: dict[str, pa.Table]  # `agencies` and `agency_names` (pipeline/agencies.py)
    incremental: bool  # False: facts and check_results were rebuilt from the cache
    touched: int  # reports whose rows changed: their facts and check results were loaded again or removed
    touched_years: set | None  # facts partitions whose content changed (None: all)
    changed_agencies: int | None  # agencies the incremental models compute again (None: the models run whole)


def load_tables(
    connection: duckdb.DuckDBPyConnection,
    scan: pa.Table,
    cache: ParseCache,
    base: BuildState | None,
    problems: dict[str, str] | None = None,
) -> LoadResult:
    """Fill the staged database (see the module docstring). `base` is the state of the build the staged database
    was copied from (None: none usable, so the tables are rebuilt from the cache)."""
    resolved = assign_agencies(report_rows(scan, cache.index(), problems), cache.root / AGENCY_MEMO_FOLDER)
    reports = resolved["reports"]
    existing = _tables(connection)
    incremental = (
        base is not None
        and base.parser_version == cache.version
        and base.load_version == load_version()
        and {"facts", "reports", "check_results"} <= existing
    )
    connection.register("new_reports", reports)
    raw_files = scan.select(RAW_REPORT_FILES_SCHEMA.names).cast(RAW_REPORT_FILES_SCHEMA)
    connection.register("scanned_files", raw_files)
    connection.execute("CREATE OR REPLACE TABLE raw_report_files AS SELECT * FROM scanned_files ORDER BY report_id")
    connection.unregister("scanned_files")
    if incremental:
        differs = " OR ".join(f"o.{name} IS DISTINCT FROM n.{name}" for name in REPORT_LEVEL_COLUMNS)
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE touched AS SELECT coalesce(n.report_id, o.report_id) AS report_id "
            "FROM new_reports AS n FULL OUTER JOIN reports AS o ON n.report_id = o.report_id "
            f"WHERE n.report_id IS NULL OR o.report_id IS NULL OR {differs}"
        )
        touched_ids = {row[0] for row in connection.sql("SELECT report_id FROM touched").fetchall()}
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE changed_agencies AS "
            "SELECT agency_id FROM reports SEMI JOIN touched USING (report_id) "
            "UNION SELECT agency_id FROM new_reports SEMI JOIN touched USING (report_id)"
        )
        connection.execute(  # the touched reports as they were (for CHANGED_YEARS)
            "CREATE OR REPLACE TEMP TABLE touched_before AS SELECT agency_id, year FROM reports SEMI JOIN touched "
            "USING (report_id)"
        )
        years = _fact_years(connection, touched_ids)
        connection.execute("DELETE FROM facts WHERE report_id IN (SELECT report_id FROM touched)")
        connection.execute("DELETE FROM check_results WHERE report_id IN (SELECT report_id FROM touched)")
        to_load = reports.filter(pl.from_arrow(reports.column("report_id")).is_in(list(touched_ids)).to_arrow())
    else:
        _create_empty(connection, "facts", FACTS_SCHEMA)
        _create_empty(connection, "check_results", CHECK_RESULTS_SCHEMA)
        touched_ids, years, to_load = set(reports.column("report_id").to_pylist()), None, reports
    # facts clustered by year: each year partition's COPY then reads only its own row groups (write_parquet)
    _insert_from_cache(connection, cache, to_load, "facts", "facts", FACT_SELECT, "r.year, r.report_id, cached.ordinal")
    _insert_from_cache(connection, cache, to_load, "check_results", "checks", CHECK_SELECT)
    connection.execute(
        "CREATE OR REPLACE TABLE reports AS SELECT * EXCLUDE (batch_id) FROM new_reports ORDER BY report_id"
    )
    connection.unregister("new_reports")
    if incremental:
        for table in ("changed_agency_rows", "changed_agency_descriptions"):
            connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} (agency_id VARCHAR)")
    for name in ("agencies", "agency_names"):
        connection.register("incoming", resolved[name])
        if incremental:  # an agency whose region or names changed (an edit of divisions or aliases) is changed too
            connection.execute(
                f'INSERT INTO changed_agency_rows SELECT agency_id FROM (FROM incoming EXCEPT FROM "{name}") '
                f'UNION SELECT agency_id FROM (FROM "{name}" EXCEPT FROM incoming)'
            )
            # what it is, not how many reports it has: what a model incremental by year may read of it
            described = f"SELECT {', '.join(AGENCY_DESCRIPTION[name])} FROM"
            connection.execute(
                f"INSERT INTO changed_agency_descriptions SELECT agency_id FROM ({described} incoming "
                f'EXCEPT {described} "{name}") UNION SELECT agency_id FROM ({described} "{name}" '
                f"EXCEPT {described} incoming)"
            )
        connection.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM incoming')
        connection.unregister("incoming")
    if incremental:
        connection.execute("INSERT INTO changed_agencies FROM changed_agency_rows")
    if years is not None:
        years |= _fact_years(connection, touched_ids)
    changed = None
    forget_changes(connection)  # never a list the published database came with
    if incremental and base.inputs.get("code and SQL models") == code_version():
        connection.execute(f"CREATE SCHEMA {BUILD_SCHEMA}")
        connection.execute(f"CREATE TABLE {CHANGED_AGENCIES} AS SELECT DISTINCT agency_id FROM changed_agencies")
        connection.execute(
            f"CREATE TABLE {CHANGED_YEARS} AS "
            "SELECT listed.table_name, touched_years.year FROM (VALUES ('facts'), ('reports')) AS listed(table_name), "
            "(SELECT year FROM touched_before UNION SELECT year FROM reports SEMI JOIN touched USING (report_id)) "
            "AS touched_years "
            "UNION SELECT listed.table_name, agency_years.year "
            "FROM (VALUES ('agencies'), ('agency_names')) AS listed(table_name), ("
            "SELECT year FROM touched_before AS t SEMI JOIN changed_agency_descriptions AS c USING (agency_id) "
            "UNION SELECT year FROM reports AS t SEMI JOIN changed_agency_descriptions AS c USING (agency_id)"
            ") AS agency_years"
        )
        (changed,) = connection.sql(f"SELECT count(*) FROM {CHANGED_AGENCIES}").fetchall()[0]
    agencies = {name: resolved[name] for name in ("agencies", "agency_names")}
    return LoadResult(reports, agencies, incremental, len(touched_ids), years, changed)


def changed_agencies(connection: duckdb.DuckDBPyConnection) -> str | None:
    """CHANGED_AGENCIES when the load step listed the agencies that changed (incremental models may then run for
    those only), else None."""
    (found,) = connection.sql(
        f"SELECT count(*) FROM duckdb_tables() WHERE schema_name = '{BUILD_SCHEMA}' AND table_name = 'changed_agencies'"
    ).fetchall()[0]
    return CHANGED_AGENCIES if found else None


def forget_changes(connection: duckdb.DuckDBPyConnection) -> None:
    """Drop what the load step told the model steps: the published database holds the warehouse only."""
    connection.execute(f"DROP SCHEMA IF EXISTS {BUILD_SCHEMA} CASCADE")


def _fact_years(connection: duckdb.DuckDBPyConnection, report_ids: set[str]) -> set:
    """The years (partitions) of the facts of these reports."""
    if not report_ids:
        return set()
    return {
        row[0]
        for row in connection.sql(
            "SELECT DISTINCT year FROM facts WHERE report_id IN (SELECT report_id FROM touched)"
        ).fetchall()
    }


# --- Parquet --------------------------------------------------------------------------------------------------


def partition_folder(year: int | None) -> str:
    return f"year={NULL_PARTITION if year is None else year}"


def write_parquet(
    connection: duckdb.DuckDBPyConnection,
    staging: Path,
    base_folder: Path | None,
    touched_years: set | None,
    check_results_changed: bool = True,
) -> list:
    """Write facts/ (year partitions), reports.parquet and check_results.parquet into staging from the staged
    tables. Partitions not in `touched_years` (None: all are) are hard-linked from `base_folder`, the published
    build the staged database was copied from, when it has them. Returns the years written."""
    facts_dir = staging / "facts"
    shutil.rmtree(facts_dir, ignore_errors=True)
    present = {row[0] for row in connection.sql("SELECT DISTINCT year FROM facts").fetchall()}
    reused = {}
    if touched_years is not None and base_folder is not None:
        for year in present - touched_years:
            source = base_folder / "facts" / partition_folder(year)
            if source.is_dir():
                reused[year] = source
    written = sorted(present - set(reused), key=lambda year: (year is None, year))
    for year in written:
        # one COPY per partition: DuckDB's PARTITION_BY costs three times the CPU on a table in report order
        folder = facts_dir / partition_folder(year)
        folder.mkdir(parents=True)
        condition = "year IS NULL" if year is None else f"year = {int(year)}"
        target = str(folder / PARTITION_FILE).replace("'", "''")
        connection.execute(
            f"COPY (SELECT * EXCLUDE (year) FROM facts WHERE {condition}) TO '{target}' "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
        )
    facts_dir.mkdir(exist_ok=True)
    for year, source in reused.items():
        _copy_as_links(source, facts_dir / partition_folder(year))
    reports = str(staging / "reports.parquet").replace("'", "''")
    connection.execute(
        f"COPY (SELECT * FROM reports ORDER BY report_id) TO '{reports}' (FORMAT parquet, COMPRESSION zstd)"
    )
    checks = staging / "check_results.parquet"
    checks.unlink(missing_ok=True)
    previous = base_folder / "check_results.parquet" if base_folder is not None else None
    if not check_results_changed and previous is not None and previous.is_file():
        try:
            os.link(previous, checks)
        except OSError:
            shutil.copy2(previous, checks)
    else:
        target = str(checks).replace("'", "''")
        connection.execute(f"COPY check_results TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    return written


# --- a run: plan, parse, load ---------------------------------------------------------------------------------

HASH_PREFIXES = tuple(f"{digit:x}" for digit in range(16))  # parse partitions: the content hash's first hex digit
SCAN_FILE, PLAN_FILE = ".scan.parquet", ".plan.json"  # in the run's staging folder
MANIFEST_FILE = "manifest.parquet"  # in <warehouse>/.cache


@dataclass
class RunPlan:
    """What a run found and whether anything changed since the published build (then it has nothing to do)."""

    scan: pa.Table
    fingerprint: str
    unchanged: bool
    inputs: dict  # input_parts
    changed: tuple[str, ...] = ()  # the inputs that differ from the published build's (all: none to compare)
    removed_staging: tuple[Path, ...] = ()  # staging folders of dead runs removed when the plan was made


def inspect_raw_folder(store: Warehouse, raw_dir: Path) -> RunPlan:
    """Scan the raw folder (hashes from the last scan's manifest, which this updates) and compare the input
    fingerprint with the published build's: `unchanged` means a build would publish the same warehouse."""
    scan = scan_folder(raw_dir, store.cache / MANIFEST_FILE)
    write_manifest(scan, store.cache / MANIFEST_FILE)
    parts = input_parts(scan_fingerprint(scan))
    fingerprint = input_fingerprint(parts)
    published = store.published_state()
    state = BuildState.read(published) if published is not None else None
    changed = tuple(name for name, value in parts.items() if state is None or state.inputs.get(name) != value)
    return RunPlan(scan, fingerprint, state is not None and state.fingerprint == fingerprint, parts, changed)


def plan_run(store: Warehouse, run_id: str, raw_dir: Path) -> RunPlan:
    """The run's plan, made by the first step that asks (scan the raw folder, hashes from the last scan's
    manifest; compare the input fingerprint with the published build's) and kept in its staging folder."""
    staging = store.staging(run_id)
    if staging in _plans_made:
        return _plans_made[staging]
    if (staging / PLAN_FILE).exists():
        plan = json.loads((staging / PLAN_FILE).read_text(encoding="utf-8"))
        _plans_made[staging] = RunPlan(pq.ParquetFile(staging / SCAN_FILE).read(), **plan)
        return _plans_made[staging]
    removed = tuple(store.remove_stale_staging())  # a new run: the leftovers of dead ones go first
    plan = inspect_raw_folder(store, raw_dir)
    plan.removed_staging = removed
    staging = store.claim(run_id)
    pq.write_table(plan.scan, staging / SCAN_FILE)
    (staging / PLAN_FILE).write_text(
        json.dumps(
            {
                "fingerprint": plan.fingerprint,
                "unchanged": plan.unchanged,
                "inputs": plan.inputs,
                "changed": plan.changed,
            }
        ),
        encoding="utf-8",
    )
    _plans_made[staging] = dataclasses.replace(plan, removed_staging=())  # said once, by the step that made it
    return plan


# Plans this process made or read, by staging folder: the steps of a run ask for it ~30 times, and the scan of a
# large folder takes a while to read back. The files in the staging folder stay the truth for other processes.
_plans_made: dict[Path, RunPlan] = {}


def files_to_parse(scan: pa.Table, cache: ParseCache, prefixes: Iterable[str] = HASH_PREFIXES) -> list[tuple[str, str]]:
    """(path, content hash) of the originals whose hash starts with one of the prefixes and is not cached yet."""
    wanted = tuple(prefixes)
    cached = set(cache.index().column("content_hash").to_pylist())
    rows = originals(scan)
    return [
        (path, digest)
        for path, digest in zip(rows.column("path").to_pylist(), rows.column("content_hash").to_pylist(), strict=True)
        if digest not in cached and digest.startswith(wanted)
    ]


def parse_missing(
    store: Warehouse,
    scan: pa.Table,
    prefixes: Iterable[str] = HASH_PREFIXES,
    progress: Callable[[int, int], None] | None = None,
) -> ParseSummary:
    """Parse into the cache every original of the scan (with a hash prefix among `prefixes`) not cached yet."""
    cache = ParseCache(store.cache)
    with cache.reading():
        return parse_into_cache(cache, files_to_parse(scan, cache, prefixes), progress=progress)


def build_tables(
    store: Warehouse, run_id: str, plan: RunPlan, progress: Callable[[int, int], None] | None = None
) -> LoadResult:
    """The load step of a run: parse what the cache lacks (normally nothing: the parse step did it), fill the
    staged database and write the Parquet files; then prune the cache of content no longer in the raw folder."""
    cache = ParseCache(store.cache)
    with cache.reading():
        summary = parse_into_cache(cache, files_to_parse(plan.scan, cache), progress=progress)
        staging = store.claim(run_id)
        with store.connect(run_id) as connection:
            base = BuildState.read(staging / BASE_STATE_FILE)
            result = load_tables(connection, plan.scan, cache, base, summary.problems)
            base_folder = store.directory / store.VERSIONS / base.run_id if base and result.incremental else None
            write_parquet(
                connection,
                staging,
                base_folder,
                result.touched_years,
                check_results_changed=not result.incremental or result.touched > 0,
            )
    cache.prune(set(originals(plan.scan).column("content_hash").to_pylist()))
    return result


def record_state(store: Warehouse, run_id: str, plan: RunPlan) -> None:
    """Mark the staged build as made from the plan's inputs (call only when every step of the build ran), so the
    next run with the same inputs does nothing, and one with few changes loads only those."""
    state = BuildState(plan.fingerprint, cache_module.parser_version(), load_version(), run_id, plan.inputs)
    state.write(store.staging(run_id) / STATE_FILE)


def drop_plan(store: Warehouse, run_id: str) -> None:
    """Remove the plan's files from the staging folder before it is published: they are the run's own."""
    for name in (SCAN_FILE, PLAN_FILE):
        (store.staging(run_id) / name).unlink(missing_ok=True)
    _plans_made.pop(store.staging(run_id), None)
