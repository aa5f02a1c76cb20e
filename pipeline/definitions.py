"""Dagster wiring, thin on purpose: every step lives in its own module and is only called here.

    raw_report_files -> facts, reports, check_results -> (vocabulary) -> SQL models -> warehouse

Each run builds into its own staging database (`Warehouse.staging`), the asset checks audit it, and the
`warehouse` asset publishes it atomically at the end. `dagster dev` / `dg dev` from the repository root
load `defs`; `python -m pipeline build` runs the same job in process with other folders.
"""

import os
import time
from pathlib import Path

import dagster as dg
import polars as pl
import pyarrow as pa

from pipeline.checks import CHECK_NAMES
from pipeline.inventory import RawFile, parse_inventory, scan_raw_folder
from pipeline.sql_models import SqlModel, load_models, run_model
from pipeline.warehouse import Warehouse, report_tables, run_summary, vocabulary_table

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_RAW_DIR = REPOSITORY / "data" / "raw"
DEFAULT_WAREHOUSE_DIR = REPOSITORY / "data" / "warehouse"
JOB_NAME = "refresh_warehouse"
PROGRESS_EVERY = 100


class WarehouseResource(dg.ConfigurableResource):
    """Where raw reports are read from and where the warehouse is published."""

    raw_dir: str = str(DEFAULT_RAW_DIR)
    warehouse_dir: str = str(DEFAULT_WAREHOUSE_DIR)

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(Path(self.warehouse_dir).resolve())


def _preview(table: pa.Table | pl.DataFrame, rows: int = 5) -> dg.MetadataValue:
    frame = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_dataframe_shape=True,
        fmt_str_lengths=40,
        tbl_cols=12,
        tbl_hide_column_data_types=True,
    ):
        return dg.MetadataValue.md(str(frame.head(rows)))


def _table_metadata(table: pa.Table | pl.DataFrame) -> dict:
    frame = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    return {
        "dagster/row_count": frame.height,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, str(dtype)) for name, dtype in frame.schema.items()]
        ),
        "preview": _preview(frame),
    }


@dg.asset(group_name="ingest", description="Every file found in the raw folder (any format), skipped ones included.")
def raw_report_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    raw_dir = Path(warehouse.raw_dir).resolve()
    files = scan_raw_folder(raw_dir)
    store = warehouse.warehouse
    for folder in store.remove_stale_staging():
        context.log.info(f"removed the staging folder of a run that died: {folder}")
    manifest = pa.table(
        {
            "report_id": [f.report_id for f in files],
            "path": [str(f.path) for f in files],
            "size_bytes": pa.array([f.size_bytes for f in files], pa.int64()),
            "skip_reason": pa.array([f.skip_reason for f in files], pa.string()),
        }
    )
    store.staging(context.run.run_id).mkdir(parents=True, exist_ok=True)
    store.write_table(context.run.run_id, "raw_report_files", manifest, parquet=False)
    context.log.info(f"{len(files)} files in {raw_dir}")
    return dg.MaterializeResult(metadata={**_table_metadata(manifest), "raw_dir": str(raw_dir)})


