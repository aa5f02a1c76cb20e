"""The data dictionary: every warehouse table and column documented where it is defined, and the doc up to date."""

import duckdb
import pyarrow as pa
import pytest
from built_warehouse import BUNDLED_DATA, built_once

from pipeline.dictionary import (
    DICTIONARY_FILE,
    TableDoc,
    dictionary_markdown,
    documentation_gaps,
    match_docs,
    model_docs,
    python_table_docs,
    schema_doc,
    warehouse_columns,
    warehouse_dictionary,
)
from pipeline.sql_models import ModelError, load_model, parse_header
from pipeline.vocabulary import load_vocabulary

HEADER = """-- One row per agency and year. Blanks stay NULL.
--
-- Columns:
--   agency_id: the canonical agency
--   year: statistical year,
--     never the signature date
--   "column": a name that needs quotes
--
-- Built nightly.
CREATE OR REPLACE TABLE m AS SELECT 1 AS agency_id
"""


def test_the_columns_block_of_a_model_header_is_read_entry_by_entry():
    description, columns = parse_header(HEADER)
    assert description == "One row per agency and year. Blanks stay NULL.\n\nBuilt nightly."
    assert columns == {
        "agency_id": "the canonical agency",
        "year": "statistical year, never the signature date",
        "column": "a name that needs quotes",
    }
    assert parse_header("-- Only a paragraph.\nCREATE TABLE m AS SELECT 1") == ("Only a paragraph.", {})


def test_a_column_listed_twice_or_a_stray_line_under_columns_is_an_error(tmp_path):
    twice = "-- Columns:\n--   year: a\n--   year: b\nCREATE OR REPLACE TABLE m AS SELECT 1 AS year\n"
    with pytest.raises(ModelError, match="'year' is listed twice"):
        parse_header(twice)
    path = tmp_path / "m.sql"
    path.write_text("-- Columns:\n--   year: a\n-- not an entry\nCREATE OR REPLACE TABLE m AS SELECT 1 AS year\n")
    with pytest.raises(ModelError, match=r"m\.sql: header line 3: under Columns:"):
        load_model(path)


def test_a_model_carries_its_description_and_columns(tmp_path):
    model = load_model(_write(tmp_path, "m.sql", HEADER))
    assert model.description == "One row per agency and year. Blanks stay NULL.\n\nBuilt nightly."
    assert list(model.columns) == ["agency_id", "year", "column"]


def _write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


SCHEMA = pa.schema(
    [
        pa.field("agency_id", pa.string(), metadata={"description": "the agency"}),
        pa.field("n", pa.int32(), metadata={"description": ""}),
    ],
    metadata={"description": "One row per agency. From somewhere."},
)


def test_schemas_carry_table_and_column_descriptions():
    doc = schema_doc("agencies", SCHEMA, "pipeline/x.py", "AGENCIES_SCHEMA")
    assert (doc.description, doc.columns) == (
        "One row per agency. From somewhere.",
        {"agency_id": "the agency", "n": ""},
    )
    assert doc.source == "pipeline/x.py (AGENCIES_SCHEMA)"
    assert doc.source_markdown == "[`pipeline/x.py`](../pipeline/x.py) (`AGENCIES_SCHEMA`)"


def test_the_pipeline_schemas_are_found_by_their_names_where_they_are_defined():
    docs = python_table_docs()
    assert docs["facts"].source == "pipeline/facts.py (FACTS_SCHEMA)"  # warehouse.py imports it: not a second source
    assert docs["check_results"].columns["ok"].startswith("true when the rule holds")
    assert docs["raw_report_files"].description.startswith("One row per file found in the raw folder")


def test_gaps_name_undocumented_tables_and_columns_and_documentation_of_missing_columns():
    docs = {"a": TableDoc("a", "One row per a.", "sql/a.sql", {"x": "the x", "gone": "was here"}, model=True)}
    tables = {"a": [("x", "INTEGER"), ("y", "VARCHAR")], "b": [("z", "DOUBLE")]}
    assert documentation_gaps(docs, tables) == [
        "column a.y has no description (sql/a.sql)",
        "sql/a.sql documents a column a.gone that the table does not have",
        "table b is not documented: give its Arrow schema a name ending in _SCHEMA in a pipeline module (with "
        "description metadata), or document sql/b.sql",
    ]


