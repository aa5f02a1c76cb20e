"""The analytics and quality SQL models (sql/*.sql) on a small warehouse written by hand, and on the real corpus.

The fixture warehouse (every figure below is a row written here, and every expected value is computed by hand
in the comments):

agency A (福建省 福州市, city-level department), renamed: printed 甲局 up to 2020 and 甲管理局 in 2022
  a2018 legacy   收到申请数 4, 申请答复数 4, 同意公开 3, 同意部分公开 0, 不同意公开 1, 主动公开 100 in the
                 table and 90 in the prose (the parser's legacy_prose_table_agreement failed), 行政复议 0 (prose)
  a2019 2019     新收 8 (自然人 6, 商业企业 1, 科研机构 blank, 社会公益组织 0, 法律服务机构 1, 其他 0), 上年结转 2,
                 予以公开 2, 部分公开 1, 国家秘密 1, 第三方 1, 不掌握 2, 重复申请 blank, 其他处理 1, 总计 8, 结转 2;
                 复议 维持 1 纠正 1 其他 0 未审结 1 总计 3; 直接起诉 维持 1 总计 1; 复议后起诉 总计 0;
                 prose 主动公开 120
  a2020 2019     新收 10, 上年结转 3 (but a2019 carried 2 forward), 予以公开 5, 部分公开 0, 不掌握 3, 重复申请 0,
                 其他处理 2, 总计 10, 结转 3
  2021           no report
  a2022 2021     新收 16, 上年结转 0, 予以公开 4, 部分公开 2, 不掌握 6, 重复申请 0, 其他处理 1 + blank + 1, 总计 14,
                 结转 2; prose 主动公开 150
agency B (福建省 厦门市, city-level department)
  b2019_html (ok) and b2019_txt (partial, more facts): two different reports for 2019; the ok one is used.
  b2019_html gives zeros everywhere (a zero denominator); b2019_txt gives 新收 5.
  b2019_copy: a byte-identical copy of b2019_html, skipped.
agency C (福建省 厦门市, county people's government)
  c2019 regional_aggregate: 新收 100, 予以公开 50, 总计 95, 结转 5
  c2020 government: 新收 20, 上年结转 5, 予以公开 10, 部分公开 2, 总计 25, 结转 0; c2020_copy: identical, skipped
agency D (上海市, provincial department)
  d2019 2019: 新收 4, 予以公开 1, 部分公开 1, 总计 4
"""

import shutil

import dagster as dg
import duckdb
import pyarrow as pa
import pytest
from conftest import CORPUS

from pipeline.definitions import JOB_NAME, build_definitions
from pipeline.facts import CHECK_RESULTS_SCHEMA, FACTS_SCHEMA, REPORTS_SCHEMA
from pipeline.sql_models import ModelError, in_dependency_order, load_models, run_model, table_dependencies
from pipeline.vocabulary import load_vocabulary
from pipeline.warehouse import vocabulary_table

ANALYTICS_MODELS = {
    "agency_year_reports",
    "core_indicators",
    "derived_metrics",
    "indicator_values",
    "indicator_trends",
    "indicator_rankings",
    "region_rollups",
    "indicator_growth",
    "applications_by_agency_year",
    "quality_continuity",
    "quality_duplicates",
    "quality_missing_years",
    "quality_prose_vs_table",
    "quality_findings",
}

# agencies: the columns agreed in the session's interfaces (built by pipeline/agencies.py in the warehouse)
AGENCIES_DDL = """
CREATE TABLE agencies (
    agency_id VARCHAR, agency_name VARCHAR, province VARCHAR, city VARCHAR, county VARCHAR, division_code VARCHAR,
    level VARCHAR, agency_type VARCHAR, first_year INTEGER, last_year INTEGER, n_reports INTEGER, inference VARCHAR
)
"""
AGENCIES = [
    ("A", "甲管理局", "福建省", "福州市", None, None, "city", "department", 2018, 2022, 4, "hand"),
    ("B", "乙局", "福建省", "厦门市", None, None, "city", "department", 2019, 2019, 2, "hand"),
    ("C", "丙区人民政府", "福建省", "厦门市", "丙区", None, "county", "people_government", 2019, 2020, 2, "hand"),
    ("D", "丁局", "上海市", None, None, None, "provincial", "department", 2019, 2019, 1, "hand"),
]

ORG_COLUMNS = ("org_commercial", "org_research", "org_social", "org_legal_service", "org_other")


