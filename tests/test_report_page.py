"""The trends page (pipeline/report_page.py) built from a small hand-written warehouse.

The fixture has exactly the models the page reads (names and columns of /tmp/interfaces.md, issue 4): eight
agency reports from 2019 on, two regional aggregates and one legacy report that every chart must leave out, an
agency whose name is HTML, and four quality findings. Expected figures below are added up by hand from the rows.
"""

from __future__ import annotations

import base64
import importlib.util
import shutil
import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pytest
from lxml import html as lxml_html

from pipeline.facts import REPORTS_SCHEMA
from pipeline.report_page import (
    CHART_KEYS,
    CHARTS_BY_ASSET,
    _Series,
    chart_metadata,
    chart_svgs,
    clip_text,
    nice_ticks,
    render_page,
    stacked_columns_svg,
    write_page,
)

REPOSITORY = Path(__file__).resolve().parent.parent
EVIL_NAME = '<script>alert("x")</script>局 & Co'
STAMP = datetime(2025, 1, 2, 3, 4)

AGENCIES = [  # agency_id, agency_name, province, level
    ("fj-pingtan", "平潭综合实验区管理委员会", "福建省", "functional_zone"),
    ("sh-kewei", "上海市科学技术委员会", "上海市", "provincial"),
    ("bj-jianguomen", "北京市东城区人民政府建国门街道办事处", "北京市", "township"),
    ("evil", EVIL_NAME, "上海市", None),  # level unknown
    ("bj-dongcheng", "北京市东城区人民政府", "北京市", "county"),
    ("fj-summary", "福建省（汇总）", "福建省", "provincial"),
    ("old", "旧机关", "福建省", "city"),
]

# report_id -> agency_id, year, scope, template, figures in INDICATORS order
REPORTS = {
    "r1": ("fj-pingtan", 2019, "agency", "2019", (10, 4, 2, 1, 2, 1, 0)),
    "r2": ("sh-kewei", 2019, "agency", "2019", (30, 20, 5, 0, 3, 1, 1)),
    "r3": ("fj-pingtan", 2021, "agency", "2021", (12, 6, 2, 2, 1, 0, 1)),
    "r4": ("bj-jianguomen", 2021, "agency", "2021", (6, 1, 2, 0, 3, 0, None)),  # 其他处理 left blank
    "r5": ("evil", 2021, "agency", "2021", (40, 30, 4, 2, 2, 1, 1)),
    "r6": ("fj-summary", 2021, "regional_aggregate", "2021", (500, 300, 100, 50, 30, 10, 10)),
    "r7": ("old", 2015, "agency", "legacy", (7, None, None, None, None, None, None)),
    "r8": ("bj-dongcheng", 2023, "agency", "2021", (25, 10, 5, 5, 3, 1, 1)),
    "r9": ("sh-kewei", 2023, "agency", "2021", (18, 9, 3, 0, 4, 1, 1)),
    "r10": ("evil", 2023, "agency", "2021", (3, 1, 0, 0, 2, 0, 0)),
    "r11": ("fj-summary", 2023, "regional_aggregate", "2021", (300, 200, 50, 20, 20, 5, 5)),
}
INDICATORS = ("applications_received", "granted", "partial", "denied", "unable", "not_processed", "other")

# region_rollups as the model would give them (regional aggregates and legacy years never in the sums)
REGION_ROLLUPS = [  # year, grouping, group_value, value, n_agencies (indicator applications_received)
    (2019, "province", "福建省", 10, 1),
    (2019, "province", "上海市", 30, 1),
    (2021, "province", "福建省", 12, 1),
    (2021, "province", "北京市", 6, 1),
    (2021, "province", "上海市", 40, 1),
    (2023, "province", "北京市", 25, 1),
    (2023, "province", "上海市", 21, 2),
    (2019, "level", "functional_zone", 10, 1),
    (2019, "level", "provincial", 30, 1),
    (2021, "level", "functional_zone", 12, 1),
    (2021, "level", "township", 6, 1),
    (2023, "level", "county", 25, 1),
    (2023, "level", "provincial", 18, 1),
]

