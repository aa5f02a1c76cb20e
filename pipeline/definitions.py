"""Dagster wiring, thin on purpose: every step lives in its own module and is only called here.

    raw_report_files -> parse_cache -> facts, reports, check_results -> (vocabulary) -> SQL models -> warehouse
    divisions, agency_aliases (data/reference/) -> agencies, agency_names (built with reports, pipeline/agencies.py)
    SQL models -> trends_report (report.html, pipeline/report_page.py) -> warehouse

Checks: the parser's rules per report (`report_consistency`), the accounting of raw files, and one check per
cross-report quality model (`sql/quality_*.sql`: continuity, duplicates, missing years, prose vs table) listing
the offending agency-years.

Incremental (pipeline/scan.py, cache.py, load.py): the first step that runs makes the run's plan (scan the raw
folder, compare the input fingerprint with the published build's); when nothing changed, every step returns at
once and nothing is published. `parse_cache` is partitioned by the first hex digit of the content hash, with a
single-run backfill policy: the schedule and `python -m pipeline build` run all 16 partitions in one run (one
step, a process pool inside); a cluster can instead run `parse_partitions` one partition per run (see
docs/operations.md), and a refresh after it finds everything cached.

Each run builds into its own staging database (`Warehouse.staging`), the asset checks audit it, and the
`warehouse` asset publishes it atomically at the end. `dagster dev` / `dg dev` from the repository root
load `defs`; `python -m pipeline build` runs the same job in process with other folders.
"""

import os
import time
import warnings
from pathlib import Path

import dagster as dg
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.agencies import aliases_table, divisions_table, load_aliases
from pipeline.cache import parser_version, workers
from pipeline.checks import CHECK_NAMES
from pipeline.load import (
    CHANGED_YEARS,
    HASH_PREFIXES,
    RunPlan,
    build_tables,
    changed_agencies,
    drop_plan,
    forget_changes,
    parse_missing,
    plan_run,
    record_state,
)
from pipeline.report_page import CHARTS_BY_ASSET, REPORT_QUERIES_READ, build_charts, chart_metadata, write_page
from pipeline.sql_models import SqlModel, load_models, run_model
from pipeline.warehouse import REPORT_PAGE, Warehouse, run_summary, vocabulary_table

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_RAW_DIR = REPOSITORY / "data" / "raw"
DEFAULT_WAREHOUSE_DIR = REPOSITORY / "data" / "warehouse"
JOB_NAME = "refresh_warehouse"
PARSE_JOB_NAME = "parse_partitions"
HASH_PARTITIONS = dg.StaticPartitionsDefinition(list(HASH_PREFIXES))
# every partition in one run: the tags the schedule and the CLI put on a refresh
ALL_PARTITIONS_TAGS = {
    "dagster/asset_partition_range_start": HASH_PREFIXES[0],
    "dagster/asset_partition_range_end": HASH_PREFIXES[-1],
}


class WarehouseResource(dg.ConfigurableResource):
    """Where raw reports are read from and where the warehouse is published."""

    raw_dir: str = str(DEFAULT_RAW_DIR)
    warehouse_dir: str = str(DEFAULT_WAREHOUSE_DIR)

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(Path(self.warehouse_dir).resolve())

    def plan(self, context) -> RunPlan:
        """The run's plan (made by whichever step asks first): what the raw folder holds, and whether anything
        changed since the published build."""
        plan = plan_run(self.warehouse, context.run.run_id, Path(self.raw_dir).resolve())
        for folder in plan.removed_staging:
            context.log.info(f"removed the staging folder of a run that died: {folder}")
        return plan


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


def _relation_metadata(connection, name: str, descriptions: dict[str, str] | None = None) -> dict:
    """Row count, schema (with the documented column descriptions) and preview of a table, without reading it whole."""
    (rows,) = connection.sql(f'SELECT count(*) FROM "{name}"').fetchall()[0]
    columns = connection.sql(f'DESCRIBE "{name}"').fetchall()
    descriptions = descriptions or {}
    return {
        "dagster/row_count": rows,
        "dagster/column_schema": dg.TableSchema(
            columns=[
                dg.TableColumn(column[0], column[1], description=descriptions.get(column[0])) for column in columns
            ]
        ),
        "preview": _preview(connection.sql(f'SELECT * FROM "{name}" LIMIT 5').pl()),
    }