@dg.multi_asset(
    group_name="parsed",
    specs=[
        dg.AssetSpec(name, deps=[raw_report_files], description=description)
        for name, description in (
            ("facts", "One row per report cell or prose figure, coded with the vocabulary."),
            ("reports", "One row per input file, parsed or not: status and the reason for every problem."),
            ("check_results", "One row per consistency rule evaluated on a report."),
        )
    ],
    can_subset=False,
)
def parsed_reports(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    store = warehouse.warehouse
    with store.connect(context.run.run_id) as connection:
        manifest = connection.sql(
            "SELECT report_id, path, size_bytes, skip_reason FROM raw_report_files ORDER BY report_id"
        ).fetchall()
    files = [RawFile(rid, Path(path), size, skip) for rid, path, size, skip in manifest]
    started = time.perf_counter()
    parsed = []
    for index, (rid, report) in enumerate(parse_inventory(files), start=1):
        if report.status == "failed":
            context.log.warning(f"{rid}: failed: {'; '.join(report.errors)}")
        parsed.append((rid, report))
        if index % PROGRESS_EVERY == 0 or index == len(files):
            context.log.info(f"parsed {index}/{len(files)} files ({time.perf_counter() - started:.1f} s)")
    tables = report_tables(parsed)
    for name, table in tables.items():
        store.write_table(context.run.run_id, name, table)
    summary = run_summary(tables["reports"])
    context.instance.add_run_tags(context.run.run_id, {f"summary/{key}": str(value) for key, value in summary.items()})
    context.log.info("files " + ", ".join(f"{key} {value}" for key, value in summary.items()))
    for name, table in tables.items():
        extra = {"run_summary": summary} if name == "reports" else {}
        yield dg.MaterializeResult(asset_key=name, metadata={**_table_metadata(table), **extra})


@dg.asset(group_name="parsed", description="The canonical vocabulary (pipeline/vocabulary.csv) as a table.")
def vocabulary(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    table = vocabulary_table()
    warehouse.warehouse.write_table(context.run.run_id, "vocabulary", table, parquet=False)
    return dg.MaterializeResult(metadata=_table_metadata(table))


def _rule_findings(connection, rule: str) -> pl.DataFrame:
    return connection.sql(
        'SELECT report_id, coalesce("column", category) AS cell, detail, line FROM check_results '
        f"WHERE name = '{rule}' AND NOT ok ORDER BY report_id, line"
    ).pl()


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(rule, asset="check_results", description=f"The {rule} rule holds in every report.")
        for rule in CHECK_NAMES
    ]
)
def report_consistency(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    """Real reports break their own arithmetic: these warn and name the reports, never block."""
    with warehouse.warehouse.connect(context.run.run_id) as connection:
        for rule in CHECK_NAMES:
            failures = _rule_findings(connection, rule)
            (evaluated,) = connection.sql(f"SELECT count(*) FROM check_results WHERE name = '{rule}'").fetchall()[0]
            yield dg.AssetCheckResult(
                check_name=rule,
                asset_key="check_results",
                passed=failures.is_empty(),
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "evaluated": evaluated,
                    "failed": failures.height,
                    "failing_reports": sorted(set(failures["report_id"].to_list())),
                    "findings": _preview(failures, rows=20),
                },
            )