class FixtureWarehouse:
    """Collects hand-written facts, reports and check results, then loads them with the real vocabulary."""

    def __init__(self):
        self.facts: list[dict] = []
        self.reports: list[dict] = []
        self.checks: list[dict] = []

    def report(self, report_id, agency, agency_id, year, template, scope="agency", status="ok", content_hash=None):
        self.reports.append(
            dict(
                report_id=report_id,
                path=report_id,
                content_hash=content_hash or f"hash-{report_id}",
                size_bytes=1000,
                encoding="utf-8",
                reader="text",
                agency=agency,
                agency_id=agency_id,
                year=year,
                template=template,
                scope=scope,
                status=status,
                n_facts=0,
                n_failed_checks=0,
                errors=[],
            )
        )
        return self.reports[-1]

    def skipped_copy(self, report_id, original_id):
        original = next(r for r in self.reports if r["report_id"] == original_id)
        copy = self.report(report_id, None, None, None, None, scope=None, status="skipped")
        copy.update(content_hash=original["content_hash"], scope=None, errors=[f"identical to {original_id}"])

    def fact(self, report_id, section, category, value, applicant_type=None, metric="count", source="table"):
        report = next(r for r in self.reports if r["report_id"] == report_id)
        report["n_facts"] += 1
        self.facts.append(
            dict(
                report_id=report_id,
                agency=report["agency"],
                agency_id=report["agency_id"],
                year=report["year"],
                template=report["template"],
                section=section,
                category=category,
                applicant_type=applicant_type,
                metric=metric,
                value=None if value is None else float(value),
                unit="件",
                value_status="number" if value is not None else "blank",
                raw="" if value is None else str(value),
                line=len(self.facts) + 1,
                source=source,
            )
        )

    def table3_totals(self, report_id, **cells):
        """Table 3's 总计 column: category=value (None for a blank cell)."""
        for category, value in cells.items():
            self.fact(report_id, "applications", category, value, applicant_type="total")

    def table4_block(self, report_id, category, upheld, corrected, other, pending, total):
        for metric, value in zip(
            ("upheld", "corrected", "other", "pending", "total"),
            (upheld, corrected, other, pending, total),
            strict=True,
        ):
            self.fact(report_id, "review_litigation", category, value, metric=metric)

    def check(self, report_id, name, section, ok, detail, category=None, expected=None, actual=None):
        self.checks.append(
            dict(
                report_id=report_id,
                name=name,
                section=section,
                column=None,
                category=category,
                ok=ok,
                expected=expected,
                actual=actual,
                detail=detail,
                line=1,
            )
        )

    def connect(self) -> duckdb.DuckDBPyConnection:
        connection = duckdb.connect()
        tables = {
            "facts": pa.Table.from_pylist(self.facts, FACTS_SCHEMA),
            "reports": pa.Table.from_pylist(self.reports, REPORTS_SCHEMA),
            "check_results": pa.Table.from_pylist(self.checks, CHECK_RESULTS_SCHEMA),
            "vocabulary": vocabulary_table(),
        }
        for name, table in tables.items():
            connection.register("incoming", table)
            connection.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
            connection.unregister("incoming")
        connection.execute(AGENCIES_DDL)
        connection.executemany("INSERT INTO agencies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", AGENCIES)
        return connection


def fixture_warehouse() -> FixtureWarehouse:
    w = FixtureWarehouse()

    # --- agency A, printed 甲局, then 甲管理局 (a rename: one agency_id) ---
    w.report("a2018", "甲局", "A", 2018, "legacy")
    for category, value in (
        ("applications_received", 4),
        ("applications_answered", 4),
        ("granted", 3),
        ("partial", 0),
        ("denied", 1),
        ("proactive_items", 100),
    ):
        w.fact("a2018", "legacy", category, value)
    w.fact("a2018", "legacy", "proactive_items", 90, source="prose")
    w.fact("a2018", "legacy", "granted", 3, source="prose")
    w.fact("a2018", "legacy", "reconsideration", 0, source="prose")
    w.check(
        "a2018",
        "legacy_prose_table_agreement",
        "legacy",
        False,
        "prose 90 (line 8) vs table 100 (line 6)",
        category="proactive_items",
        expected=100,
        actual=90,
    )

    w.report("a2019", "甲局", "A", 2019, "2019")
    w.table3_totals(
        "a2019",
        new_received=8,
        carried_over=2,
        granted=2,
        partial=1,
        denied_state_secret=1,
        denied_third_party=1,
        unable_not_held=2,
        not_processed_repeat=None,
        other_total=1,
        processed_total=8,
        carried_forward=2,
    )
    for applicant_type, value in zip(("natural_person", *ORG_COLUMNS), (6, 1, None, 0, 1, 0), strict=True):
        w.fact("a2019", "applications", "new_received", value, applicant_type=applicant_type)
    w.table4_block("a2019", "reconsideration", 1, 1, 0, 1, 3)
    w.table4_block("a2019", "litigation_direct", 1, 0, 0, 0, 1)
    w.table4_block("a2019", "litigation_after_reconsideration", 0, 0, 0, 0, 0)
    w.fact("a2019", "narrative", "proactive_items", 120, source="prose")
    w.fact("a2019", "narrative", "applications_received", 8, source="prose")
    w.check(
        "a2019",
        "narrative_table_agreement",
        "narrative",
        True,
        "prose (line 1) vs table: 8 vs 8",
        category="applications_received",
        expected=8,
        actual=8,
    )
    w.check("a2019", "blank_cells", "applications", False, "2 of 21 cells blank")

    w.report("a2020", "甲局", "A", 2020, "2019")
    w.table3_totals(
        "a2020",
        new_received=10,
        carried_over=3,
        granted=5,
        partial=0,
        unable_not_held=3,
        not_processed_repeat=0,
        other_total=2,
        processed_total=10,
        carried_forward=3,
    )

    w.report("a2022", "甲管理局", "A", 2022, "2021")
    w.table3_totals(
        "a2022",
        new_received=16,
        carried_over=0,
        granted=4,
        partial=2,
        unable_not_held=6,
        not_processed_repeat=0,
        other_no_correction=1,
        other_fee_unpaid=None,
        other_misc=1,
        processed_total=14,
        carried_forward=2,
    )
    w.fact("a2022", "narrative", "proactive_items", 150, source="prose")

    # --- agency B: two different reports for 2019 (+ an identical copy); the used one has zeros ---
    w.report("b2019_html", "乙局", "B", 2019, "2019", status="ok")
    w.table3_totals(
        "b2019_html", new_received=0, carried_over=0, granted=0, partial=0, processed_total=0, carried_forward=0
    )
    w.report("b2019_txt", "乙局", "B", 2019, "2019", status="partial")
    w.table3_totals(
        "b2019_txt",
        new_received=5,
        carried_over=0,
        granted=5,
        partial=0,
        unable_not_held=0,
        not_processed_repeat=0,
        other_total=0,
        processed_total=5,
        carried_forward=0,
    )
    w.skipped_copy("b2019_copy", "b2019_html")

    # --- agency C: a regional aggregate, then its own report (+ an identical copy) ---
    w.report("c2019", "丙区人民政府", "C", 2019, "2019", scope="regional_aggregate")
    w.table3_totals(
        "c2019", new_received=100, carried_over=0, granted=50, partial=0, processed_total=95, carried_forward=5
    )
    w.report("c2020", "丙区人民政府", "C", 2020, "2019", scope="government")
    w.table3_totals(
        "c2020", new_received=20, carried_over=5, granted=10, partial=2, processed_total=25, carried_forward=0
    )
    w.skipped_copy("c2020_copy", "c2020")

    # --- agency D ---
    w.report("d2019", "丁局", "D", 2019, "2019")
    w.table3_totals("d2019", new_received=4, carried_over=0, granted=1, partial=1, processed_total=4, carried_forward=0)
    return w