def test_a_schema_named_otherwise_documents_the_one_table_with_exactly_its_columns():
    aliases = schema_doc("aliases", SCHEMA, "pipeline/x.py", "ALIASES_SCHEMA")
    other = schema_doc("other", pa.schema([pa.field("agency_id", pa.string())]), "pipeline/x.py", "OTHER_SCHEMA")
    tables = {"agency_aliases": [("agency_id", "VARCHAR"), ("n", "INTEGER")], "z": [("n", "INTEGER")]}
    assert match_docs({"aliases": aliases, "other": other}, tables) == {"agency_aliases": aliases}


def test_the_dictionary_lists_each_tables_columns_with_type_and_description(tmp_path):
    _write(
        tmp_path,
        "per_year.sql",
        "-- One row per year. Counts agencies.\n--\n-- Columns:\n--   year: the year\n"
        "CREATE OR REPLACE TABLE per_year AS SELECT n AS year, count(*) AS agencies FROM agencies GROUP BY n\n",
    )
    connection = duckdb.connect()
    connection.execute("CREATE TABLE agencies (agency_id VARCHAR, n INTEGER)")
    connection.execute(load_model(tmp_path / "per_year.sql").sql)
    docs = {"agencies": schema_doc("agencies", SCHEMA, "pipeline/x.py", "AGENCIES_SCHEMA"), **model_docs(tmp_path)}
    tables = warehouse_columns(connection)
    assert tables == {
        "agencies": [("agency_id", "VARCHAR"), ("n", "INTEGER")],
        "per_year": [("year", "INTEGER"), ("agencies", "BIGINT")],
    }
    markdown = dictionary_markdown(docs, tables, load_vocabulary())
    lines = markdown.splitlines()
    assert (
        "| [`agencies`](#agencies) | One row per agency. | [`pipeline/x.py`](../pipeline/x.py) (`AGENCIES_SCHEMA`) |"
        in lines
    )
    start = lines.index("## per_year")
    assert lines[start : start + 10] == [
        "## per_year",
        "",
        "One row per year. Counts agencies.",
        "",
        f"Defined in [`{tmp_path / 'per_year.sql'}`](../{tmp_path / 'per_year.sql'}); reads [`agencies`](#agencies).",
        "",
        "| column | type | description |",
        "|---|---|---|",
        "| `year` | INTEGER | the year |",
        "| `agencies` | BIGINT | **not documented** |",
    ]
    assert "| `n` | INTEGER | **not documented** |" in lines
    assert "- applicant_type: `natural_person`, `org_commercial`, `org_research`, `org_social`, " in markdown


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory):
    warehouse_dir = built_once(BUNDLED_DATA, tmp_path_factory)
    with duckdb.connect(str(warehouse_dir / "warehouse.duckdb"), read_only=True) as connection:
        yield connection


def test_every_warehouse_table_and_column_is_documented(built_warehouse):
    _, gaps = warehouse_dictionary(built_warehouse)
    undocumented = [gap for gap in gaps if "does not have" not in gap]
    assert undocumented == [], "\n".join(undocumented)


def test_no_documentation_names_a_column_the_table_does_not_have(built_warehouse):
    _, gaps = warehouse_dictionary(built_warehouse)
    stale = [gap for gap in gaps if "does not have" in gap]
    assert stale == [], "\n".join(stale)


def test_the_data_dictionary_is_generated_from_the_warehouse_and_the_code(built_warehouse):
    markdown, _ = warehouse_dictionary(built_warehouse)
    documented = DICTIONARY_FILE.read_text(encoding="utf-8") if DICTIONARY_FILE.exists() else ""
    assert documented == markdown, "run: ./dev build && .venv/bin/python -m pipeline docs"
