"""An analyst's SQL on the published warehouse -> a readable text table, or CSV / Parquet files.

In: a warehouse folder and one SQL text (several statements: the last one's result). Out: the result as an
aligned text table on stdout (widths count display columns, so Chinese text lines up), or written to a CSV or
Parquet file (replaced in one rename, never left half-written). The database is opened read-only: any number of
queries run while a build prepares the next version, and none of them can change the warehouse.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

import duckdb

from pipeline.warehouse import DATABASE_FILE

NULL_TEXT = "NULL"
_NUMERIC_TYPE = re.compile(r"(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|REAL|DECIMAL.*)")


class QueryError(Exception):
    """A query that could not run, with the message a person needs (no traceback)."""


class WarehouseMissing(QueryError):
    """No published warehouse in the folder: nothing was built there yet."""


@contextlib.contextmanager
def open_warehouse(directory: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to `<directory>/warehouse.duckdb`: the build published when it was opened."""
    database = directory / DATABASE_FILE
    if not database.exists():
        raise WarehouseMissing(
            f"no warehouse at {database}: run ./dev build first "
            f"(or .venv/bin/python -m pipeline build --warehouse {directory})"
        )
    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as err:
        raise QueryError(f"cannot open {database}: {err}") from err
    try:
        yield connection
    finally:
        connection.close()


def run_sql(connection: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyRelation | None:
    """The result of the SQL (None for a statement without one, such as SET); DuckDB's message on error."""
    try:
        return connection.sql(sql)
    except duckdb.Error as err:
        raise QueryError(str(err)) from err


def display_width(text: str) -> int:
    """Terminal columns the text takes: 2 for wide and full-width characters (CJK), 0 for combining marks."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def cell_text(value: object) -> str:
    """One value as shown in the table: NULL spelled out (a blank is not a zero), lists and structs as DuckDB."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(cell_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {cell_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, float | decimal.Decimal | int | datetime.date | datetime.time | datetime.timedelta):
        return str(value)
    # a line break or tab inside a value would break the table's rows apart: show it instead
    return str(value).replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def truncate(text: str, width: int) -> str:
    """The text cut to at most `width` display columns, ending in … when cut; width 0 keeps it whole."""
    if width <= 0 or display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        char_width = display_width(char)
        if used + char_width > width - 1:
            break
        kept.append(char)
        used += char_width
    return "".join(kept) + "…"


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def render_table(
    columns: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[bool], max_width: int = 0
) -> str:
    """Rows as an aligned text table, one header line and a rule under it; numbers right-aligned.

    `max_width` caps each cell's display width (0: no cap); a cut cell ends in ….
    """
    header = [truncate(name, max_width) for name in columns]
    body = [[truncate(cell_text(value), max_width) for value in row] for row in rows]
    widths = [max([display_width(line[index]) for line in [header, *body]]) for index in range(len(columns))]
    lines = [
        " | ".join(_pad(name, width, False) for name, width in zip(header, widths, strict=True)).rstrip(),
        "-+-".join("-" * width for width in widths),
    ]
    for line in body:
        cells = (_pad(text, width, right) for text, width, right in zip(line, widths, numeric, strict=True))
        lines.append(" | ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def is_numeric(duckdb_type: object) -> bool:
    return bool(_NUMERIC_TYPE.fullmatch(str(duckdb_type)))


def _row_count(relation: duckdb.DuckDBPyRelation) -> int:
    return relation.aggregate("count(*)").fetchall()[0][0]


def print_result(relation: duckdb.DuckDBPyRelation, out: TextIO, max_rows: int, max_width: int) -> int:
    """Print the first `max_rows` rows as a table and a line saying how many there are; returns the row count."""
    try:
        rows = relation.limit(max_rows + 1).fetchall() if max_rows > 0 else relation.fetchall()
        total = len(rows)
        if max_rows > 0 and total > max_rows:
            rows = rows[:max_rows]
            total = _row_count(relation)
    except duckdb.Error as err:  # errors found while running, such as a failed cast
        raise QueryError(str(err)) from err
    out.write(render_table(relation.columns, rows, [is_numeric(t) for t in relation.types], max_width))
    if len(rows) < total:
        out.write(f"({len(rows)} of {total} rows shown: --max-rows {total} shows all, --csv FILE writes all)\n")
    else:
        out.write(f"({total} row{'' if total == 1 else 's'})\n")
    return total


def write_result(relation: duckdb.DuckDBPyRelation, destination: str, file_format: str) -> int:
    """Write the whole result as CSV (with a header) or Parquet; "-" is stdout. Returns the row count.

    A file is written beside its destination under a temporary name and renamed over it when complete, so a
    reader never sees half a file and a failed query leaves an existing file as it was.
    """
    target = Path(tempfile.gettempdir()) if destination == "-" else Path(destination).resolve().parent
    if not target.is_dir():
        raise QueryError(f"cannot write {destination}: the folder {target} does not exist")
    descriptor, temporary = tempfile.mkstemp(prefix=".query-", suffix=f".{file_format}.tmp", dir=target)
    os.close(descriptor)
    try:
        try:
            if file_format == "csv":
                relation.write_csv(temporary, header=True)
            else:
                relation.write_parquet(temporary, compression="zstd")
            count = _row_count(relation)
        except duckdb.Error as err:
            raise QueryError(str(err)) from err
        if destination == "-":
            sys.stdout.flush()
            with open(temporary, "rb") as handle:
                shutil.copyfileobj(handle, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            os.replace(temporary, destination)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return count