@pytest.fixture(scope="module")
def warehouse():
    connection = fixture_warehouse().connect()
    for model in load_models():
        run_model(connection, model)
    yield connection
    connection.close()


def rows(connection, sql):
    return connection.sql(sql).fetchall()


def one(connection, sql):
    (row,) = connection.sql(sql).fetchall()
    return row[0] if len(row) == 1 else row


# --- model files: order, documentation ---------------------------------------------------------------------------


def test_models_come_in_dependency_order():
    names = [model.name for model in load_models()]
    assert set(names) >= ANALYTICS_MODELS
    for position, model in enumerate(load_models()):
        assert not set(model.depends_on) & set(names[position:]), f"{model.name} runs before a model it reads"
    assert names.index("core_indicators") < names.index("derived_metrics") < names.index("indicator_values")
    assert names.index("indicator_values") < names.index("indicator_trends")
    assert names.index("quality_continuity") < names.index("quality_findings")


def test_a_dependency_cycle_is_refused(tmp_path):
    for name, reads in (("first", "second"), ("second", "first")):
        (tmp_path / f"{name}.sql").write_text(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {reads}")
    with pytest.raises(ModelError, match="cycle"):
        load_models(tmp_path)
    assert [m.name for m in in_dependency_order(load_models(tmp_path.parent / "nothing-here"))] == []


def test_an_incremental_model_may_read_only_what_can_be_cut_by_agency(tmp_path):
    header = "-- One row per agency.\n--\n-- Incremental: by agency_id\n"
    (tmp_path / "per_agency.sql").write_text(
        f"{header}CREATE OR REPLACE TABLE per_agency AS SELECT agency_id, count(*) AS n FROM facts GROUP BY agency_id"
    )
    (tmp_path / "everyone.sql").write_text("CREATE OR REPLACE TABLE everyone AS SELECT count(*) AS n FROM reports")
    models = {model.name: model for model in load_models(tmp_path)}
    assert models["per_agency"].incremental and not models["everyone"].incremental
    assert models["per_agency"].description == "One row per agency."  # the marker line is no documentation

    (tmp_path / "ranked.sql").write_text(
        f"{header}CREATE OR REPLACE TABLE ranked AS SELECT agency_id, everyone.n FROM per_agency, everyone"
    )
    with pytest.raises(ModelError, match=r"ranked.sql: .* reads everyone, which is neither"):
        load_models(tmp_path)
    (tmp_path / "ranked.sql").unlink()
    (tmp_path / "shown.sql").write_text(f"{header}CREATE OR REPLACE VIEW shown AS SELECT * FROM per_agency")
    with pytest.raises(ModelError, match="only a TABLE model can be incremental"):
        load_models(tmp_path)


def test_a_model_incremental_by_year_reads_only_what_can_be_cut_by_year(tmp_path):
    header = "-- One row per year.\n--\n-- Incremental: by year\n--\n-- Columns:\n--   year: the year\n--   n: facts\n"
    (tmp_path / "per_year.sql").write_text(
        f"{header}CREATE OR REPLACE TABLE per_year AS SELECT year, count(*) AS n FROM facts JOIN agencies "
        "USING (agency_id) GROUP BY year"
    )
    (tmp_path / "everyone.sql").write_text("CREATE OR REPLACE TABLE everyone AS SELECT 1 AS year")
    assert {model.name: model.incremental for model in load_models(tmp_path)} == {
        "everyone": None,
        "per_year": "year",
    }
    (tmp_path / "mixed.sql").write_text(
        f"{header}CREATE OR REPLACE TABLE mixed AS SELECT year, count(*) AS n FROM per_year, everyone GROUP BY year"
    )
    with pytest.raises(ModelError, match=r"mixed.sql: `Incremental: by year`, but it reads everyone"):
        load_models(tmp_path)
    (tmp_path / "mixed.sql").write_text(
        "-- Incremental: by year\nCREATE OR REPLACE TABLE mixed AS SELECT year FROM per_year"
    )
    with pytest.raises(ModelError, match="lists no `year` column"):
        load_models(tmp_path)


def test_a_run_by_year_replaces_the_rows_of_the_years_whose_inputs_changed(tmp_path):
    (tmp_path / "ranked.sql").write_text(
        "-- Incremental: by year\n--\n-- Columns:\n--   year: y\n--   agency_id: a\n--   rank: r\n"
        "CREATE OR REPLACE TABLE ranked AS SELECT year, agency_id, "
        "rank() OVER (PARTITION BY year, agencies.province ORDER BY count(*) DESC) AS rank "
        "FROM facts JOIN agencies USING (agency_id) GROUP BY year, agency_id, agencies.province"
    )
    (model,) = load_models(tmp_path)
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE facts AS FROM (VALUES (2020, 'a'), (2020, 'b'), (2020, 'b'), (2021, 'a'), (NULL, 'a')) "
        "AS t(year, agency_id)"
    )
    connection.execute("CREATE TABLE agencies AS FROM (VALUES ('a', 'P'), ('b', 'P')) AS t(agency_id, province)")
    run_model(connection, model)
    connection.execute("INSERT INTO facts VALUES (2021, 'b'), (2021, 'b'), (2020, 'a'), (2020, 'a')")
    connection.execute("CREATE TABLE changed AS SELECT 'b' AS agency_id")
    connection.execute("CREATE TABLE years AS FROM (VALUES ('facts', 2021), ('reports', 2020)) AS t(table_name, year)")
    run_model(connection, model, "changed", "years")
    rows = connection.sql("SELECT year, agency_id, rank FROM ranked ORDER BY ALL").fetchall()
    # 2021 computed again (b now ahead of a); 2020 as it was, though its facts changed: nothing listed them
    assert rows == [(2020, "a", 2), (2020, "b", 1), (2021, "a", 2), (2021, "b", 1), (None, "a", 1)]
    assert connection.sql("SELECT * FROM years WHERE table_name = 'ranked'").fetchall() == [("ranked", 2021)]
    connection.execute("INSERT INTO years VALUES ('facts', 2020), ('facts', NULL)")  # every year: computed whole
    run_model(connection, model, "changed", "years")
    rows = connection.sql("SELECT year, agency_id, rank FROM ranked ORDER BY ALL").fetchall()
    assert rows == [(2020, "a", 1), (2020, "b", 2), (2021, "a", 2), (2021, "b", 1), (None, "a", 1)]


