"""The two commands as a user or a script runs them: `python -m pipeline parse` and `build`."""

import json
import re
import subprocess
import sys

import duckdb
from conftest import REPOSITORY, SAMPLES, sample

CONTRACT_KEYS = {"file", "status", "agency", "agency_id", "year", "template", "scope", "facts", "checks", "errors"}
FACT_KEYS = {"section", "category", "applicant_type", "metric", "value", "unit", "value_status", "raw", "line"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=REPOSITORY, capture_output=True, text=True, timeout=300
    )


def test_parse_prints_one_contract_line_per_file_in_order_and_never_stops(tmp_path):
    garbage = tmp_path / "garbage.txt"
    garbage.write_bytes(bytes(range(256)) * 4)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.txt"
    docx = tmp_path / "report.docx"
    docx.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    files = [str(sample("001_9fc1484a19f47851")), str(garbage), str(missing), str(empty), str(docx)]
    result = run("parse", *files, "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == files
    assert all(r.keys() >= CONTRACT_KEYS for r in records)
    assert [r["status"] for r in records] == ["ok", "failed", "failed", "failed", "failed"]
    assert "binary" in records[1]["errors"][0]
    assert "cannot read file" in records[2]["errors"][0]
    assert "empty file" in records[3]["errors"][0]
    assert "ZIP" in records[4]["errors"][0]

    report = records[0]
    assert (report["agency"], report["year"], report["template"]) == (
        "北京市东城区人民政府建国门街道办事处",
        2020,
        "2019",
    )
    assert all(fact.keys() >= FACT_KEYS for fact in report["facts"])
    partial = next(f for f in report["facts"] if f["category"] == "partial" and f["applicant_type"] == "natural_person")
    assert partial == {
        **partial,
        "section": "applications",
        "metric": "count",
        "value": 2,
        "unit": "件",
        "value_status": "number",
        "raw": "2",
        "line": 158,
    }
    assert isinstance(partial["value"], int)
    procurement = next(f for f in report["facts"] if f["metric"] == "procurement_amount")
    assert (procurement["value"], procurement["unit"], procurement["line"]) == (22.7197, "万元", 106)
    assert result.stderr.count("parsed") == 0  # logs stay quiet unless something goes wrong


def test_build_publishes_the_warehouse_and_prints_a_summary(tmp_path):
    result = run("build", "--raw", str(SAMPLES), "--warehouse", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == ""
    summary = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        r"build: 5 files \(5 ok, 0 partial, 0 failed, 0 skipped\), 822 facts, 0 failed checks, [\d.]+ s -> "
        r".*warehouse\.duckdb",
        summary,
    ), summary
    assert "parsed 5/5 files" in result.stderr  # progress
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        assert connection.sql("SELECT count(*) FROM facts").fetchall() == [
            (801 + 12 + 9,)
        ]  # cells, 003 prose, narrative


def test_build_explains_a_missing_raw_folder(tmp_path):
    result = run("build", "--raw", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "wh"))
    assert result.returncode == 2
    assert "raw report folder not found" in result.stderr