QUALITY = [  # agency_id, year, ok, detail, check_name, report_id (ok = true rows are no findings)
    ("fj-pingtan", 2021, False, "carried_over 2 ≠ 2019's carried_forward 0", "quality_continuity", "r3"),
    ("fj-pingtan", 2020, False, "no report for 2020 between 2019 and 2021", "quality_missing_years", None),
    ("evil", 2021, False, "prose says 41 <b>applications</b>, table 40", "quality_prose_vs_table", "r5"),
    ("evil", 2021, False, "outcome rows 40 vs 总计 41", "outcome_sum", "r5"),
    ("sh-kewei", 2023, True, "", "quality_continuity", "r9"),
    ("bj-dongcheng", 2023, True, "", "quality_duplicates", "r8"),
]


def _create_models(connection: duckdb.DuckDBPyConnection) -> None:
    """Empty tables with the models' columns (sql/*.sql headers, /tmp/interfaces.md)."""
    empty_reports = REPORTS_SCHEMA.empty_table()
    connection.register("empty_reports", empty_reports)
    connection.execute("CREATE TABLE reports AS SELECT * FROM empty_reports")
    connection.unregister("empty_reports")
    connection.execute(
        "CREATE TABLE agencies (agency_id VARCHAR, agency_name VARCHAR, province VARCHAR, city VARCHAR, "
        "county VARCHAR, division_code VARCHAR, level VARCHAR, agency_type VARCHAR, first_year INTEGER, "
        "last_year INTEGER, n_reports INTEGER, n_regional_aggregate INTEGER, inference VARCHAR)"
    )
    connection.execute(
        "CREATE TABLE core_indicators (agency_id VARCHAR, year INTEGER, indicator VARCHAR, value DOUBLE, "
        "template VARCHAR, report_id VARCHAR, source VARCHAR, comparability_note VARCHAR)"
    )
    connection.execute(
        "CREATE TABLE derived_metrics (agency_id VARCHAR, year INTEGER, metric VARCHAR, value DOUBLE, "
        "numerator DOUBLE, denominator DOUBLE, template VARCHAR, report_id VARCHAR)"
    )
    connection.execute(
        "CREATE TABLE indicator_rankings (year INTEGER, series VARCHAR, indicator VARCHAR, agency_id VARCHAR, "
        "value DOUBLE, rank_overall BIGINT, rank_in_province BIGINT, rank_in_type BIGINT, agencies_ranked BIGINT, "
        "province VARCHAR, agencies_in_province BIGINT, agency_type VARCHAR, agencies_in_type BIGINT)"
    )
    connection.execute(
        "CREATE TABLE region_rollups (year INTEGER, grouping VARCHAR, group_value VARCHAR, series VARCHAR, "
        "indicator VARCHAR, value DOUBLE, numerator DOUBLE, denominator DOUBLE, n_agencies BIGINT)"
    )
    connection.execute(
        "CREATE TABLE quality_findings (agency_id VARCHAR, year INTEGER, ok BOOLEAN, detail VARCHAR, "
        "check_name VARCHAR, report_id VARCHAR)"
    )


def _insert_reports(connection: duckdb.DuckDBPyConnection, reports: dict) -> None:
    names = {agency_id: name for agency_id, name, _, _ in AGENCIES}
    rows = []
    for report_id, (agency_id, year, scope, template, figures) in reports.items():
        rows.append(
            {
                **dict.fromkeys(REPORTS_SCHEMA.names),
                "report_id": report_id,
                "path": f"/raw/{report_id}.txt",
                "agency": names[agency_id],
                "agency_id": agency_id,
                "year": year,
                "template": template,
                "scope": scope,
                "status": "ok",
                "n_facts": sum(1 for f in figures if f is not None),
                "n_failed_checks": 0,
                "errors": [],
            }
        )
        for indicator, value in zip(INDICATORS, figures, strict=True):
            connection.execute(
                "INSERT INTO core_indicators VALUES (?, ?, ?, ?, ?, ?, 'table', NULL)",
                [agency_id, year, indicator, value, template, report_id],
            )
    table = pa.Table.from_pylist(rows, schema=REPORTS_SCHEMA)
    connection.register("incoming", table)
    connection.execute("INSERT INTO reports SELECT * FROM incoming")
    connection.unregister("incoming")