def test_an_incremental_run_replaces_the_changed_agencies_rows_only(tmp_path):
    """run_model with a list of changed agencies: their rows computed again (NULL: the rows without an agency), the
    other agencies' rows left as they were, even where the inputs say otherwise now."""
    (tmp_path / "per_agency.sql").write_text(
        "-- Incremental: by agency_id\nCREATE OR REPLACE TABLE per_agency AS "
        "SELECT facts.agency_id, count(*) AS n, count(DISTINCT results.name) AS checks FROM facts "
        "LEFT JOIN check_results AS results USING (report_id) GROUP BY facts.agency_id"
    )
    (model,) = load_models(tmp_path)
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE facts AS SELECT * FROM (VALUES ('r1', 'a'), ('r1', 'a'), ('r2', 'b'), ('r3', NULL)) "
        "AS t(report_id, agency_id)"
    )
    connection.execute("CREATE TABLE reports AS SELECT DISTINCT report_id, agency_id FROM facts")
    connection.execute("CREATE TABLE check_results AS FROM (VALUES ('r1', 'x'), ('r2', 'y')) AS t(report_id, name)")
    run_model(connection, model)
    connection.execute("INSERT INTO facts VALUES ('r1', 'a'), ('r2', 'b'), ('r3', NULL), ('r4', 'c')")
    connection.execute("INSERT INTO reports VALUES ('r4', 'c')")
    connection.execute("CREATE TABLE changed AS SELECT * FROM (VALUES ('a'), ('c'), (NULL)) AS t(agency_id)")
    assert run_model(connection, model, "changed") == 4
    rows = connection.sql("SELECT agency_id, n, checks FROM per_agency ORDER BY agency_id NULLS LAST").fetchall()
    assert rows == [("a", 3, 1), ("b", 1, 1), ("c", 1, 0), (None, 2, 0)]  # b: as before, its new fact not counted
    schemas = {row[0] for row in connection.sql("SELECT schema_name FROM duckdb_schemas()").fetchall()}
    assert "_incremental_scope" not in schemas


def test_every_output_column_is_documented_once_under_columns(warehouse):
    for model in load_models():
        if model.name not in ANALYTICS_MODELS:
            continue
        output = [row[0] for row in warehouse.sql(f"DESCRIBE {model.name}").fetchall()]
        assert output == list(model.columns), model.name
        assert all(model.columns.values()), f"{model.name}: a column without a description"