UNCHANGED = "nothing changed since the published build: it stays as it is"


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
    plan = warehouse.plan(context)
    scan = plan.scan
    context.log.info(f"{scan.num_rows} files in {Path(warehouse.raw_dir).resolve()}")
    if plan.unchanged:
        context.log.info(UNCHANGED)
    else:
        context.log.info(f"changed since the published build: {', '.join(plan.changed)}")
    return dg.MaterializeResult(
        metadata={
            **_table_metadata(scan.select(["report_id", "path", "size_bytes", "content_hash", "skip_reason"])),
            "raw_dir": str(Path(warehouse.raw_dir).resolve()),
            "unchanged": plan.unchanged,
        }
    )


# BackfillPolicy is "beta" in Dagster 1.13; the single-run policy is what lets one run take every partition
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)


@dg.asset(
    group_name="parsed",
    deps=[raw_report_files],
    partitions_def=HASH_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "Parse results of every raw file, cached by content hash and parser version under <warehouse>/.cache/ "
        "(pipeline/cache.py): files already parsed by this parser are not parsed again. Partitioned by the first "
        "hex digit of the content hash; one run can take any range of partitions (a process pool inside)."
    ),
)
def parse_cache(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    plan = warehouse.plan(context)
    partitioned = context.has_partition_key or context.has_partition_key_range
    prefixes = context.partition_keys if partitioned else list(HASH_PREFIXES)  # unpartitioned run: all of them
    if plan.unchanged:
        return dg.MaterializeResult(metadata={"parsed": 0, "unchanged": True, "parser_version": parser_version()})
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        context.log.info(f"parsed {done}/{total} files ({time.perf_counter() - started:.1f} s)")

    summary = parse_missing(warehouse.warehouse, plan.scan, prefixes, progress)
    context.log.info(f"parsed {summary.parsed} files into the cache ({workers()} processes), partitions {prefixes}")
    return dg.MaterializeResult(
        metadata={
            "parsed": summary.parsed,
            "statuses": summary.statuses,
            "not_cached": len(summary.problems),
            "parser_version": parser_version(),
            "partitions": ",".join(prefixes),
        }
    )


def _stage_small_table(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, name: str, table: pa.Table
) -> dg.MaterializeResult:
    """A reference table read from the repository, staged as a DuckDB table (no Parquet) unless nothing changed."""
    if warehouse.plan(context).unchanged:
        return dg.MaterializeResult(metadata={**_table_metadata(table), "unchanged": True})
    warehouse.warehouse.write_table(context.run.run_id, name, table, parquet=False)
    return dg.MaterializeResult(metadata=_table_metadata(table))


@dg.asset(group_name="reference", description="GB/T 2260 divisions, valid years (data/reference/divisions.csv).")
def divisions(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    return _stage_small_table(context, warehouse, "divisions", divisions_table())


@dg.asset(group_name="reference", description="The curated agency alias table (data/reference/agency_aliases.csv).")
def agency_aliases(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    # a bad row stops the run here, naming the file and line
    return _stage_small_table(context, warehouse, "agency_aliases", aliases_table(load_aliases()))


@dg.multi_asset(
    group_name="parsed",
    specs=[
        *(
            dg.AssetSpec(name, deps=[raw_report_files, parse_cache], description=description)
            for name, description in (
                ("facts", "One row per report cell or prose figure, coded with the vocabulary."),
                ("reports", "One row per input file, parsed or not: status and the reason for every problem."),
                ("check_results", "One row per consistency rule evaluated on a report."),
            )
        ),
        *(
            dg.AssetSpec(name, deps=[raw_report_files, divisions, agency_aliases], description=description)
            for name, description in (
                ("agencies", "One row per canonical agency: region, level, type, years (pipeline/agencies.py)."),
                ("agency_names", "One row per agency and name as printed, with the years each name was used."),
            )
        ),
    ],
    can_subset=False,
)
def parsed_reports(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Loads the cached parse results into the run's staged database (pipeline/load.py): only what changed when
    the published build allows it, everything otherwise; Parquet beside it."""
    store, run_id = warehouse.warehouse, context.run.run_id
    plan = warehouse.plan(context)
    names = ("facts", "reports", "check_results", "agencies", "agency_names")
    if plan.unchanged:
        with store.read(run_id) as connection:
            metadata = {name: _relation_metadata(connection, name) for name in names}
            reports = connection.sql("SELECT status, n_facts, n_failed_checks FROM reports").to_arrow_table()
        context.log.info(UNCHANGED)
    else:
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            context.log.info(f"parsed {done}/{total} files ({time.perf_counter() - started:.1f} s)")

        result = build_tables(store, run_id, plan, progress)
        how = f"incrementally: {result.touched} reports changed" if result.incremental else "from the parse cache"
        if result.changed_agencies is not None:
            how += f", {result.changed_agencies} agencies (incremental models compute these again)"
        context.log.info(f"loaded {result.reports.num_rows} reports {how}")
        with store.connect(run_id) as connection:
            metadata = {name: _relation_metadata(connection, name) for name in names}
        reports = result.reports
        for row in reports.filter(pc.equal(reports.column("status"), "failed")).to_pylist():
            context.log.warning(f"{row['report_id']}: failed: {'; '.join(row['errors'])}")
    summary = run_summary(reports)
    context.instance.add_run_tags(run_id, {f"summary/{key}": str(value) for key, value in summary.items()})
    context.log.info("files " + ", ".join(f"{key} {value}" for key, value in summary.items()))
    for name in names:
        extra = {"run_summary": summary} if name == "reports" else {}
        yield dg.MaterializeResult(asset_key=name, metadata={**metadata[name], **extra, "unchanged": plan.unchanged})


@dg.asset(group_name="parsed", description="The canonical vocabulary (pipeline/vocabulary.csv) as a table.")
def vocabulary(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    return _stage_small_table(context, warehouse, "vocabulary", vocabulary_table())


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
    with warehouse.warehouse.read(context.run.run_id) as connection:
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
    with warehouse.warehouse.read(context.run.run_id) as connection:
        missing = connection.sql(
            "SELECT report_id FROM raw_report_files ANTI JOIN reports USING (report_id) ORDER BY report_id"
        ).fetchall()
    return dg.AssetCheckResult(passed=not missing, metadata={"missing": [row[0] for row in missing]})


@dg.asset_check(asset="reports", description="No file was quarantined (status failed).")
def no_quarantined_files(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    with warehouse.warehouse.read(context.run.run_id) as connection:
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
    with warehouse.warehouse.read(context.run.run_id) as connection:
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
        if warehouse.plan(context).unchanged:
            with warehouse.warehouse.read(context.run.run_id) as connection:
                metadata = _relation_metadata(connection, model.name, model.columns)
            return dg.MaterializeResult(metadata={**metadata, "unchanged": True})
        with warehouse.warehouse.connect(context.run.run_id) as connection:
            changed = changed_agencies(connection) if model.incremental else None
            run_model(connection, model, changed, CHANGED_YEARS if changed else None)
            metadata = _relation_metadata(connection, model.name, model.columns)
            if changed and model.incremental == "agency_id":
                (agencies,) = connection.sql(f"SELECT count(*) FROM {changed}").fetchall()[0]
                metadata["changed_agencies_computed"] = agencies
                context.log.info(f"{model.name}: computed again for the {agencies} changed agencies only")
            elif changed:
                years = connection.execute(
                    f"SELECT DISTINCT year FROM {CHANGED_YEARS} WHERE table_name = ? ORDER BY year", [model.name]
                ).fetchall()
                (present,) = connection.sql(f'SELECT count(DISTINCT year) FROM "{model.name}"').fetchall()[0]
                shown = ", ".join(str(year) for (year,) in years) or "none"
                metadata["changed_years_computed"] = len(years)
                metadata["changed_years"] = shown
                if len(years) >= present:
                    context.log.info(f"{model.name}: every year changed ({len(years)}): computed whole")
                else:
                    context.log.info(f"{model.name}: computed again for the changed years only ({shown})")
            if model.name in CHARTS_BY_ASSET:  # the trends page's charts drawn from this model, as previews
                metadata.update(chart_metadata(connection, keys=CHARTS_BY_ASSET[model.name]))
        return dg.MaterializeResult(metadata=metadata)

    return _materialize


MODELS = load_models()
MODEL_ASSETS = [_model_asset(model) for model in MODELS]
# cross-report quality models (one row per agency-year evaluated, `ok = false` a finding); quality_findings is
# their union with the parser's failed checks, already checked one by one
QUALITY_MODELS = [m for m in MODELS if m.name.startswith("quality_") and m.name != "quality_findings"]


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            model.name.removeprefix("quality_"),
            asset=model.name,
            description=model.description.split("\n\n")[0],
        )
        for model in QUALITY_MODELS
    ]
)
def cross_report_quality(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    """Findings across reports (continuity, duplicates, missing years, prose vs table) warn and name the
    agency-years; like the parser's rules, they flag what the reports say and never change it."""
    with warehouse.warehouse.read(context.run.run_id) as connection:
        for model in QUALITY_MODELS:
            findings = connection.sql(
                f'SELECT agency_id, year, detail FROM "{model.name}" WHERE ok = false ORDER BY agency_id, year'
            ).pl()
            (evaluated,) = connection.sql(f'SELECT count(*) FROM "{model.name}"').fetchall()[0]
            yield dg.AssetCheckResult(
                check_name=model.name.removeprefix("quality_"),
                asset_key=model.name,
                passed=findings.is_empty(),
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "evaluated": evaluated,
                    "failed": findings.height,
                    "agency_years": [f"{row['agency_id']} {row['year']}" for row in findings.iter_rows(named=True)],
                    "findings": _preview(findings, rows=20),
                },
            )


@dg.asset(
    group_name="publish",
    deps=[dg.AssetKey(name) for name in REPORT_QUERIES_READ],
    description=(
        "The trends page report.html (pipeline/report_page.py): applications per year by region and level, outcome "
        "mix, top agencies, quality findings; self-contained, opens offline. Published with the warehouse."
    ),
)
def trends_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    store, run_id = warehouse.warehouse, context.run.run_id
    if warehouse.plan(context).unchanged:
        return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(store.directory / REPORT_PAGE))})
    with store.connect(run_id) as connection:
        charts = build_charts(connection)
        page = write_page(connection, store.claim(run_id) / REPORT_PAGE, charts)
        charts = chart_metadata(connection, charts=charts)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(store.directory / REPORT_PAGE)),
            "bytes": page.stat().st_size,
            **charts,
        }
    )