def build_fixture(path: Path, reports: dict | None = None, with_rows: bool = True) -> Path:
    connection = duckdb.connect(str(path))
    _create_models(connection)
    if with_rows:
        for agency_id, name, province, level in AGENCIES:
            connection.execute(
                "INSERT INTO agencies (agency_id, agency_name, province, level) VALUES (?, ?, ?, ?)",
                [agency_id, name, province, level],
            )
        _insert_reports(connection, REPORTS if reports is None else reports)
        if reports is None:
            for year, grouping, group, value, n in REGION_ROLLUPS:
                connection.execute(
                    "INSERT INTO region_rollups VALUES (?, ?, ?, 'core', 'applications_received', ?, NULL, NULL, ?)",
                    [year, grouping, group, value, n],
                )
            for other in (  # another indicator, a derived one of the same name, a legacy year: none drawn
                "(2021, 'province', '上海市', 'core', 'granted', 34, NULL, NULL, 1)",
                "(2021, 'province', '上海市', 'derived', 'applications_received', 0.5, 1, 2, 1)",
                "(2015, 'province', '福建省', 'core', 'applications_received', 7, NULL, NULL, 1)",
            ):
                connection.execute(f"INSERT INTO region_rollups VALUES {other}")
            rankings = [  # year, agency_id, value, rank, agencies ranked (the aggregate ranked too, on purpose)
                (2021, "evil", 40, 1, 3),
                (2021, "fj-pingtan", 12, 2, 3),
                (2021, "bj-jianguomen", 6, 3, 3),
                (2023, "fj-summary", 300, 1, 4),
                (2023, "bj-dongcheng", 25, 2, 4),
                (2023, "sh-kewei", 18, 3, 4),
                (2023, "evil", 3, 4, 4),
            ]
            for year, agency_id, value, rank, ranked in rankings:
                connection.execute(
                    "INSERT INTO indicator_rankings (year, series, indicator, agency_id, value, rank_overall, "
                    "agencies_ranked) VALUES (?, 'core', 'applications_received', ?, ?, ?, ?)",
                    [year, agency_id, value, rank, ranked],
                )
            rates = [  # agency_id, year, numerator (granted + partial), denominator (processed)
                ("evil", 2021, 34, 40),
                ("bj-dongcheng", 2023, 15, 25),
                ("sh-kewei", 2023, 12, 18),
                ("evil", 2023, 1, 3),  # under 10 processed: not ranked
                ("fj-summary", 2023, 250, 300),  # a regional aggregate: not an agency
            ]
            for agency_id, year, numerator, denominator in rates:
                connection.execute(
                    "INSERT INTO derived_metrics VALUES (?, ?, 'disclosure_rate', ?, ?, ?, '2021', NULL)",
                    [agency_id, year, 100.0 * numerator / denominator, numerator, denominator],
                )
            for row in QUALITY:
                connection.execute("INSERT INTO quality_findings VALUES (?, ?, ?, ?, ?, ?)", list(row))
    connection.close()
    return path


@pytest.fixture
def warehouse(tmp_path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(build_fixture(tmp_path / "warehouse.duckdb")), read_only=True)
    yield connection
    connection.close()


def _page(connection) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(render_page(connection, generated_at=STAMP))


def _table(page: lxml_html.HtmlElement, key: str, index: int = 0) -> list[list[str]]:
    """The chart's data table as rows of cell texts, header row first."""
    table = page.xpath(f"//section[@data-chart='{key}']//table")[index]
    return [[cell.text_content() for cell in row.xpath("./th|./td")] for row in table.xpath(".//tr")]


def _notes(page: lxml_html.HtmlElement, key: str) -> str:
    return page.xpath(f"//section[@data-chart='{key}']")[0].text_content()