def test_quality_models_have_the_agreed_columns(warehouse):
    for name in ("quality_continuity", "quality_duplicates", "quality_missing_years", "quality_prose_vs_table"):
        types = dict(warehouse.sql(f"SELECT column_name, column_type FROM (DESCRIBE {name})").fetchall())
        assert types["agency_id"] == "VARCHAR" and types["year"] == "INTEGER", name
        assert types["ok"] == "BOOLEAN" and types["detail"] == "VARCHAR", name


def test_the_core_mapping_is_data_in_the_vocabulary():
    vocabulary = load_vocabulary()
    feeds_other = {
        (t.section, t.code) for t in vocabulary.terms if t.core_indicator == "other" and t.section == "applications"
    }
    # 2019's single （六）其他处理 row and 2021's three sub-rows all roll up to `other`
    assert feeds_other == {
        ("applications", "other_total"),
        ("applications", "other_no_correction"),
        ("applications", "other_fee_unpaid"),
        ("applications", "other_misc"),
    }
    # a pre-2019 code whose meaning differs says so
    assert vocabulary.term("legacy", "category", "not_held").core_indicator == "unable"
    assert "not the same" in vocabulary.term("legacy", "category", "not_held").core_note
    assert not vocabulary.term("legacy", "category", "granted").core_note  # 同意公开 = 予以公开
    # table 2 is never harmonised
    assert not any(t.core_indicator for t in vocabulary.terms if t.section == "proactive")
    assert set(table_dependencies(load_models_by_name()["core_indicators"].sql)) == {
        "vocabulary",
        "agency_year_reports",
        "facts",
    }


def load_models_by_name():
    return {model.name: model for model in load_models()}


# --- agency_year_reports and core_indicators ---------------------------------------------------------------------


def test_one_report_per_agency_year_chosen_deterministically(warehouse):
    assert rows(
        warehouse,
        "SELECT agency_id, year, report_id, n_reports, other_report_ids FROM agency_year_reports "
        "WHERE agency_id IN ('B', 'C') ORDER BY year, agency_id",
    ) == [
        ("B", 2019, "b2019_html", 2, ["b2019_txt"]),  # ok beats partial, although the partial one has more facts
        ("C", 2019, "c2019", 1, []),
        ("C", 2020, "c2020", 1, []),  # its identical copy is skipped, never a candidate
    ]
    # core figures come from the chosen report: 新收 0 of b2019_html, not 5 of b2019_txt
    assert (
        one(
            warehouse,
            "SELECT value FROM core_indicators WHERE agency_id = 'B' AND indicator = 'applications_received'",
        )
        == 0
    )


def test_core_indicators_of_a_2019_report(warehouse):
    values = dict(
        rows(warehouse, "SELECT indicator, value FROM core_indicators WHERE report_id = 'a2019' ORDER BY indicator")
    )
    assert values == {
        "applications_carried_over": 2,
        "applications_received": 8,
        "carried_forward": 2,
        "denied": 2,  # 国家秘密 1 + 第三方 1
        "granted": 2,
        "litigation_corrected": 0,  # 直接起诉 0 + 复议后起诉 0
        "litigation_other": 0,
        "litigation_pending": 0,
        "litigation_total": 1,  # 直接起诉 1 + 复议后起诉 0
        "litigation_upheld": 1,
        "not_processed": None,  # its only printed cell, 重复申请, is blank: a sum over only blanks is NULL
        "other": 1,  # the 2019 template's single row
        "partial": 1,
        "proactive_disclosures": 120,  # from the prose: table 2 has no total
        "processed": 8,
        "reconsideration_corrected": 1,
        "reconsideration_other": 0,
        "reconsideration_pending": 1,
        "reconsideration_total": 3,
        "reconsideration_upheld": 1,
        "unable": 2,
    }
    notes = dict(
        rows(
            warehouse,
            "SELECT indicator, comparability_note FROM core_indicators WHERE report_id = 'a2019' "
            "AND indicator IN ('proactive_disclosures', 'not_processed', 'other', 'granted', "
            "'applications_received')",
        )
    )
    assert notes["granted"] is None
    assert notes["applications_received"] is None  # the table's figure wins over the prose's
    assert notes["not_processed"] == "every cell blank or unreadable"
    assert notes["other"] == "2019 template: the single （六）其他处理 row"
    assert "stated in the prose" in notes["proactive_disclosures"]


def test_2021_other_rows_roll_up_and_blanks_are_left_out(warehouse):
    value, note, template = one(
        warehouse,
        "SELECT value, comparability_note, template FROM core_indicators WHERE report_id = 'a2022' "
        "AND indicator = 'other'",
    )
    assert (value, template) == (2, "2021")  # 1 + blank + 1
    assert note == "2021 template: （六）其他处理 1-3 added up; 1 of 3 cells blank or unreadable, left out of the sum"