@dg.asset(
    group_name="publish",
    deps=[*MODEL_ASSETS, "facts", "reports", "check_results", "agencies", "agency_names", vocabulary, trends_report],
    description=(
        "Publishes the run's staged warehouse: Parquet files and warehouse.duckdb, swapped in atomically. "
        "Only this asset publishes: include it when materialising a subset, or the run's work stays staged."
    ),
)
def warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    store, run_id = warehouse.warehouse, context.run.run_id
    plan = warehouse.plan(context)
    if plan.unchanged and not store.has_staged_database(run_id):
        drop_plan(store, run_id)
        store.discard(run_id)
        for folder in store.remove_old_versions():
            context.log.warning(f"removed {folder}, left by a build killed while it published")
        context.log.info(UNCHANGED)
        return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(store.database)), "unchanged": True})
    with store.connect(run_id) as connection:
        forget_changes(connection)
        tables = connection.sql("SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY table_name").fetchall()
    layer = context.job_def.asset_layer
    if set(layer.selected_asset_keys) >= set(layer.asset_graph.materializable_asset_keys):
        record_state(store, run_id, plan)  # every asset was rebuilt: the next run may start from this build
    drop_plan(store, run_id)
    published = store.publish(run_id)
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

parse_partitions = dg.define_asset_job(
    PARSE_JOB_NAME,
    selection=dg.AssetSelection.assets(parse_cache),
    description=(
        "Only fill the parse cache, for the partitions (content-hash prefixes) of the run: on a cluster, one run per "
        "partition on its own node; refresh_warehouse then finds everything parsed."
    ),
)


@dg.schedule(
    name="nightly_refresh",
    job=refresh_warehouse,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """The whole refresh in one run: every parse partition (a range tag), then load, models, checks, publish."""
    return dg.RunRequest(tags=ALL_PARTITIONS_TAGS)


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
        assets=[
            raw_report_files,
            parse_cache,
            divisions,
            agency_aliases,
            parsed_reports,
            vocabulary,
            *MODEL_ASSETS,
            trends_report,
            warehouse,
        ],
        asset_checks=[
            report_consistency,
            cross_report_quality,
            every_file_accounted_for,
            no_quarantined_files,
            one_report_per_agency_year,
        ],
        jobs=[refresh_warehouse, parse_partitions],
        schedules=[nightly_refresh],
        sensors=[refresh_failure_alert],
        resources={"warehouse": resource},
        executor=dg.in_process_executor,
    )


defs = build_definitions()
