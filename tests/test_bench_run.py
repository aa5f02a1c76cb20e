"""bench/run.py runs and says what it measured; the 1% refresh rewrites the files it says it does.

Figures are not asserted (the benchmark measures, it does not judge); only that the script works end to end
on a tiny corpus and that its last line is the JSON object of figures with the keys the lead's runs rely on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.generate import generate_corpus
from bench.run import rewrite_share

REPOSITORY = Path(__file__).resolve().parent.parent
PARSE_STAGE = ["--reports", "4", "--formats", "text,html", "--stages", "parse"]


def run_bench(*arguments: str) -> subprocess.CompletedProcess:
    """bench/run.py with these arguments, writing nothing to bench/results/; its output as text."""
    command = [sys.executable, "bench/run.py", *arguments, "--no-save"]
    return subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=600)


def last_line_figures(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_parse_stage_prints_the_figures_as_one_json_object_last(tmp_path: Path) -> None:
    result = run_bench(*PARSE_STAGE, "--work", str(tmp_path / "work"))
    assert result.returncode == 0, result.stderr
    figures = last_line_figures(result)
    assert figures["reports"] == 4 and figures["parse_sample_reports_per_format"] == 4
    for key in (
        "parse_text_reports_per_s_per_core",
        "parse_html_mb_per_s_all_cores",
        "parse_reports_per_s_per_core",
        "read_floor_s",
        "html_lxml_tables_ms_per_report",
        "html_pandas_read_html_ms_per_report",  # None when pandas is not installed, but always present
    ):
        assert key in figures
    assert "| text |" in result.stdout  # the table for a person comes before the JSON line
    # resumable: the finished stage is reused, not run again
    again = run_bench(*PARSE_STAGE, "--work", str(tmp_path / "work"))
    assert "finished before, figures reused" in again.stderr
    assert last_line_figures(again)["parse_text_ms_per_report"] == figures["parse_text_ms_per_report"]


def test_refresh_rewrites_whole_agencies_with_other_content_and_keeps_the_file_count(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate_corpus(raw, 200, seed=3, formats=("text", "markdown"), workers=1)
    (raw / "expected.jsonl").unlink()
    before = {p.relative_to(raw): p.read_bytes() for p in raw.rglob("*") if p.is_file()}
    written = rewrite_share(raw, 200, 3, ("text", "markdown"), 0.01)
    after = {p.relative_to(raw): p.read_bytes() for p in raw.rglob("*") if p.is_file()}
    assert 2 <= written <= 2 + 17  # 1% of 200, rounded up to whole agencies (an agency reports up to 18 years)
    assert len(after) == len(before)
    changed = [name for name in after if before.get(name) != after[name]]
    assert 0 < len(changed) <= written


def test_the_profile_stage_writes_profiles_of_the_parse_and_of_the_build(tmp_path: Path) -> None:
    work = tmp_path / "work"
    result = run_bench(
        *("--reports", "30", "--formats", "text", "--stages", "build,profile", "--profile-sample", "10"),
        *("--work", str(work)),
    )
    assert result.returncode == 0, result.stderr
    figures = last_line_figures(result)
    assert figures["profile_files"] == ["build.txt", "parse-text.txt", "refresh-1pct.txt"]
    assert figures["profile_refresh_1pct_ok"] and figures["profile_build_ok"]
    assert figures["profile_refresh_1pct_files_rewritten"] >= 1
    profiles = {name: (work / "profiles" / name).read_text(encoding="utf-8") for name in figures["profile_files"]}
    assert "parse_bytes" in profiles["parse-text.txt"]  # the parser's own frames, sampled
    for name in ("build.txt", "refresh-1pct.txt"):
        assert "pipeline build" in profiles[name] and "pipeline/cli.py" in profiles[name]
    assert "## Profiles" in result.stdout
