"""`python -m pipeline query`: a readable table, CSV and Parquet, clear errors, and read-only during a build."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from built_warehouse import BUNDLED_DATA, build, built_once
from conftest import CORPUS, REPOSITORY

from pipeline.cli import main
from pipeline.query import cell_text, display_width, render_table, truncate


@pytest.fixture
def warehouse(tmp_path):
    """A warehouse folder holding a small table written by hand."""
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute("CREATE TABLE t (agency VARCHAR, year INTEGER, n BIGINT, rate DOUBLE)")
        connection.execute(
            "INSERT INTO t VALUES ('甲局', 2021, 10, 0.5), ('乙局办公室', 2022, NULL, NULL), ('c', 2023, 7, 1.25)"
        )
    return tmp_path


@pytest.fixture
def query(capsys, caplog):
    """Run the command in process: (exit status, stdout, stderr with the log lines as the command prints them)."""

    def run(*args: str) -> tuple[int, str, str]:
        caplog.clear()
        status = main(["query", *args])
        captured = capsys.readouterr()
        logged = "".join(f"{record.levelname} {record.getMessage()}\n" for record in caplog.records)
        return status, captured.out, captured.err + logged

    return run


def test_display_width_counts_wide_characters_twice():
    assert display_width("abc") == 3
    assert display_width("北京") == 4
    assert display_width("（七）总计") == 10  # full-width brackets too
    assert display_width("e\u0301") == 1  # a combining accent takes no column


def test_truncate_cuts_to_display_columns():
    assert truncate("北京市东城区", 7) == "北京市…"
    assert truncate("北京市东城区", 12) == "北京市东城区"
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abcdef", 0) == "abcdef"


def test_cell_text_spells_out_null_and_keeps_rows_on_one_line():
    assert cell_text(None) == "NULL"
    assert cell_text(True) == "true"
    assert cell_text([1.5, None]) == "[1.5, NULL]"
    assert cell_text({"a": 1}) == "{a: 1}"
    assert cell_text("第一行\n第二行\t!") == "第一行\\n第二行\\t!"


def test_render_table_aligns_chinese_text_and_right_aligns_numbers():
    table = render_table(["名称", "n"], [["甲", 5], ["abc", 12]], [False, True])
    assert table == "名称 | n\n-----+---\n甲   |  5\nabc  | 12\n"


def test_query_prints_an_aligned_table_with_nulls_and_a_row_count(warehouse, query):
    status, out, err = query("SELECT agency, year, n, rate FROM t ORDER BY year", "--warehouse", str(warehouse))
    assert (status, err) == (0, "")
    assert out == (
        "agency     | year | n    | rate\n"
        "-----------+------+------+-----\n"
        "甲局       | 2021 |   10 |  0.5\n"
        "乙局办公室 | 2022 | NULL | NULL\n"
        "c          | 2023 |    7 | 1.25\n"
        "(3 rows)\n"
    )


def test_query_says_how_many_rows_it_did_not_print(warehouse, query):
    status, out, _ = query("SELECT year FROM t ORDER BY year", "--warehouse", str(warehouse), "--max-rows", "2")
    assert status == 0
    assert out == "year\n----\n2021\n2022\n(2 of 3 rows shown: --max-rows 3 shows all, --csv FILE writes all)\n"


def test_query_cuts_long_values_only_when_asked(warehouse, query):
    sql = "SELECT agency FROM t WHERE year = 2022"
    assert query(sql, "--warehouse", str(warehouse), "--max-width", "5")[1].splitlines()[2] == "乙局…"
    assert query(sql, "--warehouse", str(warehouse), "--max-width", "0")[1].splitlines()[2] == "乙局办公室"


def test_query_writes_csv_and_parquet_files(warehouse, query, tmp_path):
    csv_file, parquet_file = tmp_path / "out.csv", tmp_path / "out.parquet"
    sql = "SELECT agency, year, n FROM t ORDER BY year"
    args = ("--warehouse", str(warehouse), "--csv", str(csv_file), "--parquet", str(parquet_file))
    status, out, err = query(sql, *args)
    assert (status, out) == (0, "")
    assert err == f"wrote 3 rows to {csv_file}\nwrote 3 rows to {parquet_file}\n"
    assert csv_file.read_text(encoding="utf-8") == "agency,year,n\n甲局,2021,10\n乙局办公室,2022,\nc,2023,7\n"
    assert pq.read_table(parquet_file).to_pydict() == {
        "agency": ["甲局", "乙局办公室", "c"],
        "year": [2021, 2022, 2023],
        "n": [10, None, 7],
    }


def test_query_writes_csv_to_stdout(warehouse, capfdbinary):
    assert main(["query", "SELECT year, n FROM t ORDER BY year", "--warehouse", str(warehouse), "--csv", "-"]) == 0
    assert capfdbinary.readouterr().out == b"year,n\n2021,10\n2022,\n2023,7\n"


def test_a_failed_query_leaves_an_existing_output_file_as_it_was(warehouse, query, tmp_path):
    csv_file = tmp_path / "out.csv"
    csv_file.write_text("from before\n")
    status, _, err = query(
        "SELECT CAST(agency AS INTEGER) FROM t", "--warehouse", str(warehouse), "--csv", str(csv_file)
    )
    assert status == 1
    assert "Conversion Error" in err and "Traceback" not in err
    assert csv_file.read_text() == "from before\n"
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".query-")) == []


def test_query_explains_a_missing_warehouse(tmp_path, query):
    status, out, err = query("SELECT 1", "--warehouse", str(tmp_path / "nowhere"))
    assert (status, out) == (2, "")
    assert f"no warehouse at {tmp_path / 'nowhere' / 'warehouse.duckdb'}: run ./dev build first" in err


def test_query_reports_bad_sql_with_duckdbs_message_and_no_traceback(warehouse, query):
    status, out, err = query("SELEC year FROM t", "--warehouse", str(warehouse))
    assert (status, out) == (1, "")
    assert err.startswith('ERROR Parser Error: syntax error at or near "SELEC"')
    status, _, err = query("SELECT nope FROM t", "--warehouse", str(warehouse))
    assert status == 1 and 'Referenced column "nope" not found' in err


def test_query_cannot_change_the_warehouse(warehouse, query):
    status, _, err = query("DELETE FROM t", "--warehouse", str(warehouse))
    assert status == 1
    assert "read-only" in err
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as connection:
        assert connection.sql("SELECT count(*) FROM t").fetchall() == [(3,)]


def test_query_needs_no_dagster_and_uses_the_same_folders_as_the_definitions():
    script = (
        "import sys; from pipeline import cli; "
        "assert cli.main(['query', 'SELECT 1', '--warehouse', sys.argv[1]]) == 2; "
        "assert 'dagster' not in sys.modules, 'query imported dagster'"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "/nonexistent"], cwd=REPOSITORY, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    from pipeline import cli, definitions

    assert (cli.DEFAULT_RAW_DIR, cli.DEFAULT_WAREHOUSE_DIR) == (
        definitions.DEFAULT_RAW_DIR,
        definitions.DEFAULT_WAREHOUSE_DIR,
    )


@pytest.mark.slow  # two builds, about a minute
def test_queries_keep_working_while_a_build_replaces_the_warehouse(tmp_path, query):
    """Readers open the published file read-only; a build writes elsewhere and switches a link."""
    first_raw, second_raw, warehouse_dir = tmp_path / "raw1", tmp_path / "raw2", tmp_path / "warehouse"
    corpus_files = sorted((CORPUS / "raw").iterdir())
    first_raw.mkdir()
    for path in corpus_files[:3]:
        shutil.copy(path, first_raw / path.name)
    second_raw.mkdir()
    for path in corpus_files:  # each file twice, the copy one byte longer, so both are parsed
        shutil.copy(path, second_raw / path.name)
        (second_raw / f"copy_{path.name}").write_bytes(path.read_bytes() + b"\n")
    build(first_raw, warehouse_dir)
    database = warehouse_dir / "warehouse.duckdb"

    builder = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", "--raw", str(second_raw), "--warehouse", str(warehouse_dir)],
        cwd=REPOSITORY,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen, printed = [], []
    try:
        while builder.poll() is None:
            with duckdb.connect(str(database), read_only=True) as connection:
                seen.append(connection.sql("SELECT count(*) FROM reports").fetchall()[0][0])
            status, out, err = query("SELECT count(*) AS files FROM reports", "--warehouse", str(warehouse_dir))
            assert (status, err) == (0, "")
            printed.append(out.splitlines()[2].strip())
            time.sleep(0.2)
        _, stderr = builder.communicate(timeout=600)
    finally:
        if builder.poll() is None:
            builder.kill()
    assert builder.returncode == 0, stderr[-3000:]
    assert len(seen) >= 3, "the build ended before queries could overlap it"
    assert set(seen) <= {3, 2 * len(corpus_files)}
    assert set(printed) <= {"3", str(2 * len(corpus_files))}
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.sql("SELECT count(*) FROM reports").fetchall() == [(2 * len(corpus_files),)]


def duckdb_cli() -> str | None:
    """$DUCKDB_CLI, else the CLI the dev dependencies install beside this Python (duckdb-cli), else one on PATH."""
    beside = Path(sys.executable).with_name("duckdb")
    return os.environ.get("DUCKDB_CLI") or (str(beside) if beside.exists() else shutil.which("duckdb"))


@pytest.mark.skipif(
    duckdb_cli() is None,
    reason="the DuckDB CLI is not installed (the dev dependencies install duckdb-cli into .venv; "
    "or set DUCKDB_CLI to its path)",
)
def test_the_duckdb_cli_opens_the_warehouse_read_only(tmp_path_factory):
    warehouse_dir = built_once(BUNDLED_DATA, tmp_path_factory)
    result = subprocess.run(
        [
            duckdb_cli(),
            "-readonly",
            str(warehouse_dir / "warehouse.duckdb"),
            "-csv",
            "-c",
            "SELECT count(*) AS n FROM reports",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["n", str(len(list(BUNDLED_DATA.iterdir())))]