def test_every_chart_is_drawn_with_its_table(warehouse):
    page = _page(warehouse)
    for key in CHART_KEYS:
        section = page.xpath(f"//section[@data-chart='{key}']")
        assert section, key
        assert section[0].xpath(".//*[local-name()='svg']"), key
        assert section[0].xpath(".//details//table"), key
        assert not section[0].xpath(".//*[@data-unavailable]"), key
    assert not page.xpath("//*[@data-empty]")


def test_applications_by_province_table_and_notes(warehouse):
    page = _page(warehouse)
    assert _table(page, "applications_by_province") == [
        ["province", "2019", "2020", "2021", "2022", "2023", "all years"],
        ["上海市", "30", "–", "40", "–", "21", "91"],
        ["北京市", "–", "–", "6", "–", "25", "31"],
        ["福建省", "10", "–", "12", "–", "–", "22"],
        ["agencies counted", "2", "–", "3", "–", "3", ""],
    ]
    text = _notes(page, "applications_by_province")
    assert "years 2019–2023, 8 reports" in text  # r1-r5, r8-r10: not the aggregates r6, r11 nor legacy r7
    assert "2 such report(s) from 2019 on" in text


def test_applications_by_level_table(warehouse):
    page = _page(warehouse)
    assert _table(page, "applications_by_level") == [
        ["level", "2019", "2020", "2021", "2022", "2023", "all years"],
        ["provincial 省级", "30", "–", "–", "–", "18", "48"],
        ["county 县级", "–", "–", "–", "–", "25", "25"],
        ["township 乡镇街道", "–", "–", "6", "–", "–", "6"],
        ["functional zone 功能区", "10", "–", "12", "–", "–", "22"],
        ["unknown", "–", "–", "40", "–", "3", "43"],  # evil: 2021 and 2023 totals less the named levels
        ["agencies counted", "2", "–", "3", "–", "3", ""],
    ]
    assert "Agencies whose level is unknown" in _notes(page, "applications_by_level")
    assert "unknown" not in _notes(page, "applications_by_province")


def test_outcome_mix_sums_agency_reports_only(warehouse):
    page = _page(warehouse)
    # 2019: r1 + r2; 2021: r3 + r4 + r5 (r4's blank 其他处理 adds nothing); 2023: r8 + r9 + r10
    assert _table(page, "outcome_mix") == [
        ["outcome", "2019", "2020", "2021", "2022", "2023"],
        ["granted 予以公开", "24 (60.0%)", "–", "37 (63.8%)", "–", "20 (43.5%)"],
        ["partial 部分公开", "7 (17.5%)", "–", "8 (13.8%)", "–", "8 (17.4%)"],
        ["denied 不予公开", "1 (2.5%)", "–", "4 (6.9%)", "–", "5 (10.9%)"],
        ["unable 无法提供", "5 (12.5%)", "–", "6 (10.3%)", "–", "9 (19.6%)"],
        ["not processed 不予处理", "2 (5.0%)", "–", "1 (1.7%)", "–", "2 (4.3%)"],
        ["other 其他处理", "1 (2.5%)", "–", "2 (3.4%)", "–", "2 (4.3%)"],
        ["all outcomes", "40", "–", "58", "–", "46"],
        ["reports with outcomes", "2", "–", "3", "–", "3"],
    ]
    assert "years 2019–2023, 8 reports" in _notes(page, "outcome_mix")


def test_top_agencies_latest_year_without_aggregates(warehouse):
    page = _page(warehouse)
    assert _table(page, "top_agencies_new_applications") == [
        ["rank", "agency", "province", "new applications 2023 (件)"],
        ["2", "北京市东城区人民政府", "北京市", "25"],
        ["3", "上海市科学技术委员会", "上海市", "18"],
        ["4", EVIL_NAME, "上海市", "3"],
    ]
    assert page.xpath("//section[@data-chart='top_agencies_new_applications']/h2")[0].text_content().endswith("2023")


