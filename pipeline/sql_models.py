"""Step 6: sql/*.sql -> model tables in the warehouse.

One model per file, `CREATE OR REPLACE TABLE|VIEW <name> AS …` with <name> equal to the file stem.
A model's upstream tables are read from its SQL with sqlglot (CTEs and table functions are not
tables), so the Dagster lineage graph never relies on a hand-kept list.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
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


def _description(sql: str) -> str:
    """The leading `--` comment block of the file."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return "\n".join(lines).strip()


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
    return SqlModel(path.stem, path, sql, table_dependencies(sql), _description(sql))


def load_models(sql_dir: Path = SQL_DIR) -> list[SqlModel]:
    return [load_model(path) for path in sorted(sql_dir.glob("*.sql"))]


def run_model(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> int:
    """Create the model in the connected database; returns its row count."""
    connection.execute(model.sql)
    (count,) = connection.execute(f'SELECT count(*) FROM "{model.name}"').fetchall()[0]
    return count
