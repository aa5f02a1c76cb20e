"""Whatever lands in the raw folder is accounted for: parsed, skipped or failed, with a reason."""

import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import sample

from pipeline.definitions import JOB_NAME, build_definitions
from pipeline.inventory import parse_inventory, scan_raw_folder

GOOD = "000_4c23b5825c9f94d7"
NEWS = "北京晚报\n今日多云转晴，最高气温二十五度。市民出行请注意防晒。\n地铁一号线周末正常运营。\n"


def inventory(raw: Path, **kwargs) -> dict:
    return {rid: report for rid, report in parse_inventory(scan_raw_folder(raw), **kwargs)}


def text_of(stem: str) -> str:
    return sample(stem).read_text(encoding="utf-8")


@pytest.fixture
def raw(tmp_path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    return folder


def test_encodings_reports_come_in_give_the_same_facts(raw):
    text = text_of(GOOD)
    (raw / "utf8.txt").write_text(text, encoding="utf-8")
    (raw / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (raw / "gb18030.txt").write_bytes(text.encode("gb18030"))
    (raw / "utf16.txt").write_bytes(text.encode("utf-16"))
    reports = inventory(raw)
    facts = {
        rid: {(f.section, f.category, f.applicant_type, f.metric, f.value) for f in r.facts}
        for rid, r in reports.items()
    }
    assert {r.status for r in reports.values()} == {"ok"}
    assert len({frozenset(v) for v in facts.values()}) == 1
    assert {r.encoding for r in reports.values()} == {"utf-8", "gb18030", "utf-16-le"}


@pytest.mark.parametrize(
    ("name", "content", "status", "reason"),
    [
        ("empty.txt", b"", "failed", "empty file"),
        ("garbage.bin", bytes(range(256)) * 40, "failed", "binary"),
        ("news.txt", NEWS.encode(), "failed", "no report found"),
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "failed", "a PDF"),
        ("not_word.docx", b"PK\x03\x04" + b"\x00" * 64, "failed", "ZIP"),
    ],
)
def test_bad_files_fail_with_their_reason(raw, name, content, status, reason):
    (raw / name).write_bytes(content)
    report = inventory(raw)[name]
    assert report.status == status
    assert reason in " ".join(report.errors)


def test_a_report_cut_mid_table_says_where(raw):
    lines = text_of(GOOD).split("\n")
    (raw / "cut.txt").write_text("\n".join(lines[:200]), encoding="utf-8")  # stops inside table 3's denied rows
    report = inventory(raw)["cut.txt"]
    assert report.status == "partial"
    assert "table 4 (review_litigation) not found" in report.errors
    assert {f.category for f in report.facts if f.section == "applications"} >= {"new_received", "granted"}
    assert "processed_total" not in {f.category for f in report.facts}


def test_mixed_encoding_names_the_damaged_lines(raw):
    lines = text_of(GOOD).encode("utf-8").split(b"\n")
    lines[12] = lines[12][:30] + "城指中心".encode("gbk") + lines[12][30:]  # a GBK fragment pasted into line 13
    (raw / "mixed.txt").write_bytes(b"\n".join(lines))
    report = inventory(raw)["mixed.txt"]
    assert report.encoding == "utf-8" and report.status == "partial"
    assert any("mixed or broken encoding" in e and "line(s) 13" in e for e in report.errors)
    assert len([f for f in report.facts if f.source == "table"]) == 200  # the tables are intact


def test_a_report_without_applications_needs_no_table_3(raw):
    text = "\n".join(
        [
            "某某区某某局",
            "2022年政府信息公开工作年度报告",
            "一、总体情况",
            "本年度未收到政府信息公开申请。",
            "四、政府信息公开行政复议、行政诉讼情况",
            "\t行政复议",
            "\t行政诉讼",
            "",
            *[
                f"\t{label}"
                for label in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"]
            ],
            "",
            *["\t" + label for label in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2],
            "",
            *["\t0"] * 15,
            "",
        ]
    )
    (raw / "quiet.txt").write_text(text, encoding="utf-8")
    report = inventory(raw)["quiet.txt"]
    assert "table 3 (applications) not found" not in report.errors
    assert "table 2 (proactive) not found" in report.errors  # still a table the template asks for
    received = [f for f in report.facts if f.section == "narrative" and f.category == "applications_received"]
    assert [(f.value, f.line) for f in received] == [(0, 4)]


def test_a_huge_file_is_refused_without_being_read(raw):
    with (raw / "huge.txt").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper
    report = inventory(raw)["huge.txt"]
    assert report.status == "failed"
    assert "50.0 MB, over the 20 MB limit" in report.errors[0]
    # with a higher limit it is read, and its 50 MB of NUL bytes are no report
    assert "binary content" in inventory(raw, max_bytes=60 * 1024 * 1024)["huge.txt"].errors[0]


def test_an_unreadable_file_fails_with_the_reason(raw, monkeypatch):
    (raw / "locked.txt").write_text(text_of(GOOD), encoding="utf-8")
    real_read = Path.read_bytes

    def read_bytes(path):
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    report = inventory(raw)["locked.txt"]
    assert (report.status, report.errors) == ("failed", ["cannot read file: Permission denied"])


def test_links_hidden_and_temporary_files(raw):
    shutil.copy(sample(GOOD), raw / "report.txt")
    (raw / "link.txt").symlink_to(raw / "report.txt")
    (raw / "dangling.txt").symlink_to(raw / "gone.txt")
    (raw / "loop_a.txt").symlink_to(raw / "loop_b.txt")
    (raw / "loop_b.txt").symlink_to(raw / "loop_a.txt")
    (raw / "sub").mkdir()
    (raw / "sub" / "up").symlink_to(raw, target_is_directory=True)  # a folder loop
    (raw / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (raw / "~$report.docx").write_bytes(b"lock")
    (raw / ".git").mkdir()
    (raw / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    reports = inventory(raw)
    assert set(reports) == {
        "report.txt",
        "link.txt",
        "dangling.txt",
        "loop_a.txt",
        "loop_b.txt",
        "sub/up",
        ".DS_Store",
        "~$report.docx",
        ".git/HEAD",
    }
    assert reports["report.txt"].status == "ok"
    assert reports["link.txt"].status == "skipped"
    assert reports["link.txt"].errors == ["identical to report.txt (same bytes); parsed once, there"]
    assert "broken symbolic link" in reports["dangling.txt"].errors[0]
    assert reports["loop_a.txt"].status == "failed" and "symbolic link" in reports["loop_a.txt"].errors[0]
    assert reports["sub/up"].status == "skipped" and "not followed" in reports["sub/up"].errors[0]
    assert reports[".DS_Store"].errors == ["a hidden or system file, not a report"]
    assert "temporary file" in reports["~$report.docx"].errors[0]
    assert "hidden folder '.git'" in reports[".git/HEAD"].errors[0]


def test_a_build_over_good_and_bad_files_accounts_for_every_one(raw, tmp_path):
    for stem in ("000_4c23b5825c9f94d7", "001_9fc1484a19f47851"):
        shutil.copy(sample(stem), raw)
    shutil.copy(sample(GOOD), raw / "copy of 000.txt")  # the same file twice
    other = text_of(GOOD).replace("\t2\n\t0\n\t0\n\t0\n\t0\n\t0\n\t2\n", "\t3\n\t0\n\t0\n\t0\n\t0\n\t0\n\t3\n", 1)
    (raw / "000 revised.txt").write_text(other, encoding="utf-8")  # a second, different report for 2021
    (raw / "a'b; DROP TABLE facts;--.txt").write_text(text_of("002_1bf41d18f1e4ab8a"), encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    (raw / "nested" / "deeper").mkdir(parents=True)
    (raw / "nested" / "deeper" / "garbage.txt").write_bytes(bytes(range(256)) * 8)
    (raw / "~$draft.docx").write_bytes(b"lock")
    on_disk = sorted(
        (Path(folder) / name).relative_to(raw).as_posix() for folder, _, names in os.walk(raw) for name in names
    )

    defs = build_definitions(raw, tmp_path / "warehouse")
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def(JOB_NAME).execute_in_process(instance=instance)
    assert result.success
    with duckdb.connect(str(tmp_path / "warehouse" / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.sql("SELECT report_id, status, errors FROM reports ORDER BY report_id").fetchall()
        facts_of_copy = connection.sql("SELECT count(*) FROM facts WHERE report_id = 'copy of 000.txt'").fetchall()
    assert [rid for rid, _, _ in rows] == on_disk  # nothing dropped, nothing invented
    status = {rid: s for rid, s, _ in rows}
    assert status == {
        "000 revised.txt": "ok",
        "000_4c23b5825c9f94d7.txt": "ok",
        "001_9fc1484a19f47851.txt": "ok",
        "a'b; DROP TABLE facts;--.txt": "ok",
        "copy of 000.txt": "skipped",
        "empty.txt": "failed",
        "nested/deeper/garbage.txt": "failed",
        "~$draft.docx": "skipped",
    }
    assert all(errors for _, s, errors in rows if s in ("failed", "skipped"))
    assert facts_of_copy == [(0,)]
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    duplicates = evaluations["one_report_per_agency_year"]
    assert not duplicates.passed
    assert duplicates.metadata["agency_years"].data == [
        "北京市东城区城市管理指挥中心 2021"
    ]  # the canonical agency (region from its text)
    reports_event = next(
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "reports"
    )
    # facts: 000, 001, 002 (the odd name) and the revision: 203 + 203 + 201 + 203 table cells and prose figures;
    # failed checks: the revision's 新收 3 breaks the balance of its 自然人 and 总计 columns and contradicts
    # its own prose (「新收政府信息公开申请数量2件」)
    summary = {"files": 8, "ok": 4, "partial": 0, "failed": 2, "skipped": 2, "facts": 810, "failed_checks": 3}
    assert reports_event.materialization.metadata["run_summary"].data == summary
    run_tags = instance.get_run_by_id(result.run_id).tags
    assert {key: run_tags[f"summary/{key}"] for key in summary} == {key: str(v) for key, v in summary.items()}
