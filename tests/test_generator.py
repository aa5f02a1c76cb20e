"""The synthetic corpus of bench/generate.py: deterministic, consistent, and fully recovered by the parser.

Ten reports per format, generated into a temporary folder (well under a second). The same seed gives the
same bytes; the numbers follow the template's rules except where the manifest says a rule was broken on
purpose; and the parser must recover every value of every report. Reports the parser gets wrong today are
strict xfails naming the parser bug, so this file says when a bug is fixed (the xfail then fails as XPASS:
remove it from KNOWN_PARSER_BUGS).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import REPOSITORY

if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from bench.check_generated import compare
from bench.generate import ALL_FORMATS, Options, generate_corpus

SEED = 50
PER_FORMAT = 10
OPTIONS = Options(break_share=0.2, blank_share=0.5)  # more breaks and blanks than the default, for a small corpus

COLUMNS = ("natural_person", "org_commercial", "org_research", "org_social", "org_legal_service", "org_other", "total")
OUTCOME_ROWS = {
    "granted",
    "partial",
    "denied_state_secret",
    "denied_law_prohibited",
    "denied_security_stability",
    "denied_third_party",
    "denied_internal_affairs",
    "denied_process_info",
    "denied_enforcement_file",
    "denied_admin_query",
    "unable_not_held",
    "unable_needs_creation",
    "unable_unclear",
    "not_processed_petition",
    "not_processed_repeat",
    "not_processed_publication",
    "not_processed_excessive",
    "not_processed_confirm",
    "other_total",
    "other_no_correction",
    "other_fee_unpaid",
    "other_misc",
}
BLOCKS = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
# A rule broken on purpose may take others with it (a changed 总计 cell is in its column's sums too).
COLLATERAL = {
    "applicant_sum": {"applicant_sum", "intake_balance", "outcome_sum"},
    "outcome_sum": {"outcome_sum"},
    "intake_balance": {"intake_balance"},
    "review_block_sum": {"review_block_sum"},
    "narrative_table_agreement": {"narrative_table_agreement"},
    "legacy_prose_table_agreement": {"legacy_prose_table_agreement"},
}

# Parser bugs the reports of SEED run into, (format, index) -> the bug (bench/README.md lists every one the
# generator found); none today.
KNOWN_PARSER_BUGS: dict[tuple[str, int], str] = {}


def _report_ids() -> list:
    params = []
    for fmt in ALL_FORMATS:
        for index in range(PER_FORMAT):
            marks = []
            if (fmt, index) in KNOWN_PARSER_BUGS:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_PARSER_BUGS[(fmt, index)]))
            params.append(pytest.param(fmt, index, id=f"{fmt}-{index}", marks=marks))
    return params


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, tuple[Path, list[dict]]]:
    root = tmp_path_factory.mktemp("generated")
    out = {}
    for i, fmt in enumerate(ALL_FORMATS):  # a seed per format: other agencies and years in each
        manifest = generate_corpus(root / fmt, PER_FORMAT, SEED + i, (fmt,), OPTIONS)
        out[fmt] = (root / fmt, list(manifest.entries()))
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(corpus, tmp_path):
    for i, fmt in enumerate(ALL_FORMATS):
        folder, _ = corpus[fmt]
        generate_corpus(tmp_path / fmt, PER_FORMAT, SEED + i, (fmt,), OPTIONS)
        assert _files(tmp_path / fmt) == _files(folder), fmt
    generate_corpus(tmp_path / "other", PER_FORMAT, SEED + 100, ("text",), OPTIONS)
    assert _files(tmp_path / "other") != _files(corpus["text"][0])


def test_manifest_lists_every_file_with_its_values(corpus):
    for fmt, (folder, entries) in corpus.items():
        assert len(entries) == PER_FORMAT
        assert {e["format"] for e in entries} == {fmt}
        assert sorted(e["file"] for e in entries) == sorted(n for n in _files(folder) if n != "expected.jsonl")
        for entry in entries:
            assert entry["template"] == (
                "legacy" if entry["year"] < 2019 else "2019" if entry["year"] < 2021 else "2021"
            )
            if entry["template"] == "legacy":
                assert entry["legacy"]["prose"]
                continue
            assert len(entry["table4"]) == 15
            for values in (entry["table3"] or {}).values():
                assert len(values) == 7
            if entry["table3"]:
                assert len(entry["table3"]) == (25 if entry["template"] == "2021" else 23)


def test_the_small_corpus_covers_what_the_parser_must_cope_with(corpus):
    entries = [e for _, (_, es) in corpus.items() for e in es]
    assert {e["template"] for e in entries} == {"legacy", "2019", "2021"}
    assert any(e.get("legacy", {}).get("table") for e in entries), "a legacy statistics table"
    html_rows = [row for e in entries if e["format"] == "html" for row in (e.get("table3") or {}).values()]
    assert any(v is None for row in html_rows for v in row), "zeros a web page left blank"
    assert any(e["unresolved"] for e in entries if e["format"] == "flattened"), "a table-2 row left ambiguous"
    assert any(e["violations"] for e in entries), "a rule broken on purpose"


def rule_findings(entry: dict) -> set[tuple[str, str]]:
    """The rules of templates.md, evaluated here independently of bench/generate.py (blanks count as 0)."""
    found: set[tuple[str, str]] = set()
    t3, t4 = entry.get("table3"), entry.get("table4")
    if t3:
        cell = {(row, c): v or 0 for row, values in t3.items() for c, v in zip(COLUMNS, values, strict=True)}
        for c in COLUMNS:
            if (
                cell["new_received", c] + cell["carried_over", c]
                != cell["processed_total", c] + cell["carried_forward", c]
            ):
                found.add(("intake_balance", c))
            if sum(cell[row, c] for row in t3 if row in OUTCOME_ROWS) != cell["processed_total", c]:
                found.add(("outcome_sum", c))
        for row in t3:
            if sum(cell[row, c] for c in COLUMNS[:6]) != cell[row, "total"]:
                found.add(("applicant_sum", row))
    if t4:
        values = [v or 0 for v in t4]
        for b, block in enumerate(BLOCKS):
            if sum(values[5 * b : 5 * b + 4]) != values[5 * b + 4]:
                found.add(("review_block_sum", block))
        if t3:
            table = {
                "applications_received": cell["new_received", "total"],
                "applications_carried_over": cell["carried_over", "total"],
                "reconsideration": values[4],
                "litigation": values[9] + values[14],
            }
            for figure, value in entry["narrative"].items():
                if figure in table and value != table[figure]:
                    found.add(("narrative_table_agreement", figure))
    if "legacy" in entry:
        table, prose = entry["legacy"]["table"], entry["legacy"]["prose"]
        found |= {
            ("legacy_prose_table_agreement", code) for code in prose if code in table and prose[code] != table[code]
        }
    return found


def test_numbers_follow_the_rules_except_those_broken_on_purpose(corpus):
    for _, entries in corpus.values():
        for entry in entries:
            found = rule_findings(entry)
            assert found == {tuple(v) for v in entry["violations"]}, entry["file"]
            broken = {b["rule"] for b in entry["broken"]} - {"continuity"}
            allowed = set().union(*(COLLATERAL[rule] for rule in broken)) if broken else set()
            assert {rule for rule, _ in found} <= allowed, entry["file"]
            for b in entry["broken"]:
                if b["rule"] != "continuity":
                    assert (b["rule"], b["at"]) in found, (entry["file"], b)


def test_carried_over_is_last_years_carried_forward_unless_broken(corpus):
    for _, entries in corpus.values():
        previous: dict | None = None
        for entry in entries:
            same_agency = previous is not None and previous["agency_id"] == entry["agency_id"]
            if same_agency and entry["year"] == previous["year"] + 1 and entry.get("table3") and previous.get("table3"):
                before = [v or 0 for v in previous["table3"]["carried_forward"]]
                now = [v or 0 for v in entry["table3"]["carried_over"]]
                assert (before != now) == any(b["rule"] == "continuity" for b in entry["broken"]), entry["file"]
            previous = entry


def test_without_breaks_every_report_keeps_every_rule(tmp_path):
    manifest = generate_corpus(tmp_path, 60, SEED, ALL_FORMATS, Options(break_share=0, discontinuity_share=0))
    for entry in manifest.entries():
        assert entry["broken"] == [] and entry["violations"] == [], entry["file"]
        assert not rule_findings(entry), entry["file"]


@pytest.mark.parametrize(("fmt", "index"), _report_ids())
def test_the_parser_recovers_every_generated_value(corpus, fmt, index):
    folder, entries = corpus[fmt]
    result = compare(entries[index], folder)
    differences = [m.show() for m in result.mismatches + result.extras]
    assert not differences, "\n".join(differences[:20])
