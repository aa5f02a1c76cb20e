"""Production settings: one run at a time, retries, an alert on failure, localhost only."""

import dagster as dg
import yaml
from conftest import REPOSITORY

from pipeline.definitions import JOB_NAME, RETRIES, build_definitions, refresh_failure_alert


def test_dagster_yaml_keeps_telemetry_off_one_run_at_a_time_and_retries():
    settings = yaml.safe_load((REPOSITORY / "dagster.yaml").read_text(encoding="utf-8"))
    assert settings["telemetry"] == {"enabled": False}
    assert settings["concurrency"]["runs"]["max_concurrent_runs"] == 1
    assert settings["run_retries"] == {"enabled": True}


def test_the_refresh_job_retries_every_step():
    tags = build_definitions().resolve_job_def(JOB_NAME).run_tags
    assert tags == {"dagster/max_retries": str(RETRIES), "dagster/retry_strategy": "ALL_STEPS"}


def test_a_failed_refresh_raises_an_alert_in_the_log(tmp_path, capfd):
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(tmp_path / "missing", tmp_path / "warehouse")
    result = defs.resolve_job_def(JOB_NAME).execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    context = dg.build_run_status_sensor_context(
        sensor_name="refresh_failure_alert",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        dagster_event=failure,
    ).for_run_failure()
    capfd.readouterr()
    refresh_failure_alert(context)
    logged = capfd.readouterr().err  # Dagster's console logger writes to stderr
    assert f"ALERT: {JOB_NAME} run {result.run_id} failed (retry 0 of {RETRIES})" in logged
    assert "'raw_report_files', 'vocabulary']. The previous warehouse stays published." in logged


def test_everything_that_listens_binds_to_localhost():
    dev = (REPOSITORY / "dev").read_text(encoding="utf-8")
    assert "--host 127.0.0.1" in dev
    operations = (REPOSITORY / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "dagster-webserver -m pipeline.definitions -h 127.0.0.1" in operations
    assert "0.0.0.0" not in dev + operations
