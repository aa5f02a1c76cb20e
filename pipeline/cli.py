"""The command line: `python -m pipeline parse FILE... --format jsonl` and `python -m pipeline build`.

`query` runs SQL on the published warehouse, read-only. `vocabulary` prints the code table as Markdown.
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
from pathlib import Path

log = logging.getLogger("pipeline")


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
    import dagster as dg
    import duckdb

    from pipeline.definitions import JOB_NAME, build_definitions
    from pipeline.warehouse import DATABASE_FILE, run_summary

    raw_dir, warehouse_dir = Path(args.raw).resolve(), Path(args.warehouse).resolve()
    if not raw_dir.is_dir():
        log.error("raw report folder not found: %s", raw_dir)
        return 2
    started = time.perf_counter()
    defs = build_definitions(raw_dir, warehouse_dir)
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    result = defs.resolve_job_def(JOB_NAME).execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config
    )
    seconds = time.perf_counter() - started
    if not result.success:
        log.error("build failed after %.1f s; the previous warehouse in %s is unchanged", seconds, warehouse_dir)
        return 1
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
    import duckdb

    from pipeline.warehouse import DATABASE_FILE

    database = Path(args.warehouse) / DATABASE_FILE
    if not database.exists():
        log.error("no warehouse at %s: run ./dev build first", database)
        return 2
    # read-only: any number of analysts can query while a build prepares the next file
    with duckdb.connect(str(database), read_only=True) as connection:
        try:
            relation = connection.sql(args.sql)
        except duckdb.Error as err:
            log.error("%s", err)
            return 1
        if relation is not None:
            relation.show(max_rows=args.rows, max_width=10_000)
    return 0


def _vocabulary(args: argparse.Namespace) -> int:
    from pipeline.vocabulary import load_vocabulary, vocabulary_markdown

    sys.stdout.write(vocabulary_markdown(load_vocabulary()))
    return 0


def main(argv: list[str] | None = None) -> int:
    from pipeline.definitions import DEFAULT_RAW_DIR, DEFAULT_WAREHOUSE_DIR

    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    parse = commands.add_parser("parse", help="parse report files and print what they hold")
    parse.add_argument("files", nargs="+", metavar="FILE")
    parse.add_argument("--format", choices=("jsonl", "summary"), default="jsonl")
    parse.set_defaults(run=_parse)

    build = commands.add_parser("build", help="parse a folder of reports and publish the warehouse")
    build.add_argument("--raw", default=str(DEFAULT_RAW_DIR), metavar="DIR", help="default: data/raw")
    build.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE_DIR), metavar="DIR", help="default: data/warehouse")
    build.set_defaults(run=_build)

    query = commands.add_parser("query", help="run SQL on the published warehouse (read-only)")
    query.add_argument("sql")
    query.add_argument("--warehouse", default=str(DEFAULT_WAREHOUSE_DIR), metavar="DIR")
    query.add_argument("--rows", type=int, default=50, help="rows to print (default 50)")
    query.set_defaults(run=_query)

    vocabulary = commands.add_parser("vocabulary", help="print the vocabulary as Markdown (docs/vocabulary.md)")
    vocabulary.set_defaults(run=_vocabulary)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
    return args.run(args)