@dg.asset_check(asset="reports", blocking=True, description="Every raw file has a reports row.")
def every_file_accounted_for(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    with warehouse.warehouse.connect(context.run.run_id) as connection:
        missing = connection.sql(
            "SELECT report_id FROM raw_report_files ANTI JOIN reports USING (report_id) ORDER BY report_id"
        ).fetchall()
    return dg.AssetCheckResult(passed=not missing, metadata={"missing": [row[0] for row in missing]})


@dg.asset_check(asset="reports", description="No file was quarantined (status failed).")
def no_quarantined_files(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    with warehouse.warehouse.connect(context.run.run_id) as connection:
        failed = connection.sql(
            "SELECT report_id, array_to_string(errors, '; ') AS errors FROM reports "
            "WHERE status = 'failed' ORDER BY report_id"
        ).pl()
    return dg.AssetCheckResult(
        passed=failed.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"quarantined": failed["report_id"].to_list(), "reasons": _preview(failed, rows=20)},
    )


@dg.asset_check(asset="reports", description="One report per agency and year (identical copies are parsed once).")
def one_report_per_agency_year(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    """Two different files for one agency-year: both are kept, and this names them for a person to decide."""
    with warehouse.warehouse.connect(context.run.run_id) as connection:
        duplicates = connection.sql(
            "SELECT agency_id, year, count(*) AS files, string_agg(report_id, '; ' ORDER BY report_id) AS report_ids "
            "FROM reports WHERE status <> 'skipped' AND agency_id IS NOT NULL AND year IS NOT NULL "
            "GROUP BY agency_id, year HAVING count(*) > 1 ORDER BY agency_id, year"
        ).pl()
    return dg.AssetCheckResult(
        passed=duplicates.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "agency_years": [f"{row['agency_id']} {row['year']}" for row in duplicates.iter_rows(named=True)],
            "files": _preview(duplicates, rows=20),
        },
    )


def _model_asset(model: SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        name=model.name,
        group_name="models",
        deps=[dg.AssetKey(table) for table in model.depends_on],
        description=model.description,
        code_version=model.code_version,
        metadata={"sql_file": str(model.path.relative_to(REPOSITORY))},
    )
    def _materialize(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.warehouse.connect(context.run.run_id) as connection:
            run_model(connection, model)
            frame = connection.sql(f'SELECT * FROM "{model.name}"').pl()
        return dg.MaterializeResult(metadata=_table_metadata(frame))

    return _materialize


MODEL_ASSETS = [_model_asset(model) for model in load_models()]


@dg.asset(
    group_name="publish",
    deps=[*MODEL_ASSETS, "facts", "reports", "check_results", vocabulary],
    description=(
        "Publishes the run's staged warehouse: Parquet files and warehouse.duckdb, swapped in atomically. "
        "Only this asset publishes: include it when materialising a subset, or the run's work stays staged."
    ),
)
def warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    store = warehouse.warehouse
    with store.connect(context.run.run_id) as connection:
        tables = connection.sql("SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY table_name").fetchall()
    published = store.publish(context.run.run_id)
    context.log.info(f"published {store.database}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(store.database)),
            "tables": dg.MetadataValue.md("\n".join(f"- `{name}`: {rows} rows" for name, rows in tables)),
            "files": [str(path) for path in published],
        }
    )


RETRIES = 2  # a failed refresh is retried (dagster.yaml enables run retries; this sets how often)

refresh_warehouse = dg.define_asset_job(
    JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Parse every raw report, rebuild the warehouse tables and SQL models, audit, then publish.",
    # every step again: a retry is a new run with its own staging area, so it must not reuse half a build
    run_tags={"dagster/max_retries": str(RETRIES), "dagster/retry_strategy": "ALL_STEPS"},
)

nightly_refresh = dg.ScheduleDefinition(
    name="nightly_refresh",
    job=refresh_warehouse,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


@dg.run_failure_sensor(
    name="refresh_failure_alert",
    monitored_jobs=[refresh_warehouse],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes an ALERT line to the log when a refresh fails; the published warehouse is unchanged.",
)
def refresh_failure_alert(context: dg.RunFailureSensorContext) -> None:
    """The alert of last resort: in the daemon's log and the UI. Mail or chat hooks belong here."""
    retry = context.dagster_run.tags.get("dagster/retry_number", "0")
    context.log.error(
        f"ALERT: {JOB_NAME} run {context.dagster_run.run_id} failed (retry {retry} of {RETRIES}): "
        f"{(context.failure_event.message or '').rstrip('.')}. The previous warehouse stays published."
    )


def build_definitions(raw_dir: str | Path | None = None, warehouse_dir: str | Path | None = None) -> dg.Definitions:
    """The project's Definitions; folders default to $PIPELINE_RAW_DIR / $PIPELINE_WAREHOUSE_DIR or data/."""
    resource = WarehouseResource(
        raw_dir=str(raw_dir or os.environ.get("PIPELINE_RAW_DIR") or DEFAULT_RAW_DIR),
        warehouse_dir=str(warehouse_dir or os.environ.get("PIPELINE_WAREHOUSE_DIR") or DEFAULT_WAREHOUSE_DIR),
    )
    return dg.Definitions(
        assets=[raw_report_files, parsed_reports, vocabulary, *MODEL_ASSETS, warehouse],
        asset_checks=[report_consistency, every_file_accounted_for, no_quarantined_files, one_report_per_agency_year],
        jobs=[refresh_warehouse],
        schedules=[nightly_refresh],
        sensors=[refresh_failure_alert],
        resources={"warehouse": resource},
        executor=dg.in_process_executor,
    )


defs = build_definitions()
