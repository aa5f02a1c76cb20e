"""Every cell of tables 2, 3 and 4 of the sample reports against a reading by eye (tests/expected)."""

import pytest
from conftest import SAMPLE_STEMS, expected, fact_cells, gold, gold_cells, sample

from pipeline.parse import parse_file


@pytest.fixture(scope="module")
def parsed():
    return {stem: parse_file(sample(stem)) for stem in [*SAMPLE_STEMS, "003_f0f104a3575faaf0"]}


@pytest.mark.parametrize(
    ("stem", "agency", "year", "template"),
    [
        ("000_4c23b5825c9f94d7", "东城区城市管理指挥中心", 2021, "2021"),
        ("001_9fc1484a19f47851", "北京市东城区人民政府建国门街道办事处", 2020, "2019"),
        ("002_1bf41d18f1e4ab8a", "北京市西城区城市管理指挥中心", 2023, "2021"),
        ("003_f0f104a3575faaf0", "北京市西城区城市管理监督指挥中心", 2017, "legacy"),
        ("004_530efe4d9c71d4ab", "北京市东城区对外联络服务办公室", 2021, "2021"),
    ],
)
def test_metadata(parsed, stem, agency, year, template):
    report = parsed[stem]
    assert (report.agency, report.year, report.template, report.scope) == (agency, year, template, "agency")


def test_second_agency_name_in_brackets_is_kept_apart(parsed):
    assert parsed["004_530efe4d9c71d4ab"].to_contract()["agency"] == "北京市东城区对外联络服务办公室"


@pytest.mark.parametrize("stem", SAMPLE_STEMS)
@pytest.mark.parametrize("section", ["proactive", "applications", "review_litigation"])
def test_every_cell_matches_the_reading_by_eye(parsed, stem, section):
    want = {
        (cell["category"], cell.get("applicant_type"), cell.get("metric", "count")): (
            cell["value"],
            cell["raw"],
            cell["line"],
        )
        for cell in expected(stem)[section]
    }
    got = {
        (fact.category, fact.applicant_type, fact.metric): (fact.value, fact.raw, fact.line)
        for fact in parsed[stem].facts
        if fact.section == section
    }
    assert got == want


@pytest.mark.parametrize("stem", SAMPLE_STEMS)
def test_samples_parse_cleanly_and_balance(parsed, stem):
    report = parsed[stem]
    assert report.status == "ok", report.errors
    assert report.errors == []
    assert all(fact.value_status == "number" for fact in report.facts)
    assert {check.name for check in report.checks} >= {
        "intake_balance",
        "outcome_sum",
        "applicant_sum",
        "review_block_sum",
        "blank_cells",
    }
    assert [c for c in report.checks if not c.ok] == []


def test_counts_of_facts_per_template(parsed):
    # 2021: 10 table-2 cells, 25 x 7 table-3 cells, 15 table-4 cells; 2019 (001): 25 + 23 x 7 + 15
    table_facts = {stem: [f for f in parsed[stem].facts if f.source == "table"] for stem in SAMPLE_STEMS}
    assert len(table_facts["000_4c23b5825c9f94d7"]) == 10 + 175 + 15
    assert len(table_facts["001_9fc1484a19f47851"]) == 25 + 161 + 15


def test_legacy_sample_gives_its_prose_indicators(parsed):
    report = parsed["003_f0f104a3575faaf0"]
    assert (report.status, report.errors) == ("ok", [])
    assert {(f.section, f.source) for f in report.facts} == {("legacy", "prose")}


@pytest.mark.parametrize("stem", SAMPLE_STEMS)
def test_shared_gold_agrees_with_the_parser(parsed, stem):
    """The hand-read gold of the corpus (tests/corpus/gold) gives the same tables 3 and 4."""
    want, report = gold(stem), parsed[stem]
    cells = fact_cells(report)
    assert (report.year, report.template) == (want["year"], want["template"])
    assert {key: cells[key].value for key in gold_cells(want)} == gold_cells(want)
