"""The command line: `python -m pipeline parse FILE... --format jsonl` and `python -m pipeline build`.

`query` runs SQL on the published warehouse, read-only, and prints a table (or writes CSV / Parquet). `docs`
writes the data dictionary from the published warehouse. `vocabulary` prints the code table as Markdown.
`parse` follows the shared parse contract (one JSON object per input file on stdout, in input order;
logs on stderr; exit 0 when every file got its line). `build` runs the Dagster job `refresh_warehouse`
in process, the same definitions the UI shows, from any raw folder into any warehouse folder.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import uuid
from pathlib import Path

log = logging.getLogger("pipeline")

# pipeline.definitions' folders, without importing Dagster (seconds) for a query (tests/test_query.py keeps them equal)
REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_RAW_DIR = REPOSITORY / "data" / "raw"
DEFAULT_WAREHOUSE_DIR = REPOSITORY / "data" / "warehouse"


def _parse(args: argparse.Namespace) -> int:
    from pipeline.parse import parse_file

    written = 0
    for path in args.files:
        report = parse_file(path)
        if args.format == "jsonl":
            sys.stdout.write(json.dumps(report.to_contract(), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(
                f"{report.status:8} {report.template or '-':7} {report.year or '-':>5} "
                f"facts={len(report.facts):<4} failed_checks={report.failed_checks:<3} "
                f"{report.agency or '-'}  {path}\n" + "".join(f"         ! {error}\n" for error in report.errors)
            )
        sys.stdout.flush()
        written += 1
        log.info("parsed %s: %s, %d facts", path, report.status, len(report.facts))
    return 0 if written == len(args.files) else 1


def _build(args: argparse.Namespace) -> int:
    raw_dir, warehouse_dir = Path(args.raw).resolve(), Path(args.warehouse).resolve()
    if not raw_dir.is_dir():
        log.error("raw report folder not found: %s", raw_dir)
        return 2
    started = time.perf_counter()
    from pipeline.load import drop_plan, plan_run
    from pipeline.warehouse import Warehouse

    # The run's plan (the scan of the raw folder) is made here, once, under the run id the job then runs with: its
    # steps find it in the run's staging folder instead of scanning again, and a no-op needs no Dagster at all.
    store, run_id = Warehouse(warehouse_dir), str(uuid.uuid4())
    plan = plan_run(store, run_id, raw_dir)
    for folder in plan.removed_staging:
        log.warning("removed the staging folder of a run that died: %s", folder)
    if plan.unchanged and not args.force:
        drop_plan(store, run_id)
        store.discard(run_id)
        for folder in store.remove_old_versions():
            log.warning("removed %s, left by a build killed while it published", folder)
        print(f"nothing changed since the published build in {warehouse_dir}: it stays as it is", file=sys.stderr)
        return _print_summary(warehouse_dir, time.perf_counter() - started)
    import dagster as dg  # seconds to import: only when there is work to do

    from pipeline.definitions import ALL_PARTITIONS_TAGS, JOB_NAME, build_definitions

    defs = build_definitions(raw_dir, warehouse_dir)
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    result = defs.resolve_job_def(JOB_NAME).execute_in_process(  # every parse partition, in this one run
        instance=instance, raise_on_error=False, run_config=run_config, tags=ALL_PARTITIONS_TAGS, run_id=run_id
    )
    seconds = time.perf_counter() - started
    if not result.success:
        log.error("build failed after %.1f s; the previous warehouse in %s is unchanged", seconds, warehouse_dir)
        return 1
    return _print_summary(warehouse_dir, seconds)


def _print_summary(warehouse_dir: Path, seconds: float) -> int:
    import duckdb

    from pipeline.warehouse import DATABASE_FILE, run_summary

    with duckdb.connect(str(warehouse_dir / DATABASE_FILE), read_only=True) as connection:
        summary = run_summary(connection.sql("SELECT status, n_facts, n_failed_checks FROM reports").to_arrow_table())
    outcomes = ", ".join(f"{summary[status]} {status}" for status in ("ok", "partial", "failed", "skipped"))
    print(
        f"build: {summary['files']} files ({outcomes}), {summary['facts']} facts, "
        f"{summary['failed_checks']} failed checks, {seconds:.1f} s -> {warehouse_dir / DATABASE_FILE}",
        file=sys.stderr,
    )
    return 0


def _query(args: argparse.Namespace) -> int:
    from pipeline.query import QueryError, WarehouseMissing, open_warehouse, print_result, run_sql, write_result

    # read-only: any number of analysts can query while a build prepares the next version
    try:
        with open_warehouse(Path(args.warehouse)) as connection:
            relation = run_sql(connection, args.sql)
            if relation is None:
                return 0
            for destination, file_format in ((args.csv, "csv"), (args.parquet, "parquet")):
                if destination:
                    count = write_result(relation, destination, file_format)
                    if destination != "-":
                        print(f"wrote {count} rows to {destination}", file=sys.stderr)
            if not args.csv and not args.parquet:
                print_result(relation, sys.stdout, args.max_rows, args.max_width)
    except QueryError as err:
        log.error("%s", err)
        return 2 if isinstance(err, WarehouseMissing) else 1
    return 0


def _docs(args: argparse.Namespace) -> int:
    from pipeline.dictionary import DICTIONARY_FILE, warehouse_dictionary
    from pipeline.examples import README, refresh_examples, run_example
    from pipeline.query import QueryError, open_warehouse

    warehouse_dir = Path(args.warehouse)
    try:
        with open_warehouse(warehouse_dir) as connection:
            markdown, gaps = warehouse_dictionary(connection)
    except QueryError as err:
        log.error("%s", err)
        return 2
    _write_atomically(DICTIONARY_FILE, markdown)
    print(f"wrote {DICTIONARY_FILE}", file=sys.stderr)
    if args.readme:
        readme = README.read_text(encoding="utf-8")
        _write_atomically(README, refresh_examples(readme, lambda example: run_example(example, warehouse_dir)))
        print(f"refreshed the query examples' outputs in {README}", file=sys.stderr)
    for gap in gaps:
        log.warning("%s", gap)
    return 1 if gaps else 0


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _vocabulary(args: argparse.Namespace) -> int:
    from pipeline.vocabulary import load_vocabulary, vocabulary_markdown

    sys.stdout.write(vocabulary_markdown(load_vocabulary()))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    parse = commands.add_parser("parse", help="parse report files and print what they hold")
    parse.add_argument("files", nargs="+", metavar="FILE")
    parse.add_argument("--format", choices=("jsonl", "summary"), default="jsonl")
    parse.set_defaults(run=_parse)

    build = commands.add_parser("build", help="parse a folder of reports and publish the warehouse")
    build.add_argument("--raw", default=str(DEFAULT_RAW_DIR), metavar="DIR", help="default: data/raw")
    build.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE_DIR), metavar="DIR", help="default: data/warehouse")
    build.add_argument(
        "--force", action="store_true", help="run the Dagster job even when nothing changed since the last build"
    )
    build.set_defaults(run=_build)

    query = commands.add_parser(
        "query",
        help="run SQL on the published warehouse (read-only) and print the result as a table",
        description="Run SQL on the published warehouse, opened read-only (a running build does not disturb it).",
    )
    query.add_argument("sql", help="one SQL statement (or several: the last one's result is shown)")
    query.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE_DIR), metavar="DIR", help="default: data/warehouse")
    query.add_argument("--csv", metavar="FILE", help="write the whole result as CSV instead (- for stdout)")
    query.add_argument("--parquet", metavar="FILE", help="write the whole result as Parquet instead")
    query.add_argument(
        "--max-rows", "--rows", type=int, default=50, metavar="N", help="rows to print, 0: all (default 50)"
    )
    query.add_argument(
        "--max-width", type=int, default=48, metavar="N", help="cut longer values to N columns, 0: never (default 48)"
    )
    query.set_defaults(run=_query)

    docs = commands.add_parser(
        "docs", help="write docs/data-dictionary.md from the published warehouse and the code's documentation"
    )
    docs.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE_DIR), metavar="DIR", help="default: data/warehouse")
    docs.add_argument(
        "--readme", action="store_true", help="also rewrite the outputs of README's query examples from this warehouse"
    )
    docs.set_defaults(run=_docs)

    vocabulary = commands.add_parser("vocabulary", help="print the vocabulary as Markdown (docs/vocabulary.md)")
    vocabulary.set_defaults(run=_vocabulary)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
    return args.run(args)