def test_legacy_indicators_map_in_with_notes(warehouse):
    found = {
        indicator: (value, source, note)
        for indicator, value, source, note in rows(
            warehouse,
            "SELECT indicator, value, source, comparability_note FROM core_indicators WHERE report_id = 'a2018'",
        )
    }
    assert found["applications_received"][:2] == (4, "table")
    assert found["processed"][0] == 4  # 申请答复数 stands for （七）总计, and says so
    assert "申请答复数" in found["processed"][2]
    assert found["granted"] == (3, "table", None)  # table and prose both say 3: the table counts, same meaning
    assert found["denied"][0] == 1 and "differ" in found["denied"][2]
    assert found["proactive_disclosures"][:2] == (100, "table")  # the table wins over the prose's 90
    assert found["reconsideration_total"] == (0, "prose", "stated in the prose")
    assert "applications_carried_over" not in found and "carried_forward" not in found  # no such rows pre-2019


# --- derived_metrics --------------------------------------------------------------------------------------------


def test_derived_metrics_by_hand(warehouse):
    metrics = {
        metric: (value, numerator, denominator)
        for metric, value, numerator, denominator in rows(
            warehouse, "SELECT metric, value, numerator, denominator FROM derived_metrics WHERE report_id = 'a2019'"
        )
    }
    assert metrics["disclosure_rate"] == (0.375, 3, 8)  # (予以公开 2 + 部分公开 1) / 总计 8
    assert metrics["disclosure_rate_of_intake"] == (0.3, 3, 10)  # / (新收 8 + 上年结转 2)
    assert metrics["disclosure_rate_of_new"] == (0.375, 3, 8)
    assert metrics["refusal_rate"] == (0.25, 2, 8)
    assert metrics["refusal_share_state_secret"] == (0.5, 1, 2)
    assert metrics["refusal_share_third_party"] == (0.5, 1, 2)
    assert metrics["not_held_share"] == (0.25, 2, 8)
    # 法人或其他组织: 商业企业 1 + 科研机构 blank + 社会公益组织 0 + 法律服务机构 1 + 其他 0 = 2, of 新收 8
    assert metrics["applicant_share_legal_person"] == (0.25, 2, 8)
    assert metrics["applicant_share_natural_person"] == (0.75, 6, 8)
    assert metrics["applicant_share_org_commercial"] == (0.125, 1, 8)
    assert metrics["applicant_share_org_research"] == (None, None, 8)  # blank: not zero
    assert metrics["carry_forward_rate"] == (0.2, 2, 10)
    assert metrics["reconsideration_correction_rate"] == (0.5, 1, 2)  # 纠正 1 / (维持 1 + 纠正 1 + 其他 0)
    assert metrics["litigation_correction_rate"] == (0.0, 0, 1)
    assert metrics["dispute_rate"] == (0.5, 4, 8)  # (复议 3 + 诉讼 1) / 新收 8


def test_a_zero_denominator_gives_null(warehouse):
    assert rows(
        warehouse,
        "SELECT metric, value, numerator, denominator FROM derived_metrics WHERE agency_id = 'B' "
        "AND metric IN ('disclosure_rate', 'carry_forward_rate') ORDER BY metric",
    ) == [("carry_forward_rate", None, 0, 0), ("disclosure_rate", None, 0, 0)]
    assert one(warehouse, "SELECT count(*) FROM derived_metrics WHERE isinf(value) OR isnan(value)") == 0


def test_legacy_years_get_the_ratios_their_indicators_allow(warehouse):
    assert dict(rows(warehouse, "SELECT metric, value FROM derived_metrics WHERE report_id = 'a2018'")) == {
        "disclosure_rate": 0.75,  # 同意公开 3 / 申请答复数 4
        "disclosure_rate_of_intake": 0.75,  # / 收到申请数 4 (no 上年结转 row pre-2019)
        "disclosure_rate_of_new": 0.75,
        "refusal_rate": 0.25,
        "dispute_rate": 0.0,  # 行政复议 0 (prose) / 4
        "carry_forward_rate": None,  # no 结转下年度 row pre-2019: numerator NULL
    }


# --- trends, rankings, rollups, growth --------------------------------------------------------------------------


def test_trends_across_a_gap_and_a_rename(warehouse):
    # 甲局 (2020) and 甲管理局 (2022) are one agency_id: one series, compared across the missing 2021
    assert rows(
        warehouse,
        "SELECT year, previous_year, years_apart, previous_value, value, change, pct_change, comparability_note "
        "FROM indicator_trends WHERE agency_id = 'A' AND indicator = 'granted' ORDER BY year",
    ) == [
        (2018, None, None, None, 3, None, None, None),
        (2019, 2018, 1, 3, 2, -1, pytest.approx(-100 / 3), "template legacy -> 2019"),
        (2020, 2019, 1, 2, 5, 3, 150.0, None),
        (2022, 2020, 2, 5, 4, -1, -20.0, "over 2 years (no figure in between)"),  # 2019 -> 2021 is no note
    ]


def test_trend_of_a_derived_metric_and_a_zero_previous_value(warehouse):
    change, pct = one(
        warehouse,
        "SELECT change, pct_change FROM indicator_trends WHERE agency_id = 'A' AND series = 'derived' "
        "AND indicator = 'disclosure_rate' AND year = 2020",
    )
    assert change == pytest.approx(0.5 - 0.375) and pct == pytest.approx(100 * 0.125 / 0.375)
    # not_processed: NULL (blank) in 2019, 0 in 2020, 0 in 2022
    assert rows(
        warehouse,
        "SELECT year, previous_value, change, pct_change FROM indicator_trends WHERE agency_id = 'A' "
        "AND indicator = 'not_processed' ORDER BY year",
    ) == [(2019, None, None, None), (2020, None, None, None), (2022, 0, 0, None)]