def test_top_agencies_by_disclosure_rate(warehouse):
    page = _page(warehouse)
    # 2023: 上海市科委 12/18 = 66.7%, 东城区 15/25 = 60.0%; evil (3 processed) and the aggregate left out
    assert _table(page, "top_agencies_disclosure_rate") == [
        ["agency", "province", "rate", "granted + partial (件)", "processed (件)"],
        ["上海市科学技术委员会", "上海市", "66.7%", "12", "18"],
        ["北京市东城区人民政府", "北京市", "60.0%", "15", "25"],
    ]


def test_quality_findings_by_check_and_by_agency_year(warehouse):
    page = _page(warehouse)
    assert _table(page, "quality_by_check") == [
        ["check", "findings"],
        ["outcome_sum", "1"],
        ["quality_continuity", "1"],
        ["quality_missing_years", "1"],
        ["quality_prose_vs_table", "1"],
    ]
    rows = _table(page, "quality_by_agency_year")
    assert rows[0] == ["agency", "year", "check", "what failed"]
    assert sorted(rows[1:]) == sorted(
        [
            [EVIL_NAME, "2021", "outcome_sum", "outcome rows 40 vs 总计 41"],
            [EVIL_NAME, "2021", "quality_prose_vs_table", "prose says 41 <b>applications</b>, table 40"],
            ["平潭综合实验区管理委员会", "2020", "quality_missing_years", "no report for 2020 between 2019 and 2021"],
            ["平潭综合实验区管理委员会", "2021", "quality_continuity", "carried_over 2 ≠ 2019's carried_forward 0"],
        ]
    )
    assert "years 2020–2023, 11 reports checked" in _notes(page, "quality_by_check")
    # each bar links to the first table row of its agency-year
    section = page.xpath("//section[@data-chart='quality_by_agency_year']")[0]
    targets = {a.get("href")[1:] for a in section.xpath(".//*[local-name()='a']")}
    row_ids = {row.get("id") for row in section.xpath(".//tr[@id]")}
    assert len(targets) == 3
    assert targets == row_ids


def test_text_from_documents_is_escaped(warehouse):
    page = render_page(warehouse, generated_at=STAMP)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;局 &amp; Co" in page
    assert "<b>applications</b>" not in page
    assert page.count("<script>") == 1  # the page's own few lines
    for key, svg in chart_svgs(warehouse).items():
        ET.fromstring(svg)  # every SVG is well-formed XML, agency names and all
        assert "<script" not in svg, key


def test_svgs_carry_titles_axis_labels_and_legends(warehouse):
    svgs = chart_svgs(warehouse)
    assert set(svgs) == set(CHART_KEYS)
    outcome = svgs["outcome_mix"]
    assert "share of applications processed" in outcome and "statistical year" in outcome
    for label in ("granted 予以公开", "denied 不予公开", "other 其他处理"):
        assert label in outcome
    assert "How applications were answered, per year (years 2019–2023, 8 reports)" in outcome
    assert "new applications (件)" in svgs["applications_by_province"]
    assert "new applications in 2023 (件)" in svgs["top_agencies_new_applications"]


def test_chart_metadata_embeds_each_chart_as_a_data_uri_image(warehouse, tmp_path):
    metadata = chart_metadata(warehouse, keys=CHARTS_BY_ASSET["core_indicators"], page_path=tmp_path / "report.html")
    assert set(metadata) == {"chart/outcome_mix", "report_page"}
    markdown = metadata["chart/outcome_mix"]
    assert isinstance(markdown, dg.MarkdownMetadataValue)
    prefix = "![How applications were answered, per year](data:image/svg+xml;base64,"
    assert markdown.md_str.startswith(prefix)
    encoded = markdown.md_str[len(prefix) : markdown.md_str.index(")", len(prefix))]
    svg = base64.b64decode(encoded).decode("utf-8")
    assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
    assert "granted 予以公开" in svg
    assert isinstance(metadata["report_page"], dg.PathMetadataValue)
    assert set(chart_metadata(warehouse)) == {f"chart/{key}" for key in CHART_KEYS}


