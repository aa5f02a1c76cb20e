"""The Dagster definitions, materialised in process on the bundled samples."""

import shutil

import dagster as dg
import duckdb
import pytest
from conftest import SAMPLES, sample

from pipeline import definitions
from pipeline.definitions import JOB_NAME, build_definitions, nightly_refresh
from pipeline.sql_models import load_models


def run_job(raw_dir, warehouse_dir):
    defs = build_definitions(raw_dir, warehouse_dir)
    return defs.resolve_job_def(JOB_NAME).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )


def table_counts(database) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as connection:
        names = [row[0] for row in connection.sql("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {name: connection.sql(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in names}


def test_every_asset_materialises_and_the_warehouse_has_every_table(tmp_path):
    result = run_job(SAMPLES, tmp_path)
    assert result.success
    materialised = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
    models = {model.name for model in load_models()}
    assert materialised == {
        "raw_report_files",
        "parse_cache",
        "divisions",
        "agency_aliases",
        "facts",
        "reports",
        "check_results",
        "agencies",
        "agency_names",
        "vocabulary",
        *models,
        "trends_report",
        "warehouse",
    }
    counts = table_counts(tmp_path / "warehouse.duckdb")
    assert set(counts) == {
        "raw_report_files",
        "reports",
        "facts",
        "check_results",
        "vocabulary",
        "divisions",
        "agency_aliases",
        "agencies",
        "agency_names",
        *models,
    }
    assert {name: counts[name] for name in ("raw_report_files", "reports", "facts", "check_results", "vocabulary")} == {
        "raw_report_files": 5,
        "reports": 5,
        # table cells + figures stated in the prose; 003 is a legacy report: 12 figures from its prose
        "facts": (200 + 3) + (201 + 2) + (200 + 1) + 12 + (200 + 3),
        # 2019 has 23 table-3 rows, 2021 has 25; + blank_cells for tables 3 and 4; + narrative_table_agreement
        # where the prose states applications received (000, 001, 004) and carried over (000, 001); 003 has no table
        "check_results": (42 + 2 + 2) + (40 + 2 + 2) + (42 + 2) + 0 + (42 + 2 + 1),
        "vocabulary": 78 + 69 + 6,  # + the legacy and narrative sections
    }
    # 北京市西城区城市管理监督指挥中心 (2017) and 北京市西城区城市管理指挥中心 (2023) are one agency (a rename)
    assert (counts["agencies"], counts["agency_names"]) == (4, 5)
    assert counts["applications_by_agency_year"] == 5  # one per agency-year, the 2017 legacy report included
    assert counts["quality_missing_years"] == 1 + 1 + 1 + 7  # every year of each series: 西城 2017-2023
    assert all(counts[name] > 0 for name in models - {"quality_duplicates"})
    assert counts["quality_duplicates"] == 0  # five different agency-years
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(path.name for path in (tmp_path / "facts").iterdir()) == [  # partitioned by year
        "year=2017",
        "year=2020",
        "year=2021",
        "year=2023",
    ]
    for name in ("reports", "check_results"):
        assert (tmp_path / f"{name}.parquet").exists()
    assert not any((tmp_path / ".staging").iterdir()), "staging is cleaned after publishing"
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["missing_years"].metadata["agency_years"].data == [  # the offending agency-years
        f"北京市西城区城市管理指挥中心 {year}" for year in range(2018, 2023)
    ]
    checks = {name: evaluation.passed for name, evaluation in evaluations.items()}
    assert checks == {
        "intake_balance": True,
        "outcome_sum": True,
        "applicant_sum": True,
        "review_block_sum": True,
        "blank_cells": True,
        "narrative_table_agreement": True,
        "legacy_prose_table_agreement": True,
        "every_file_accounted_for": True,
        "continuity": True,
        "duplicates": True,
        "missing_years": False,  # 西城: reports for 2017 and 2023, none for 2018-2022
        "prose_vs_table": True,
        "one_report_per_agency_year": True,
        "no_quarantined_files": True,
    }


def test_failing_checks_name_the_reports_and_the_build_still_publishes(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = sample("000_4c23b5825c9f94d7").read_text(encoding="utf-8").split("\n")
    lines[335] = "\t5"  # （七）总计 自然人: 4 in the report
    (raw / "edited.txt").write_text("\n".join(lines), encoding="utf-8")
    (raw / "garbage.txt").write_bytes(bytes(range(256)) * 8)
    shutil.copy(sample("001_9fc1484a19f47851"), raw)
    result = run_job(raw, tmp_path / "warehouse")
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["intake_balance"].passed
    assert evaluations["intake_balance"].metadata["failing_reports"].data == ["edited.txt"]
    assert evaluations["review_block_sum"].passed
    assert not evaluations["no_quarantined_files"].passed
    assert evaluations["no_quarantined_files"].metadata["quarantined"].data == ["garbage.txt"]
    with duckdb.connect(str(tmp_path / "warehouse" / "warehouse.duckdb"), read_only=True) as connection:
        status, errors = connection.sql(
            "SELECT status, errors FROM reports WHERE report_id = 'garbage.txt'"
        ).fetchall()[0]
        assert status == "failed" and "binary" in errors[0]


def test_model_lineage_is_read_from_the_sql():
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    parents = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }
    assert parents["applications_by_agency_year"] == {"core_indicators", "agency_year_reports"}
    assert parents["core_indicators"] >= {"facts", "vocabulary", "agency_year_reports"}
    assert parents["quality_findings"] >= {"quality_continuity", "quality_missing_years", "check_results"}
    assert parents["trends_report"] == {
        "core_indicators",
        "derived_metrics",
        "indicator_rankings",
        "region_rollups",
        "quality_findings",
        "agencies",
        "reports",
    }
    assert parents["agencies"] == {"raw_report_files", "divisions", "agency_aliases"}
    assert parents["facts"] == {"raw_report_files", "parse_cache"}
    assert parents["parse_cache"] == {"raw_report_files"}
    assert {"indicator_trends", "quality_findings", "trends_report", "facts", "agencies"} <= parents["warehouse"]


def published_files(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


def test_a_crash_before_publishing_leaves_the_previous_warehouse_intact(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLES, raw)
    assert run_job(raw, tmp_path / "wh").success
    before = published_files(tmp_path / "wh")

    def broken_model(connection, model, changed_agencies=None):
        raise RuntimeError("simulated crash inside a SQL model")

    monkeypatch.setattr(definitions, "run_model", broken_model)
    (raw / "000_4c23b5825c9f94d7.txt").unlink()  # something to do: with nothing changed the run does nothing
    assert not run_job(raw, tmp_path / "wh").success
    assert published_files(tmp_path / "wh") == before


def test_an_open_reader_keeps_its_snapshot_across_a_rebuild(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(sample("000_4c23b5825c9f94d7"), raw)
    assert run_job(raw, tmp_path / "wh").success
    reader = duckdb.connect(str(tmp_path / "wh" / "warehouse.duckdb"), read_only=True)
    shutil.copy(sample("001_9fc1484a19f47851"), raw)
    assert run_job(raw, tmp_path / "wh").success
    assert reader.sql("SELECT count(*) FROM reports").fetchall() == [(1,)]
    reader.close()
    assert table_counts(tmp_path / "wh" / "warehouse.duckdb")["reports"] == 2


def test_nightly_schedule_runs_the_whole_refresh_at_two_in_shanghai():
    assert nightly_refresh.cron_schedule == "0 2 * * *"
    assert nightly_refresh.execution_timezone == "Asia/Shanghai"
    assert nightly_refresh.default_status == dg.DefaultScheduleStatus.RUNNING
    context = dg.build_schedule_context(scheduled_execution_time=None)
    requests = list(nightly_refresh.evaluate_tick(context).run_requests)
    assert len(requests) == 1
    # one run for every parse partition (content-hash prefixes 0-f), the single-run backfill policy's way
    assert (
        requests[0].tags["dagster/asset_partition_range_start"],
        requests[0].tags["dagster/asset_partition_range_end"],
    ) == ("0", "f")
    assert nightly_refresh.job_name == JOB_NAME
    defs = build_definitions()
    assert defs.resolve_schedule_def("nightly_refresh").job_name == JOB_NAME


@pytest.mark.parametrize("missing", ["raw"])
def test_missing_raw_folder_fails_the_run_with_a_clear_message(tmp_path, missing):
    result = run_job(tmp_path / missing, tmp_path / "wh")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "raw report folder not found" in str(failure.event_specific_data.error)
    assert not (tmp_path / "wh" / "warehouse.duckdb").exists()