def test_rankings_leave_the_regional_aggregate_out(warehouse):
    assert rows(
        warehouse,
        "SELECT agency_id, value, rank_overall, rank_in_province, agencies_in_province, rank_in_type, agencies_ranked "
        "FROM indicator_rankings WHERE year = 2019 AND indicator = 'applications_received' ORDER BY rank_overall",
    ) == [
        ("A", 8, 1, 1, 2, 1, 3),
        ("D", 4, 2, 1, 1, 2, 3),  # 上海市: alone in its province
        ("B", 0, 3, 2, 2, 3, 3),  # C's regional aggregate (100) is not ranked
    ]
    # B's disclosure rate is NULL (0 / 0): not ranked
    assert rows(
        warehouse,
        "SELECT agency_id, rank_overall, agencies_ranked FROM indicator_rankings WHERE year = 2019 "
        "AND indicator = 'disclosure_rate' ORDER BY rank_overall",
    ) == [("D", 1, 2), ("A", 2, 2)]  # 2/4 = 0.5 > 3/8


def test_rollups_exclude_regional_aggregates_and_recompute_ratios(warehouse):
    assert rows(
        warehouse,
        "SELECT grouping, group_value, value, n_agencies FROM region_rollups WHERE year = 2019 "
        "AND indicator = 'applications_received' ORDER BY grouping, group_value",
    ) == [
        ("city", "厦门市", 0, 1),  # B only: C's 2019 report is a regional aggregate
        ("city", "福州市", 8, 1),
        ("level", "city", 8, 2),  # A 8 + B 0
        ("level", "provincial", 4, 1),
        ("province", "上海市", 4, 1),
        ("province", "福建省", 8, 2),  # not 108
    ]
    # (3 + 0) / (8 + 0): a ratio of sums, not an average of ratios
    value, numerator, denominator, n_agencies = one(
        warehouse,
        "SELECT value, numerator, denominator, n_agencies FROM region_rollups WHERE year = 2019 "
        "AND grouping = 'province' AND group_value = '福建省' AND indicator = 'disclosure_rate'",
    )
    assert (value, numerator, denominator, n_agencies) == (0.375, 3, 8, 2)
    # C's own report of 2020 (scope government) is counted
    assert (
        one(
            warehouse,
            "SELECT value FROM region_rollups WHERE year = 2020 AND grouping = 'level' AND group_value = 'county' "
            "AND indicator = 'applications_received'",
        )
        == 20
    )


def test_growth_from_first_to_last_year(warehouse):
    found = {
        indicator: row
        for indicator, *row in rows(
            warehouse,
            "SELECT indicator, first_year, last_year, first_value, last_value, years, n_years, total_growth, cagr "
            "FROM indicator_growth WHERE agency_id = 'A' AND series = 'core'",
        )
    }
    # 新收 4 (2018) -> 16 (2022): 4 years, CAGR = 4^(1/4) - 1 = sqrt(2) - 1
    assert found["applications_received"] == [2018, 2022, 4, 16, 4, 4, 3.0, pytest.approx(2**0.5 - 1)]
    # 主动公开 100 (2018), 120 (2019), 150 (2022): CAGR = 1.5^(1/4) - 1
    assert found["proactive_disclosures"] == [2018, 2022, 100, 150, 4, 3, 0.5, pytest.approx(1.5**0.25 - 1)]
    # 部分公开 0 (2018) -> 2 (2022): no growth rate from 0
    assert found["partial"][-2:] == [None, None]
    note = one(
        warehouse,
        "SELECT comparability_note FROM indicator_growth WHERE agency_id = 'A' AND indicator = 'applications_received'",
    )
    assert note == "spans pre-2019 and 2019+ reports"


def test_applications_by_agency_year_is_the_core_series_wide(warehouse):
    assert rows(
        warehouse,
        "SELECT agency, year, new_received, carried_over, granted, partial, denied, unable, not_processed, other, "
        "processed_total, carried_forward, other_reports FROM applications_by_agency_year "
        "WHERE agency_id IN ('A', 'B') ORDER BY agency_id, year",
    ) == [
        ("甲局", 2018, 4, None, 3, 0, 1, None, None, None, 4, None, 0),
        ("甲局", 2019, 8, 2, 2, 1, 2, 2, None, 1, 8, 2, 0),
        ("甲局", 2020, 10, 3, 5, 0, None, 3, 0, 2, 10, 3, 0),  # no 不予公开 row printed: NULL, not 0
        ("甲管理局", 2022, 16, 0, 4, 2, None, 6, 0, 2, 14, 2, 0),
        ("乙局", 2019, 0, 0, 0, 0, None, None, None, None, 0, 0, 1),
    ]


# --- quality ----------------------------------------------------------------------------------------------------