def test_an_empty_warehouse_gives_a_page_that_says_so(tmp_path):
    path = build_fixture(tmp_path / "empty.duckdb", with_rows=False)
    with duckdb.connect(str(path), read_only=True) as connection:
        page = _page(connection)
        metadata = chart_metadata(connection)
    assert "This warehouse has no reports" in page.xpath("//*[@data-empty]")[0].text_content()
    for key in CHART_KEYS:
        section = page.xpath(f"//section[@data-chart='{key}']")[0]
        assert not section.xpath(".//*[local-name()='svg']"), key
        assert section.xpath(".//*[@data-unavailable]")[0].text_content().strip(), key
    assert "No reports were read, so no quality check ran." in metadata["chart/quality_by_check"].md_str


def test_a_warehouse_without_2019_reports_says_so(tmp_path):
    path = build_fixture(tmp_path / "legacy.duckdb", reports={"r7": REPORTS["r7"]})
    with duckdb.connect(str(path), read_only=True) as connection:
        page = _page(connection)
    assert "No reports from 2019 on" in page.xpath("//*[@data-empty]")[0].text_content()
    text = _notes(page, "outcome_mix")
    assert "No outcome figures from 2019 on in this warehouse." in text


def test_missing_models_are_reported_per_chart(tmp_path):
    path = tmp_path / "partial.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE reports AS SELECT 'r1' AS report_id, 2021 AS year, 'ok' AS status")
        connection.execute("CREATE TABLE quality_findings (agency_id VARCHAR, year INTEGER, ok BOOLEAN)")
        connection.execute("CREATE TABLE agencies (agency_id VARCHAR, agency_name VARCHAR)")
    with duckdb.connect(str(path), read_only=True) as connection:
        page = _page(connection)
    assert "the model(s) core_indicators, region_rollups are missing" in _notes(page, "applications_by_province")
    assert "the model(s) derived_metrics are missing" in _notes(page, "top_agencies_disclosure_rate")
    # a model that exists without a column the query names: still a message, not a crash
    assert "not available in this warehouse" in _notes(page, "quality_by_check")
    assert len(page.xpath("//section[@data-chart]")) == len(CHART_KEYS)


def test_write_page_replaces_the_file_whole(warehouse, tmp_path):
    target = tmp_path / "site" / "report.html"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    assert write_page(warehouse, target) == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_axis_ticks_and_label_clipping():
    assert nice_ticks(46) == [0, 10, 20, 30, 40, 50]
    assert nice_ticks(3) == [0, 1, 2, 3]
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(1234) == [0, 250, 500, 750, 1000, 1250]
    assert clip_text("北京市东城区人民政府建国门街道办事处", 12, 12 * 6) == "北京市东城…"
    assert clip_text("short", 12, 100) == "short"


def _check_script():
    spec = importlib.util.spec_from_file_location("check_report_page", REPOSITORY / "scripts" / "check_report_page.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(
    not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")),
    reason="headless Chromium not installed (Debian: apt-get install chromium); the page check needs a browser",
)
def test_page_renders_in_headless_chromium(warehouse, tmp_path):
    script = _check_script()
    if not script.cjk_fonts():
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk or fonts-wqy-microhei): Chinese would be boxes")
    page = write_page(warehouse, tmp_path / "report.html")
    check = script.check_page(page, tmp_path / "out", width=1280, height=3000)
    assert check.problems == []
    assert sorted(check.charts_drawn) == sorted(CHART_KEYS)
    assert check.svg_elements == len(CHART_KEYS)
    assert (tmp_path / "out" / "report.png").stat().st_size > 10_000


def test_a_year_of_zeros_is_not_a_year_without_data():
    svg = stacked_columns_svg(
        ["2022", "2023"],
        [_Series("北京市", [0.0, None], "#4e79a7")],
        title="t",
        description="d",
        y_label="new applications (件)",
        unit="件",
    )
    assert ">0 件</text>" in svg
    assert ">no data</text>" in svg
