"""SQL models: lineage read from the SQL, and the numbers they compute on reports we write ourselves."""

import duckdb
import pytest
from direct_tables import report_tables
from test_extract_tables import dump

from pipeline.facts import ParsedReport
from pipeline.parse import parse_bytes
from pipeline.sql_models import ModelError, load_model, load_models, run_model, table_dependencies
from pipeline.warehouse import vocabulary_table


def test_dependencies_are_real_tables_only():
    sql = """
        CREATE OR REPLACE TABLE m AS
        WITH recent AS (SELECT * FROM facts WHERE year > 2020)
        SELECT * FROM recent JOIN reports USING (report_id)
        UNION ALL SELECT * FROM read_parquet('/tmp/x.parquet')
        WHERE report_id IN (SELECT report_id FROM check_results)
    """
    assert table_dependencies(sql) == ("facts", "reports", "check_results")


def test_a_model_file_must_create_the_table_it_is_named_after(tmp_path):
    path = tmp_path / "applications_total.sql"
    path.write_text("CREATE OR REPLACE TABLE something_else AS SELECT 1 AS x")
    with pytest.raises(ModelError, match="creates 'something_else'"):
        load_model(path)
    path.write_text("SELECT 1")
    with pytest.raises(ModelError, match="one CREATE OR REPLACE"):
        load_model(path)


def table3(new: int, granted: int, partial: int, unable: int, carried_forward: int) -> list[list[str]]:
    """Table-3 rows for a report whose applicants are all natural persons."""

    def row(label, value):
        return [label, str(value), "0", "0", "0", "0", "0", str(value)]

    processed = granted + partial + unable
    return [
        row("一、本年新收政府信息公开申请数量", new),
        row("二、上年结转政府信息公开申请数量", processed + carried_forward - new),
        ["三、本年度办理结果", *row("（一）予以公开", granted)],
        row("（二）部分公开", partial),
        ["（四）无法提供", *row("1.本机关不掌握相关政府信息", unable)],
        row("（七）总计", processed),
        row("四、结转下年度继续办理", carried_forward),
    ]


@pytest.fixture
def warehouse():
    reports = {
        "a2021.txt": ("甲局", 2021, table3(new=10, granted=4, partial=2, unable=4, carried_forward=0)),
        "a2023.txt": ("甲局", 2023, table3(new=15, granted=9, partial=0, unable=6, carried_forward=0)),
        "b2021.txt": ("乙局", 2021, table3(new=10, granted=1, partial=0, unable=9, carried_forward=0)),
        "c2021.txt": ("丙局", 2021, table3(new=3, granted=0, partial=0, unable=0, carried_forward=3)),
    }
    parsed = []
    for name, (agency, year, rows) in reports.items():
        text = dump(rows, title=f"{agency}\n{year}年政府信息公开工作年度报告")
        parsed.append((name, parse_bytes(text.encode(), ParsedReport(file=name))))
    connection = duckdb.connect()
    for table_name, table in {**report_tables(parsed), "vocabulary": vocabulary_table()}.items():
        connection.register("incoming", table)
        connection.execute(f"CREATE TABLE {table_name} AS SELECT * FROM incoming")
        connection.unregister("incoming")
    # the models these tests read, in the order load_models gives (each after the models it reads)
    wanted = {"agency_year_reports", "core_indicators", "derived_metrics", "indicator_values", "indicator_trends"}
    wanted.add("applications_by_agency_year")
    for model in load_models():
        if model.name in wanted:
            run_model(connection, model)
    yield connection
    connection.close()


def test_applications_by_agency_year_sums_outcome_groups_of_the_total_column(warehouse):
    rows = warehouse.sql(
        "SELECT agency, year, new_received, granted, partial, denied, unable, processed_total, carried_forward "
        "FROM applications_by_agency_year ORDER BY agency, year"
    ).fetchall()
    assert rows == [
        ("丙局", 2021, 3, 0, 0, None, 0, 0, 3),  # no 不予公开 rows printed: NULL, not 0
        ("乙局", 2021, 10, 1, 0, None, 9, 10, 0),
        ("甲局", 2021, 10, 4, 2, None, 4, 10, 0),
        ("甲局", 2023, 15, 9, 0, None, 6, 15, 0),
    ]


def test_trends_compare_with_the_previous_report_year(warehouse):
    rows = warehouse.sql(
        "SELECT indicator, previous_year, years_apart, previous_value, value, change, pct_change "
        "FROM indicator_trends JOIN agency_year_reports USING (agency_id, year) "
        "WHERE agency = '甲局' AND year = 2023 AND indicator IN ('granted', 'partial', 'applications_received') "
        "ORDER BY indicator"
    ).fetchall()
    assert rows == [
        ("applications_received", 2021, 2, 10, 15, 5, 50.0),
        ("granted", 2021, 2, 4, 9, 5, 125.0),
        ("partial", 2021, 2, 2, 0, -2, -100.0),
    ]
    first = warehouse.sql("SELECT previous_value, change FROM indicator_trends WHERE year = 2021").fetchall()
    assert set(first) == {(None, None)}


def test_disclosure_rate_of_parsed_reports(warehouse):
    rows = warehouse.sql(
        "SELECT agency, value, numerator, denominator FROM derived_metrics JOIN agency_year_reports "
        "USING (agency_id, year) WHERE metric = 'disclosure_rate' AND year = 2021 ORDER BY agency"
    ).fetchall()
    assert rows == [
        ("丙局", None, 0, 0),  # nothing processed: no rate
        ("乙局", 0.1, 1, 10),
        ("甲局", 0.6, 6, 10),  # (予以公开 4 + 部分公开 2) / 总计 10
    ]
