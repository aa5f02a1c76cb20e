"""The agency dimension: ids, aliases, region, level and type, on the shared corpus and on names by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from pipeline.agencies import (
    AliasError,
    Divisions,
    apply_aliases,
    default_references,
    divisions_table,
    load_aliases,
    resolve_agencies,
    resolve_name,
)
from pipeline.extract.metadata import region_hint
from pipeline.parse import parse_file

CORPUS = Path(__file__).parent / "corpus" / "raw"


@pytest.fixture(scope="module")
def references() -> tuple[list, Divisions]:
    rules, divisions = default_references()
    return list(rules), divisions


@pytest.fixture(scope="module")
def corpus_reports() -> pa.Table:
    """The per-report table the warehouse resolves: one row per corpus file, parsed."""
    rows = []
    for path in sorted(CORPUS.iterdir()):
        report = parse_file(path)
        rows.append(
            {
                "report_id": path.name,
                "agency": report.agency,
                "year": report.year,
                "scope": report.scope,
                "region_hint": report.region_hint,
            }
        )
    return pa.Table.from_pylist(rows)


@pytest.fixture(scope="module")
def resolved(corpus_reports, references) -> dict[str, pa.Table]:
    rules, divisions = references
    return resolve_agencies(corpus_reports, rules, divisions)


def _agency_of(resolved: dict[str, pa.Table]) -> dict[str, str]:
    return {row["report_id"]: row["agency_id"] for row in resolved["report_agencies"].to_pylist()}


def _agency_row(resolved: dict[str, pa.Table], agency_id: str) -> dict:
    (row,) = [row for row in resolved["agencies"].to_pylist() if row["agency_id"] == agency_id]
    return row


def test_pingtan_series_is_one_agency_and_the_tax_bureau_another(resolved):
    agency_of = _agency_of(resolved)
    pingtan = {rid for rid in agency_of if "pingtan" in rid and "dishui" not in rid}
    assert len(pingtan) == 10  # 2011, 2012, 2013, 2014, 2016, 2018, 2019, 2021, 2023, 2025
    assert {agency_of[rid] for rid in pingtan} == {"平潭综合实验区"}
    assert agency_of["L06_pingtan-dishui-2013.txt"] == "平潭综合实验区地方税务局"
    row = _agency_row(resolved, "平潭综合实验区")
    assert (row["first_year"], row["last_year"], row["n_reports"]) == (2011, 2025, 10)
    region = (row["province"], row["city"], row["county"], row["division_code"])
    assert region == ("福建省", "福州市", "平潭县", "350128")
    assert (row["level"], row["agency_type"]) == ("functional_zone", "zone_committee")
    tax = _agency_row(resolved, "平潭综合实验区地方税务局")
    assert (tax["agency_type"], tax["level"], tax["n_reports"]) == ("department", "functional_zone", 1)


def test_pingtan_names_over_the_years(resolved):
    names = {
        row["name"]: (row["first_year"], row["last_year"], row["n_reports"], row["matched_by"])
        for row in resolved["agency_names"].to_pylist()
        if row["agency_id"] == "平潭综合实验区"
    }
    assert names == {
        "平潭综合实验区": (2011, 2025, 7, "name"),
        "平潭县人民政府": (2012, 2013, 2, "alias"),
        "平潭综合实验区管委会": (2014, 2014, 1, "alias"),
    }


def test_xicheng_rename_is_one_agency(resolved):
    agency_of = _agency_of(resolved)
    assert agency_of["003_f0f104a3575faaf0.txt"] == "北京市西城区城市管理指挥中心"  # printed 城市管理监督指挥中心
    assert agency_of["002_1bf41d18f1e4ab8a.txt"] == "北京市西城区城市管理指挥中心"
    names = {r["name"]: r["matched_by"] for r in resolved["agency_names"].to_pylist() if "西城区" in r["agency_id"]}
    assert names == {"北京市西城区城市管理监督指挥中心": "rename", "北京市西城区城市管理指挥中心": "name"}
    row = _agency_row(resolved, "北京市西城区城市管理指挥中心")
    assert (row["first_year"], row["last_year"], row["division_code"]) == (2017, 2023, "110102")


def test_dongcheng_centre_without_province_lands_in_beijing(resolved):
    assert _agency_of(resolved)["000_4c23b5825c9f94d7.txt"] == "北京市东城区城市管理指挥中心"
    row = _agency_row(resolved, "北京市东城区城市管理指挥中心")
    region = (row["province"], row["city"], row["county"], row["division_code"])
    assert region == ("北京市", "北京市", "东城区", "110101")
    assert (row["level"], row["agency_type"]) == ("county", "department")
    assert "region hint" in row["inference"] and "agrees" in row["inference"]


def test_shanghai_abbreviation_and_government_office(resolved):
    agency_of = _agency_of(resolved)
    assert agency_of["008_shanghai_kewei_2024.md"] == "上海市科学技术委员会"
    office = _agency_row(resolved, "上海市人民政府办公厅")
    assert (office["agency_type"], office["level"], office["province"], office["division_code"]) == (
        "government_office",
        "provincial",
        "上海市",
        "310000",
    )


def test_names_resolved_before_are_taken_from_the_known_resolutions(resolved, corpus_reports, references):
    rules, divisions = references
    known = resolved["resolutions"]
    keys = zip(*(corpus_reports[c].to_pylist() for c in ("agency", "year", "region_hint")), strict=True)
    assert known.num_rows == len(set(keys))
    again = resolve_agencies(corpus_reports, rules, divisions, known)
    for name in ("report_agencies", "agencies", "agency_names", "resolutions"):
        assert (
            again[name]
            .sort_by("agency_id" if name != "report_agencies" else "report_id")
            .equals(resolved[name].sort_by("agency_id" if name != "report_agencies" else "report_id"))
        ), name
    # a known row is taken as it is, not resolved again (so a wrong one shows): the 2013 tax bureau's
    key = (known["agency"].to_pylist(), known["year"].to_pylist())
    row = [i for i, (agency, year) in enumerate(zip(*key, strict=True)) if "税务" in agency and year == 2013]
    assert len(row) == 1
    doctored = known.set_column(
        known.schema.get_field_index("agency_id"),
        "agency_id",
        pa.array(["已知机构" if i == row[0] else v for i, v in enumerate(known["agency_id"].to_pylist())]),
    )
    reused = resolve_agencies(corpus_reports, rules, divisions, doctored)
    assert _agency_of(reused)["L06_pingtan-dishui-2013.txt"] == "已知机构"
    assert _agency_of(reused)["005_pingtan_2023.txt"] == "平潭综合实验区"


def test_regional_aggregate_reports_are_counted_apart(resolved, corpus_reports):
    scopes = dict(zip(corpus_reports["report_id"].to_pylist(), corpus_reports["scope"].to_pylist(), strict=True))
    assert scopes["005_pingtan_2023.txt"] == "regional_aggregate"
    # 2011 (zone), 2012 and 2013 (county), 2023: summaries of the zone's departments
    assert _agency_row(resolved, "平潭综合实验区")["n_regional_aggregate"] == 4


@pytest.mark.parametrize(
    ("name", "year", "level", "agency_type", "county"),
    [
        ("北京市东城区人民政府建国门街道办事处", 2020, "township", "street_office", "东城区"),
        ("北京市东城区对外联络服务办公室", 2021, "county", "department", "东城区"),
        ("北京市东城区人民政府", 2021, "county", "people_government", "东城区"),
        ("福州市鼓楼区人民政府办公室", 2021, "county", "government_office", "鼓楼区"),
        ("福建省自然资源厅", 2021, "provincial", "department", None),
        ("福州市财政局", 2021, "city", "department", None),
        ("自然资源部", 2021, "central", "department", None),
    ],
)
def test_level_and_type_from_the_name(references, name, year, level, agency_type, county):
    rules, divisions = references
    resolution = resolve_name(name, year, None, rules, divisions)
    assert (resolution.level, resolution.agency_type, resolution.county) == (level, agency_type, county)


def test_homonym_district_is_settled_by_the_hint_and_qualified(references):
    rules, divisions = references
    alone = resolve_name("鼓楼区人民政府", 2021, None, rules, divisions)
    assert (alone.agency_id, alone.division_code, alone.level) == ("鼓楼区人民政府", None, "county")
    hinted = resolve_name("鼓楼区人民政府", 2021, "福州市鼓楼区人民政府门户网站", rules, divisions)
    assert (hinted.agency_id, hinted.division_code) == ("福州市鼓楼区人民政府", "350102")


def test_reform_fragments(references):
    rules, _ = references
    assert apply_aliases("福州市国土资源局", 2017, rules)[0] == "福州市自然资源局"
    assert apply_aliases("北京市环境保护局", 2017, rules)[0] == "北京市生态环境局"
    assert apply_aliases("上海市卫生和计划生育委员会", 2017, rules)[0] == "上海市卫生健康委员会"
    assert apply_aliases("平潭综合实验区安全生产监督管理局", 2017, rules)[0] == "平潭综合实验区应急管理局"
    assert apply_aliases("北京市规划和国土资源管理委员会", 2017, rules)[0] == "北京市规划和自然资源委员会"


def test_region_hint_from_the_text():
    lines = ["东城区城市管理指挥中心", "2021年政府信息公开工作年度报告", "通过数字东城网站公开办公地址", "正文"]
    assert region_hint(lines) == "数字东城"
    lines = ["本报告的电子版可在西城区政府网站（http://www.xicheng.gov.cn）下载"]
    assert region_hint(lines) == "告的电子版可在西城区政府网站"  # at most 10 characters before 政府网站
    assert region_hint(["及时在政府网站公开"]) is None


def test_divisions_table_holds_dongcheng_and_pingtan_with_years():
    divisions = divisions_table()
    rows = {(r["code"], r["valid_from"]): r for r in divisions.to_pylist()}
    assert rows[("110101", 1980)]["name"] == "东城区"
    assert rows[("110101", 1980)]["valid_to"] is None
    pingtan = rows[("350128", 1983)]
    assert (pingtan["name"], pingtan["parent_code"], pingtan["city"], pingtan["valid_to"]) == (
        "平潭县",
        "350100",
        "福州市",
        None,
    )
    # before 1983 平潭县 was in 莆田地区 with another code: revoked codes keep their years
    assert (rows[("352425", 1980)]["name"], rows[("352425", 1980)]["valid_to"]) == ("平潭县", 1981)
    assert rows[("110103", 1980)]["name"] == "崇文区" and rows[("110103", 1980)]["valid_to"] == 2009
    assert all(field.metadata and b"description" in field.metadata for field in divisions.schema)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("平潭县,平潭综合实验区,renamed,name,,,", "line 3: unknown kind 'renamed'"),
        ("平潭县,,rename,name,,,", "line 3: empty canonical"),
        ("乙,甲,rename,name,,,", "line 3: alias cycle 甲 -> 乙 -> 甲"),
        ("国土,国土资源,rename,fragment,,,", "line 3: fragment '国土' is part of its canonical"),
        ("丙,丁,rename,name,2019,2018,", "line 3: from_year 2019 is after to_year 2018"),
    ],
)
def test_bad_alias_rows_name_file_and_line(tmp_path, row, message):
    path = tmp_path / "agency_aliases.csv"
    header = "alias,canonical,kind,match,from_year,to_year,note"
    path.write_text(f"{header}\n甲,乙,rename,name,,,\n{row}\n", encoding="utf-8")
    with pytest.raises(AliasError) as error:
        load_aliases(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_shipped_alias_table_loads(references):
    rules, _ = references
    assert {rule.kind for rule in rules} == {"rename", "abbreviation", "merger", "same_body"}
    assert all(rule.note for rule in rules)


def test_build_writes_the_agency_tables(tmp_path):
    import dagster as dg

    from pipeline.definitions import JOB_NAME, build_definitions

    warehouse = tmp_path / "warehouse"
    defs = build_definitions(CORPUS, warehouse)
    result = defs.resolve_job_def(JOB_NAME).execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as connection:
        pingtan = connection.sql(
            "SELECT first_year, last_year, n_reports, division_code FROM agencies WHERE agency_id = '平潭综合实验区'"
        ).fetchall()
        report_ids = connection.sql(
            "SELECT DISTINCT agency_id FROM reports WHERE report_id LIKE '%pingtan%' ORDER BY agency_id"
        ).fetchall()
        fact_ids = connection.sql(
            "SELECT count(DISTINCT agency_id) FROM facts "
            "WHERE agency = '平潭县人民政府' AND agency_id = '平潭综合实验区'"
        ).fetchall()
        (divisions,) = connection.sql("SELECT count(*) FROM divisions WHERE code = '350128'").fetchall()[0]
        (aliases,) = connection.sql("SELECT count(*) FROM agency_aliases WHERE alias = '平潭县人民政府'").fetchall()[0]
        (names,) = connection.sql("SELECT count(*) FROM agency_names WHERE agency_id = '平潭综合实验区'").fetchall()[0]
    assert pingtan == [(2011, 2025, 10, "350128")]
    assert report_ids == [("平潭综合实验区",), ("平潭综合实验区地方税务局",)]
    assert fact_ids == [(1,)]
    assert (divisions, aliases, names) == (1, 1, 3)
