"""Incremental refresh: parse results cached by content hash and parser version, only what changed is loaded again.

Builds run the Dagster job in process (PIPELINE_WORKERS=1, except where two workers are the point). Every
incremental build is compared with a build of the same raw folder into a fresh warehouse: equal tables, row for row.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, SAMPLES, sample
from direct_tables import report_tables

from pipeline import agencies, cache, scan
from pipeline.cache import ParseCache, batch_tables
from pipeline.definitions import ALL_PARTITIONS_TAGS, JOB_NAME, PARSE_JOB_NAME, build_definitions
from pipeline.facts import Fact, ParsedReport, arrow_table
from pipeline.inventory import parse_inventory, scan_raw_folder
from pipeline.load import HASH_PREFIXES, report_rows
from pipeline.parse import parse_file
from pipeline.sql_models import load_models
from pipeline.warehouse import DATABASE_FILE, Warehouse, parquet_scan

GOOD = "000_4c23b5825c9f94d7"


@pytest.fixture(autouse=True)
def one_worker(monkeypatch):
    monkeypatch.setenv("PIPELINE_WORKERS", "1")


@pytest.fixture
def parsed_files(monkeypatch) -> list[str]:
    """The paths the parser reads, build after build (parse_chunk runs in process with one worker)."""
    seen: list[str] = []
    real = cache.parse_chunk

    def counting(root, version, files):
        seen.extend(Path(path).name for path, _ in files)
        return real(root, version, files)

    monkeypatch.setattr(cache, "parse_chunk", counting)
    return seen


@pytest.fixture
def raw(tmp_path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    for path in sorted(SAMPLES.glob("*.txt")):
        shutil.copy(path, folder)
    return folder


def build(
    raw_dir: Path, warehouse_dir: Path, job: str = JOB_NAME, tags: dict | None = None
) -> dg.ExecuteInProcessResult:
    defs = build_definitions(raw_dir, warehouse_dir)
    result = defs.resolve_job_def(job).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), tags=ALL_PARTITIONS_TAGS if tags is None else tags
    )
    assert result.success
    return result


def digests(warehouse_dir: Path) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the ordered rows of every table."""
    with duckdb.connect(str(warehouse_dir / DATABASE_FILE), read_only=True) as connection:
        names = [row[0] for row in connection.sql("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        found = {}
        for name in names:
            rows = connection.sql(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall()
            found[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        return found


def query(warehouse_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse_dir / DATABASE_FILE), read_only=True) as connection:
        return connection.sql(sql).fetchall()


def fresh_build_digests(raw_dir: Path, tmp_path: Path) -> dict:
    folder = tmp_path / f"fresh{len(list(tmp_path.glob('fresh*')))}"
    build(raw_dir, folder)
    return digests(folder)


def test_nothing_changed_parses_nothing_and_keeps_the_published_build(raw, tmp_path, parsed_files):
    warehouse_dir = tmp_path / "wh"
    build(raw, warehouse_dir)
    assert sorted(parsed_files) == sorted(path.name for path in raw.iterdir())
    before, version = digests(warehouse_dir), Warehouse(warehouse_dir).current_version()
    parsed_files.clear()

    result = build(raw, warehouse_dir)
    assert parsed_files == []
    assert Warehouse(warehouse_dir).current_version() == version  # nothing new was published
    assert digests(warehouse_dir) == before
    published = next(e for e in result.get_asset_materialization_events() if e.asset_key.path == ["warehouse"])
    assert published.materialization.metadata["unchanged"].value is True
    assert not any((warehouse_dir / ".staging").iterdir())


def test_a_changed_file_is_parsed_again_alone_and_its_old_facts_are_gone(raw, tmp_path, parsed_files):
    warehouse_dir = tmp_path / "wh"
    build(raw, warehouse_dir)
    facts_sql = f"SELECT value, raw FROM facts WHERE report_id = '{GOOD}.txt' AND line = 336"
    assert query(warehouse_dir, facts_sql) == [(4.0, "4")]  # （七）总计 自然人
    parsed_files.clear()

    lines = (raw / f"{GOOD}.txt").read_text(encoding="utf-8").split("\n")
    lines[335] = "\t5"
    (raw / f"{GOOD}.txt").write_text("\n".join(lines), encoding="utf-8")
    build(raw, warehouse_dir)
    assert parsed_files == [f"{GOOD}.txt"]
    assert query(warehouse_dir, facts_sql) == [(5.0, "5")]  # the old fact is gone, not kept beside the new one
    failed = query(warehouse_dir, f"SELECT count(*) FROM check_results WHERE report_id = '{GOOD}.txt' AND NOT ok")
    assert failed[0][0] > 0
    assert digests(warehouse_dir) == fresh_build_digests(raw, tmp_path)


def test_a_deleted_file_leaves_the_warehouse(raw, tmp_path, parsed_files):
    warehouse_dir = tmp_path / "wh"
    build(raw, warehouse_dir)
    gone = "002_1bf41d18f1e4ab8a.txt"
    assert query(warehouse_dir, f"SELECT count(*) FROM facts WHERE report_id = '{gone}'")[0][0] > 0
    parsed_files.clear()

    (raw / gone).unlink()
    build(raw, warehouse_dir)
    assert parsed_files == []
    for table in ("facts", "reports", "check_results", "raw_report_files"):
        assert query(warehouse_dir, f"SELECT count(*) FROM {table} WHERE report_id = '{gone}'") == [(0,)], table
    parquet = parquet_scan(warehouse_dir, "facts")
    assert query(warehouse_dir, f"SELECT count(*) FROM {parquet} WHERE report_id = '{gone}'") == [(0,)]
    assert digests(warehouse_dir) == fresh_build_digests(raw, tmp_path)


def test_a_copy_turned_original_gets_the_facts(raw, tmp_path, parsed_files):
    """Deleting the original of an identical copy: the copy becomes the original, its facts load from the cache."""
    warehouse_dir = tmp_path / "wh"
    shutil.copy(raw / f"{GOOD}.txt", raw / "zz copy.txt")
    build(raw, warehouse_dir)
    assert query(warehouse_dir, "SELECT status FROM reports WHERE report_id = 'zz copy.txt'") == [("skipped",)]
    parsed_files.clear()
    (raw / f"{GOOD}.txt").unlink()
    build(raw, warehouse_dir)
    assert parsed_files == []
    assert query(warehouse_dir, "SELECT status, n_facts FROM reports WHERE report_id = 'zz copy.txt'") == [("ok", 203)]
    assert query(warehouse_dir, "SELECT count(*) FROM facts WHERE report_id = 'zz copy.txt'") == [(203,)]
    assert digests(warehouse_dir) == fresh_build_digests(raw, tmp_path)


def test_a_new_parser_version_parses_everything_again_and_prunes_the_old_cache(
    raw, tmp_path, parsed_files, monkeypatch
):
    warehouse_dir = tmp_path / "wh"
    build(raw, warehouse_dir)
    before = digests(warehouse_dir)
    old_version = cache.parser_version()
    parsed_files.clear()

    monkeypatch.setattr(cache, "parser_version", lambda: "feedfacefeedface")
    build(raw, warehouse_dir)
    assert sorted(parsed_files) == sorted(path.name for path in raw.iterdir())
    assert digests(warehouse_dir) == before
    versions = {path.name for path in (warehouse_dir / ".cache" / "parse").iterdir() if path.is_dir()}
    assert versions == {"feedfacefeedface"}, f"the cache of {old_version} was not pruned"


def test_the_parser_version_follows_the_parsers_source():
    sources = {path.relative_to(cache.PACKAGE_DIR).as_posix() for path in cache.parser_sources()}
    assert {"parse.py", "readers/html.py", "extract/applications.py", "vocabulary.csv", "checks.py"} <= sources
    # agency resolution runs at every build, never cached: editing it or the alias table needs no re-parse
    assert not {"agencies.py", "load.py", "definitions.py", "warehouse.py"} & sources
    assert len(cache.parser_version()) == 16


def test_an_alias_edit_changes_agency_ids_without_parsing_again(raw, tmp_path, parsed_files, monkeypatch):
    warehouse_dir = tmp_path / "wh"
    build(raw, warehouse_dir)
    ((printed, old_id),) = query(warehouse_dir, f"SELECT agency, agency_id FROM reports WHERE report_id = '{GOOD}.txt'")
    parsed_files.clear()

    aliases = tmp_path / "agency_aliases.csv"
    text = agencies.ALIASES_CSV.read_text(encoding="utf-8").rstrip("\n")
    aliases.write_text(f"{text}\n{printed},测试合并机构,same_body,name,,,a test merges it\n", encoding="utf-8")
    monkeypatch.setattr(agencies, "ALIASES_CSV", aliases)
    build(raw, warehouse_dir)
    assert parsed_files == []
    ((new_id,),) = query(warehouse_dir, f"SELECT agency_id FROM reports WHERE report_id = '{GOOD}.txt'")
    assert new_id != old_id and "测试合并机构" in new_id
    assert query(warehouse_dir, f"SELECT DISTINCT agency_id FROM facts WHERE report_id = '{GOOD}.txt'") == [(new_id,)]
    mismatched = "SELECT count(*) FROM facts JOIN reports USING (report_id) WHERE facts.agency_id <> reports.agency_id"
    assert query(warehouse_dir, mismatched) == [(0,)]
    assert query(warehouse_dir, f"SELECT count(*) FROM agencies WHERE agency_id = '{new_id}'") == [(1,)]
    assert digests(warehouse_dir) == fresh_build_digests(raw, tmp_path)


def test_a_refresh_resolves_only_the_agency_names_it_has_not_seen(raw, tmp_path, monkeypatch):
    warehouse_dir = tmp_path / "wh"
    build(raw, warehouse_dir)
    resolved: list[str] = []  # names the load step resolves (the parser also resolves its file's name, apart)
    real_name, real_names = agencies.resolve_name, agencies.resolve_names
    loading = []

    def counting_name(printed, *args):
        if loading:
            resolved.append(printed)
        return real_name(printed, *args)

    def counting_names(*args):
        loading.append(True)
        try:
            return real_names(*args)
        finally:
            loading.clear()

    monkeypatch.setattr(agencies, "resolve_name", counting_name)
    monkeypatch.setattr(agencies, "resolve_names", counting_names)
    text = sample(GOOD).read_text(encoding="utf-8")
    assert text.startswith("东城区城市管理指挥中心")
    (raw / "renamed.txt").write_text(text.replace("东城区城市管理指挥中心", "东城区城市运行管理中心"), encoding="utf-8")
    build(raw, warehouse_dir)
    assert resolved == ["东城区城市运行管理中心"]
    resolved.clear()
    assert digests(warehouse_dir) == fresh_build_digests(raw, tmp_path)
    assert len(resolved) == len(list(raw.iterdir()))  # a fresh warehouse has no memo: every name is resolved


def test_a_half_written_cache_batch_is_never_read(raw, tmp_path, parsed_files):
    warehouse_dir = tmp_path / "wh"
    build(raw, warehouse_dir)
    parsed_files.clear()
    new = raw / "new.txt"
    new.write_text(sample("001_9fc1484a19f47851").read_text(encoding="utf-8") + "\n附：新增\n", encoding="utf-8")
    digest = hashlib.sha256(new.read_bytes()).hexdigest()
    # a batch for the new file's content, killed before its rename: its folder still has the temporary name
    fake = ParsedReport(file=str(new), status="ok", agency="伪造", year=1999, content_hash=digest)
    fake.facts = [Fact("proactive", "x", None, "count", 1, "件", "number", "1", 1)]
    store = ParseCache(warehouse_dir / ".cache")
    store.write_batch([fake])
    (batch,) = [path for path in store.batches() if digest in _hashes(path).column("content_hash").to_pylist()]
    os.rename(batch, batch.with_name(f".tmp-{batch.name}"))
    # and a damaged batch (torn files): ignored, parsed again
    torn = store.folder / "0-torn-0"
    torn.mkdir()
    (torn / "reports.parquet").write_bytes(b"PAR1 torn")

    build(raw, warehouse_dir)
    assert parsed_files == ["new.txt"]
    assert query(warehouse_dir, "SELECT agency, year, n_facts FROM reports WHERE report_id = 'new.txt'")[0][1] == 2020
    assert query(warehouse_dir, "SELECT count(*) FROM facts WHERE agency = '伪造'") == [(0,)]
    assert not [path for path in store.folder.iterdir() if path.name.startswith(".tmp-")], "not pruned"
    assert not torn.exists()
    assert digests(warehouse_dir) == fresh_build_digests(raw, tmp_path)


def _hashes(batch: Path) -> pa.Table:
    return pq.ParquetFile(batch / "reports.parquet").read(columns=["content_hash"])


def test_two_workers_give_the_tables_of_one(raw, tmp_path, monkeypatch):
    build(raw, tmp_path / "one")
    monkeypatch.setenv("PIPELINE_WORKERS", "2")
    monkeypatch.setattr(cache, "POOL_THRESHOLD", 0)  # a pool even for five files
    build(raw, tmp_path / "two")
    assert digests(tmp_path / "two") == digests(tmp_path / "one")
    writers = {batch.name.split("-")[1] for batch in ParseCache(tmp_path / "two" / ".cache").batches()}
    assert writers and str(os.getpid()) not in writers  # the workers wrote the batches, not this process


def test_facts_parquet_is_partitioned_by_year_and_duckdb_reads_one_year_only(raw, tmp_path):
    warehouse_dir = tmp_path / "wh"
    build(raw, warehouse_dir)
    years = sorted(path.name for path in (warehouse_dir / "facts").iterdir())
    expected_years = [f"year={year}" for (year,) in query(warehouse_dir, "SELECT DISTINCT year FROM facts ORDER BY 1")]
    assert years == expected_years and "year=2021" in years
    assert all(list((warehouse_dir / "facts" / year).glob("*.parquet")) for year in years)
    source = parquet_scan(warehouse_dir, "facts")
    for table in ("facts", "reports", "check_results"):  # the Parquet files hold the database's tables
        columns = ", ".join(f'"{row[0]}"' for row in query(warehouse_dir, f"DESCRIBE {table}"))
        in_parquet = query(warehouse_dir, f"SELECT {columns} FROM {parquet_scan(warehouse_dir, table)} ORDER BY ALL")
        assert in_parquet == query(warehouse_dir, f"SELECT {columns} FROM {table} ORDER BY ALL"), table
    with duckdb.connect() as connection:
        plan = connection.sql(f"EXPLAIN ANALYZE SELECT count(*) FROM {source} WHERE year = 2021").fetchall()[0][1]
        assert f"Scanning Files: 1/{len(years)}" in plan, plan
        (count,) = connection.sql(f"SELECT count(*) FROM {source} WHERE year = 2021").fetchall()[0]
    assert count == query(warehouse_dir, "SELECT count(*) FROM facts WHERE year = 2021")[0][0]


def test_only_the_year_partitions_that_changed_are_written_again(raw, tmp_path):
    warehouse_dir = tmp_path / "wh"
    build(raw, warehouse_dir)
    first = Warehouse(warehouse_dir).current_version()
    inodes = {path.parent.name: path.stat().st_ino for path in (first / "facts").glob("*/*.parquet")}
    ((year,),) = query(warehouse_dir, f"SELECT year FROM reports WHERE report_id = '{GOOD}.txt'")
    lines = (raw / f"{GOOD}.txt").read_text(encoding="utf-8").split("\n")
    lines[335] = "\t5"
    (raw / f"{GOOD}.txt").write_text("\n".join(lines), encoding="utf-8")
    build(raw, warehouse_dir)
    second = Warehouse(warehouse_dir).current_version()
    assert second != first
    now = {path.parent.name: path.stat().st_ino for path in (second / "facts").glob("*/*.parquet")}
    assert set(now) == set(inodes)
    rewritten = {name for name in now if now[name] != inodes[name]}
    assert rewritten == {f"year={year}"}  # the other years are hard links to the previous build's files


def computed_for(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    """Model -> how many agencies its step computed again, for the models a run computed for some agencies only."""
    return {
        event.asset_key.path[-1]: event.materialization.metadata["changed_agencies_computed"].value
        for event in result.get_asset_materialization_events()
        if "changed_agencies_computed" in event.materialization.metadata
    }


def years_computed_for(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    """Model -> the years its step computed again, for the models incremental by year."""
    return {
        event.asset_key.path[-1]: event.materialization.metadata["changed_years"].value
        for event in result.get_asset_materialization_events()
        if "changed_years" in event.materialization.metadata
    }


def test_incremental_models_recompute_the_changed_agencies_only_and_equal_a_full_build(tmp_path):
    """Pingtan's series across years (trends, growth, continuity, missing years) with a year added, then one taken
    away and another agency's report edited: the models computed for the changed agencies only equal a full build."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for stem in ("001_pingtan_2019", "005_pingtan_2023", "007_pingtan_2025", "L10_pingtan-zhq-2016"):
        shutil.copy(CORPUS / "raw" / f"{stem}.txt", raw)
    shutil.copy(CORPUS / "raw" / "L12_pingtan-zhq-2018.txt", raw)
    shutil.copy(sample(GOOD), raw)
    warehouse_dir = tmp_path / "wh"
    assert computed_for(build(raw, warehouse_dir)) == {}  # a first build computes every model whole

    shutil.copy(CORPUS / "raw" / "003_pingtan_2021.txt", raw)
    result = build(raw, warehouse_dir)
    incremental = {model.name for model in load_models() if model.incremental == "agency_id"}
    by_year = {model.name for model in load_models() if model.incremental == "year"}
    assert {"core_indicators", "indicator_trends", "quality_continuity"} <= incremental
    assert {"indicator_rankings", "region_rollups"} <= by_year
    assert computed_for(result) == dict.fromkeys(incremental, 1)
    # Pingtan's 2021 report is new; its other years' values stay, so the rankings and rollups of 2021 only change
    assert years_computed_for(result) == dict.fromkeys(by_year, "2021")
    ((gap,),) = query(
        warehouse_dir,
        "SELECT years_apart FROM indicator_trends WHERE agency_id LIKE '%平潭%' AND year = 2023 "
        "AND series = 'core' AND indicator = 'applications_received'",
    )
    assert gap == 2  # 2021 is now the year before 2023: its new row and the rows after it were computed again
    assert digests(warehouse_dir) == fresh_build_digests(raw, tmp_path)

    (raw / "007_pingtan_2025.txt").unlink()
    lines = (raw / f"{GOOD}.txt").read_text(encoding="utf-8").split("\n")
    lines[335] = "\t5"
    (raw / f"{GOOD}.txt").write_text("\n".join(lines), encoding="utf-8")
    result = build(raw, warehouse_dir)
    assert computed_for(result) == dict.fromkeys(incremental, 2)
    assert digests(warehouse_dir) == fresh_build_digests(raw, tmp_path)
    # 2025: Pingtan's report is gone. The edit is in the natural-person column, which no core indicator reads
    # (they take the 总计 column), so the other agency's year does not change for the rankings and rollups.
    assert years_computed_for(result) == dict.fromkeys(by_year, "2025")
    with duckdb.connect(str(warehouse_dir / DATABASE_FILE), read_only=True) as connection:
        schemas = {row[0] for row in connection.sql("SELECT schema_name FROM duckdb_schemas()").fetchall()}
    assert "_build" not in schemas and "_incremental_scope" not in schemas  # the run's own, never published


def test_a_partition_run_parses_only_its_hash_prefix(raw, tmp_path, parsed_files):
    digests_by_name = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in raw.iterdir()}
    prefix = digests_by_name[f"{GOOD}.txt"][0]
    build(raw, tmp_path / "wh", job=PARSE_JOB_NAME, tags={"dagster/partition": prefix})
    assert sorted(parsed_files) == sorted(name for name, digest in digests_by_name.items() if digest[0] == prefix)
    assert not (tmp_path / "wh" / DATABASE_FILE).exists()  # the cache only: nothing published
    parsed_files.clear()
    build(raw, tmp_path / "wh")  # the refresh parses the rest
    assert sorted(parsed_files) == sorted(name for name, digest in digests_by_name.items() if digest[0] != prefix)
    assert set(HASH_PREFIXES) == {f"{digit:x}" for digit in range(16)}


def test_the_cached_load_gives_the_tables_parsing_directly_gives(raw, tmp_path):
    shutil.copy(raw / f"{GOOD}.txt", raw / "copy.txt")
    (raw / "empty.txt").write_bytes(b"")
    (raw / "~$lock.docx").write_bytes(b"lock")
    warehouse_dir = tmp_path / "wh"
    build(raw, warehouse_dir)
    direct = report_tables(list(parse_inventory(scan_raw_folder(raw))))
    for name, table in direct.items():
        columns = [column for column in table.column_names if column != "agency_id"]  # resolved at load time
        expected = sorted(tuple(row[c] for c in columns) for row in table.to_pylist())
        quoted = ", ".join(f'"{column}"' for column in columns)
        with duckdb.connect(str(warehouse_dir / DATABASE_FILE), read_only=True) as connection:
            found = sorted(connection.sql(f"SELECT {quoted} FROM {name}").fetchall())
        assert found == expected, name


def test_the_scan_reuses_hashes_of_unchanged_files(raw, tmp_path, monkeypatch):
    manifest = tmp_path / "manifest.parquet"
    first = scan.scan_folder(raw, manifest)
    scan.write_manifest(first, manifest)
    hashed: list[str] = []
    real = scan._hash_file
    monkeypatch.setattr(scan, "_hash_file", lambda path: hashed.append(Path(path).name) or real(path))
    assert scan.scan_folder(raw, manifest).equals(first)
    assert hashed == []
    os.utime(raw / f"{GOOD}.txt", ns=(1, 1))  # touched: read again (same bytes, same hash)
    again = scan.scan_folder(raw, manifest)
    assert hashed == [f"{GOOD}.txt"]
    assert again.column("content_hash").to_pylist() == first.column("content_hash").to_pylist()


def test_report_rows_account_for_every_kind_of_file():
    files = pa.Table.from_pylist(
        [
            {"report_id": "a.txt", "path": "/r/a.txt", "is_link": False, "size_bytes": 3, "content_hash": "aa"},
            {"report_id": "b.txt", "path": "/r/b.txt", "is_link": False, "size_bytes": 3, "content_hash": "aa",
             "duplicate_of": "a.txt"},
            {"report_id": "c.tmp", "path": "/r/c.tmp", "is_link": False, "size_bytes": 1, "skip_reason": "temporary"},
            {"report_id": "d.txt", "path": "/r/d.txt", "is_link": True, "error": "broken symbolic link"},
            {"report_id": "e.txt", "path": "/r/e.txt", "is_link": False, "size_bytes": 5, "content_hash": "ee"},
        ],
        schema=scan.SCAN_SCHEMA,
    )  # fmt: skip
    report = ParsedReport(file="/r/a.txt", status="partial", agency="某局", year=2021, content_hash="aa")
    report.errors.append("table 2 (proactive) not found")
    index = batch_tables("b1", [report])["reports"]
    rows = {row["report_id"]: row for row in report_rows(files, index, {"ee": "the parser's process died"}).to_pylist()}
    assert [(rid, row["status"], row["errors"]) for rid, row in rows.items()] == [
        ("a.txt", "partial", ["table 2 (proactive) not found"]),
        ("b.txt", "skipped", ["identical to a.txt (same bytes); parsed once, there"]),
        ("c.tmp", "skipped", ["temporary"]),
        ("d.txt", "failed", ["broken symbolic link"]),
        ("e.txt", "failed", ["the parser's process died"]),
    ]
    assert (rows["a.txt"]["agency"], rows["a.txt"]["year"], rows["a.txt"]["batch_id"]) == ("某局", 2021, "b1")
    assert (rows["b.txt"]["content_hash"], rows["b.txt"]["agency"], rows["c.tmp"]["content_hash"]) == ("aa", None, None)


def test_arrow_tables_from_python_values_are_what_pyarrow_itself_makes():
    # pipeline.facts.arrow_table goes through polars (pyarrow's constructors import pandas where it is installed)
    reports = []
    for stem in (GOOD, "003_f0f104a3575faaf0"):
        report = parse_file(sample(stem))
        report.content_hash = stem
        reports.append(report)
    facts = cache._record_columns("b1", reports, "facts", cache.FACT_COLUMNS)
    facts["value"] = [None if value is None else float(value) for value in facts["value"]]
    checks = cache._record_columns("b1", reports, "checks", cache.CHECK_COLUMNS)
    errors = {"file": ["a.txt", "b.txt", "c.txt"], "errors": [["one", "two"], [], None], "n": [1, None, 3]}
    errors_schema = pa.schema(
        [
            pa.field("file", pa.string(), nullable=False, metadata={"description": "the file"}),
            pa.field("errors", pa.list_(pa.string())),
            pa.field("n", pa.int32()),
        ]
    )
    assert len(facts["value"]) > 100 and None in facts["applicant_type"] and None in checks["column"]
    cases = [(facts, cache.CACHED_FACTS_SCHEMA), (checks, cache.CACHED_CHECKS_SCHEMA), (errors, errors_schema)]
    for columns, schema in cases:
        made = arrow_table(columns, schema)
        assert made.equals(pa.Table.from_pydict(columns, schema=schema), check_metadata=True)