def test_continuity_compares_with_the_year_before_only(warehouse):
    assert rows(
        warehouse,
        "SELECT agency_id, year, ok, detail FROM quality_continuity WHERE agency_id IN ('A', 'C') "
        "ORDER BY agency_id, year",
    ) == [
        ("A", 2019, None, "the 2018 report is pre-2019 (no 结转下年度 row): 上年结转 2 not checked"),
        ("A", 2020, False, "上年结转 3 vs 结转下年度继续办理 2 of 2019"),
        ("A", 2022, None, "no report for 2021: 上年结转 0 not checked"),  # never compared with 2020 across the gap
        ("C", 2019, None, "no report for 2018: 上年结转 0 not checked"),
        ("C", 2020, True, "上年结转 5 vs 结转下年度继续办理 5 of 2019"),
    ]


def test_duplicates_identical_copies_and_different_reports(warehouse):
    assert rows(
        warehouse,
        "SELECT agency_id, year, ok, report_id, n_files, different_report_ids, identical_copy_ids "
        "FROM quality_duplicates ORDER BY agency_id",
    ) == [
        ("B", 2019, False, "b2019_html", 3, ["b2019_html", "b2019_txt"], ["b2019_copy"]),
        ("C", 2020, True, "c2020", 2, ["c2020"], ["c2020_copy"]),
    ]
    detail = one(warehouse, "SELECT detail FROM quality_duplicates WHERE agency_id = 'B'")
    assert detail.startswith("2 different reports: b2019_html used") and detail.endswith("b2019_txt kept aside")


def test_missing_years_are_listed(warehouse):
    assert rows(warehouse, "SELECT agency_id, year, detail FROM quality_missing_years WHERE NOT ok") == [
        ("A", 2021, "no report for 2021 (reports for 2020 and 2022)")
    ]
    assert one(warehouse, "SELECT count(*) FROM quality_missing_years WHERE agency_id = 'A'") == 5  # 2018-2022


def test_prose_against_table_comes_from_the_parser_checks(warehouse):
    assert rows(
        warehouse,
        "SELECT agency_id, year, ok, check_name, figure, prose_value, table_value, used_in_core "
        "FROM quality_prose_vs_table ORDER BY year",
    ) == [
        ("A", 2018, False, "legacy_prose_table_agreement", "proactive_items", 90, 100, True),
        ("A", 2019, True, "narrative_table_agreement", "applications_received", 8, 8, True),
    ]


def test_findings_are_the_union_of_every_failed_check(warehouse):
    assert rows(warehouse, "SELECT agency_id, year, check_name, report_id, ok FROM quality_findings") == [
        ("A", 2018, "quality_prose_vs_table", "a2018", False),
        ("A", 2019, "blank_cells", "a2019", False),
        ("A", 2020, "quality_continuity", "a2020", False),
        ("A", 2021, "quality_missing_years", None, False),
        ("B", 2019, "quality_duplicates", "b2019_html", False),
    ]


# --- the real corpus --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_warehouse(tmp_path_factory):
    """tests/corpus/raw built by the real job (parser, agencies, every model), as `python -m pipeline build` does."""
    root = tmp_path_factory.mktemp("corpus")
    shutil.copytree(CORPUS / "raw", root / "raw")
    result = (
        build_definitions(root / "raw", root / "warehouse")
        .resolve_job_def(JOB_NAME)
        .execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    )
    assert result.success
    connection = duckdb.connect(str(root / "warehouse" / "warehouse.duckdb"), read_only=True)
    yield connection
    connection.close()


def test_real_corpus_pingtan_2021(corpus_warehouse):
    # 003_pingtan_2021.txt, table 3 总计 column: 一、本年新收 70, 二、上年结转 0, （一）予以公开 30, （二）部分公开 5,
    # （七）总计 69, 四、结转下年度 1 (the prose: 共收到70件申请，及时依法依规办结69件，1件结转下年度继续办理);
    # table 4: 行政复议 维持 1 纠正 0 其他 2 未审结 0 总计 3, 直接起诉 维持 12 总计 12, 复议后起诉 0
    values = dict(
        rows(corpus_warehouse, "SELECT indicator, value FROM core_indicators WHERE report_id = '003_pingtan_2021.txt'")
    )
    assert {k: values[k] for k in ("applications_received", "granted", "partial", "processed", "carried_forward")} == {
        "applications_received": 70,
        "granted": 30,
        "partial": 5,
        "processed": 69,
        "carried_forward": 1,
    }
    assert (values["reconsideration_total"], values["litigation_total"]) == (3, 12)
    rate = one(
        corpus_warehouse,
        "SELECT value FROM derived_metrics WHERE report_id = '003_pingtan_2021.txt' AND metric = 'disclosure_rate'",
    )
    assert rate == pytest.approx(35 / 69)


def test_real_corpus_legacy_and_regional_aggregate(corpus_warehouse):
    # L10_pingtan-zhq-2016.txt: the statistics table's 主动公开文件数 ran together with the cumulative figure
    # (346085376) and cannot be read; the prose says 2016年全区主动公开政府信息3460条
    value, source = one(
        corpus_warehouse,
        "SELECT value, source FROM core_indicators WHERE report_id = 'L10_pingtan-zhq-2016.txt' "
        "AND indicator = 'proactive_disclosures'",
    )
    assert (value, source) == (3460, "prose")
    # 005_pingtan_2023.txt is a region-wide summary: in no ranking
    assert (
        one(
            corpus_warehouse,
            "SELECT count(*) FROM indicator_rankings JOIN agency_year_reports USING (agency_id, year) "
            "WHERE report_id = '005_pingtan_2023.txt'",
        )
        == 0
    )
