"""Step 6: sql/*.sql -> model tables in the warehouse.

One model per file, `CREATE OR REPLACE TABLE|VIEW <name> AS …` with <name> equal to the file stem.
A model's upstream tables are read from its SQL with sqlglot (CTEs and table functions are not
tables), so the Dagster lineage graph never relies on a hand-kept list. The file's leading `--` comment
block is the model's documentation: a paragraph (what one row is, where the numbers come from) and a
`Columns:` block with one `name: description` line per output column (longer descriptions go on in more
deeply indented lines), which the data dictionary and the Dagster column schema show.
"""

from __future__ import annotations

import graphlib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


class ModelError(ValueError):
    """A SQL model file that does not follow the one-model-per-file convention."""


@dataclass(frozen=True)
class SqlModel:
    name: str
    path: Path
    sql: str
    depends_on: tuple[str, ...]
    description: str
    columns: dict[str, str] = field(default_factory=dict, hash=False)  # output column -> description (`Columns:`)

    @property
    def code_version(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]


def table_dependencies(sql: str) -> tuple[str, ...]:
    """Names of the real tables a `CREATE … AS SELECT` statement reads, in first-seen order."""
    statement = sqlglot.parse_one(sql, read="duckdb")
    body = statement.expression if isinstance(statement, exp.Create) else statement
    if body is None:
        return ()
    names: list[str] = []
    for scope in traverse_scope(body):
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and source.name:
                names.append(source.name)
    return tuple(dict.fromkeys(names))


_COLUMN_ENTRY = re.compile(r'(?P<indent> +)(?P<name>"[^"]+"|[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?P<text>.*)')


def _header(sql: str) -> list[str]:
    """The leading `--` comment block of the file, without the `--` markers (indentation after them kept)."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].removeprefix(" ").rstrip())
    return lines


def parse_header(sql: str) -> tuple[str, dict[str, str]]:
    """A model's documentation: (description, {column: description}) from its leading comment block.

    The description is the block without its `Columns:` part. Under `Columns:` each entry is `name: text`,
    indented; a more deeply indented line continues the entry above it; a blank comment line ends the block.
    A column listed twice, or a line that is neither an entry nor a continuation, is a ModelError.
    """
    description: list[str] = []
    columns: dict[str, str] = {}
    entry_indent: int | None = None
    in_columns = False
    current = None
    for number, line in enumerate(_header(sql), start=1):
        if not in_columns:
            if line.strip().lower() == "columns:":
                in_columns, entry_indent, current = True, None, None
            else:
                description.append(line.strip())
            continue
        if not line.strip():
            in_columns = False
            description.append("")
            continue
        indent = len(line) - len(line.lstrip(" "))
        entry = _COLUMN_ENTRY.fullmatch(line)
        if entry and (entry_indent is None or indent == entry_indent):
            entry_indent = indent
            current = entry["name"].strip('"')
            if current in columns:
                raise ModelError(f"header line {number}: column {current!r} is listed twice under Columns:")
            columns[current] = entry["text"].strip()
        elif current is not None and entry_indent is not None and indent > entry_indent:
            columns[current] = f"{columns[current]} {line.strip()}".strip()
        else:
            raise ModelError(f"header line {number}: under Columns:, expected `  name: description`, got {line!r}")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(description)).strip(), columns


def load_model(path: Path) -> SqlModel:
    sql = path.read_text(encoding="utf-8")
    try:
        statement = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as err:
        raise ModelError(f"{path}: not valid DuckDB SQL: {err}") from err
    if not isinstance(statement, exp.Create) or statement.kind not in ("TABLE", "VIEW"):
        raise ModelError(f"{path}: a model file holds one CREATE OR REPLACE TABLE|VIEW statement")
    created = statement.this.this if isinstance(statement.this, exp.Schema) else statement.this
    if created.name != path.stem:
        raise ModelError(f"{path}: creates {created.name!r}, but the file name says {path.stem!r}")
    try:
        description, columns = parse_header(sql)
    except ModelError as err:
        raise ModelError(f"{path}: {err}") from err
    return SqlModel(path.stem, path, sql, table_dependencies(sql), description, columns)


def load_models(sql_dir: Path = SQL_DIR) -> list[SqlModel]:
    """Every model of the folder, each after the models it reads, so that running them in this order works."""
    return in_dependency_order([load_model(path) for path in sorted(sql_dir.glob("*.sql"))])


def in_dependency_order(models: list[SqlModel]) -> list[SqlModel]:
    """The models, each after the models it reads (ties by name, so the order is always the same)."""
    by_name = {model.name: model for model in models}
    sorter = graphlib.TopologicalSorter(
        {model.name: [table for table in model.depends_on if table in by_name] for model in models}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as err:
        raise ModelError(f"models read each other in a cycle: {' -> '.join(err.args[1])}") from err
    ordered: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(ready)
        sorter.done(*ready)
    return [by_name[name] for name in ordered]


def run_model(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> int:
    """Create the model in the connected database; returns its row count."""
    connection.execute(model.sql)
    (count,) = connection.execute(f'SELECT count(*) FROM "{model.name}"').fetchall()[0]
    return count
