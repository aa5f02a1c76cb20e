"""Step 6: sql/*.sql -> model tables in the warehouse.

One model per file, `CREATE OR REPLACE TABLE|VIEW <name> AS …` with <name> equal to the file stem.
A model's upstream tables are read from its SQL with sqlglot (CTEs and table functions are not
tables), so the Dagster lineage graph never relies on a hand-kept list. The file's leading `--` comment
block is the model's documentation: a paragraph (what one row is, where the numbers come from) and a
`Columns:` block with one `name: description` line per output column (longer descriptions go on in more
deeply indented lines), which the data dictionary and the Dagster column schema show.

Incremental models: a header line `Incremental: by agency_id` says the model's rows of an agency depend only on
that agency's rows of what it reads. A refresh that changed few agencies (pipeline/load.py lists them in
CHANGED_AGENCIES) then runs such a model over those agencies' rows only and swaps their rows in the table, instead
of computing it whole: `run_model` reads the same SQL through views of the inputs cut to those agencies. What an
incremental model may read is checked when it is loaded: tables with an agency (AGENCY_TABLES), reference tables
read whole (READ_WHOLE: a change to them changes the code version, and the models are then run whole), and other
incremental models.

`Incremental: by year` says the model's rows of a statistical year depend only on that year's rows of what it reads,
and on the agency tables read whole (e.g. ranking agencies within a year). Such a model is computed again for the
years whose input rows changed (CHANGED_YEARS, one row per table and year): the load step lists the years of the
touched reports, before and after, for `facts` and `reports`, and the years of the reports of agencies whose
`agencies` or `agency_names` rows changed for those two; every incremental run lists the years where its rows differ
from what they were. It may read `facts`, `reports`, incremental models with a `year` column, reference tables, and
of the agency tables only what an agency is (pipeline/load.py AGENCY_DESCRIPTION: name, region, level, type), never
their report counts, which change with other years. tests/test_incremental.py compares such refreshes with full
builds, table for table.
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

INCREMENTAL_LINE = re.compile(r"incremental:\s*by\s+(?P<key>agency_id|year)", re.IGNORECASE)
# The base tables an incremental model may read, cut to the changed agencies (`_rows_of_changed_agencies`).
AGENCY_TABLES = frozenset({"facts", "reports", "agencies", "agency_names", "check_results"})
READ_WHOLE = frozenset({"vocabulary", "divisions", "agency_aliases"})
# By year: the base tables cut to the changed years, and the agency tables read whole.
YEAR_TABLES = frozenset({"facts", "reports"})
READ_WHOLE_BY_YEAR = READ_WHOLE | {"agencies", "agency_names"}
SCOPE_SCHEMA = "_incremental_scope"  # the views an incremental run reads, and its partial result; dropped after


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
    incremental: str | None = None  # "agency_id" or "year": `Incremental: by …` in the header (module docstring)

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

    The description is the block without its `Columns:` part and its `Incremental:` line. Under `Columns:` each
    entry is `name: text`, indented; a more deeply indented line continues the entry above it; a blank comment line
    ends the block.
    A column listed twice, or a line that is neither an entry nor a continuation, is a ModelError.
    """
    description: list[str] = []
    columns: dict[str, str] = {}
    entry_indent: int | None = None
    in_columns = False
    current = None
    for number, line in enumerate(_header(sql), start=1):
        if not in_columns:
            if INCREMENTAL_LINE.fullmatch(line.strip()):
                continue
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
    keys = {found["key"].lower() for line in _header(sql) if (found := INCREMENTAL_LINE.fullmatch(line.strip()))}
    if len(keys) > 1:
        raise ModelError(f"{path}: incremental by {' and by '.join(sorted(keys))}: one key only")
    incremental = keys.pop() if keys else None
    if incremental and statement.kind != "TABLE":
        raise ModelError(f"{path}: only a TABLE model can be incremental (a view is computed when read)")
    return SqlModel(path.stem, path, sql, table_dependencies(sql), description, columns, incremental)


def load_models(sql_dir: Path = SQL_DIR) -> list[SqlModel]:
    """Every model of the folder, each after the models it reads, so that running them in this order works."""
    models = in_dependency_order([load_model(path) for path in sorted(sql_dir.glob("*.sql"))])
    by_agency = {model.name for model in models if model.incremental == "agency_id"}
    with_year = {model.name for model in models if model.incremental and "year" in model.columns}
    readable = {  # key -> (what a model incremental by it may read, what that is, why nothing else)
        "agency_id": (
            AGENCY_TABLES | READ_WHOLE | by_agency,
            "a table with an agency nor an incremental model",
            "its rows of one agency may depend on others'",
        ),
        "year": (
            YEAR_TABLES | READ_WHOLE_BY_YEAR | with_year,
            "facts, reports, an agency or reference table nor an incremental model with a year column",
            "its rows of one year may depend on other years'",
        ),
    }
    for model in models:
        if not model.incremental:
            continue
        allowed, what, why = readable[model.incremental]
        others = [table for table in model.depends_on if table not in allowed]
        if others:
            raise ModelError(
                f"{model.path}: `Incremental: by {model.incremental}`, but it reads {', '.join(others)}, which is "
                f"neither {what}: {why}"
            )
        if model.incremental == "year" and "year" not in model.columns:
            raise ModelError(f"{model.path}: `Incremental: by year`, but it lists no `year` column")
    return models


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


def run_model(
    connection: duckdb.DuckDBPyConnection,
    model: SqlModel,
    changed_agencies: str | None = None,
    changed_years: str | None = None,
) -> int:
    """Create the model in the connected database; returns its row count. With `changed_agencies` (a table of
    agency_id), an incremental model whose table exists is computed again for those agencies only, or, by year, for
    the years `changed_years` (a table of table_name, year) lists for its inputs; an incremental run adds the years
    of the rows it replaced to `changed_years`."""
    name = model.name
    if changed_agencies and model.incremental == "agency_id" and _exists(connection, name):
        _run_for_agencies(connection, model, changed_agencies, changed_years)
    elif changed_agencies and changed_years and model.incremental == "year" and _exists(connection, name):
        _run_for_years(connection, model, changed_years)
    else:
        # an incremental model computed whole during a refresh (a new model): every year it had and has changed
        listing = bool(changed_agencies and changed_years and model.incremental)
        if listing and _exists(connection, name):
            _list_years(connection, changed_years, name)
        connection.execute(model.sql)
        if listing:
            _list_years(connection, changed_years, name)
    (count,) = connection.execute(f'SELECT count(*) FROM "{model.name}"').fetchall()[0]
    return count


def _list_years(connection: duckdb.DuckDBPyConnection, changed_years: str, table: str) -> None:
    if _has_year(connection, table):
        connection.execute(f"INSERT INTO {changed_years} SELECT DISTINCT '{table}', year FROM main.\"{table}\"")


def _exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", [table]
    ).fetchall()
    return found[0][0] > 0


def _rows_of_changed_agencies(table: str, changed: str) -> str:
    """A SELECT of the table's rows of the agencies in `changed` (a NULL there stands for the rows without an
    agency). check_results has no agency of its own: its reports have."""
    of_changed = f"SEMI JOIN {changed} AS changed ON t.agency_id IS NOT DISTINCT FROM changed.agency_id"
    if table == "check_results":
        return (
            "SELECT results.* FROM main.check_results AS results "
            f"SEMI JOIN (SELECT t.report_id FROM main.reports AS t {of_changed}) AS scoped USING (report_id)"
        )
    return f'SELECT t.* FROM main."{table}" AS t {of_changed}'


def _has_year(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = connection.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? AND column_name = 'year'",
        [table],
    ).fetchall()
    return found[0][0] > 0


def _run_for_agencies(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, changed: str, changed_years: str | None = None
) -> None:
    """The model's SQL as written, reading views of its inputs cut to the changed agencies (first on the search
    path, so the SQL's own table names find them and its CREATE lands beside them); then, in one transaction,
    those agencies' rows of the model's table are replaced by the result (and the years of the rows replaced are
    added to `changed_years`)."""
    views = {
        table: _rows_of_changed_agencies(table, changed)
        for table in model.depends_on
        if table not in READ_WHOLE  # AGENCY_TABLES and incremental models (load_models checked)
    }
    of_changed = f"EXISTS (SELECT 1 FROM {changed} AS changed WHERE t.agency_id IS NOT DISTINCT FROM changed.agency_id)"
    _replace_rows(connection, model, views, of_changed, changed_years)


def _run_for_years(connection: duckdb.DuckDBPyConnection, model: SqlModel, changed_years: str) -> None:
    """Like _run_for_agencies, for a model incremental by year: its inputs cut to the years listed for them."""
    inputs = [table for table in model.depends_on if table not in READ_WHOLE_BY_YEAR]
    # the years of its inputs' changed rows, and for the agency tables read whole, the years of those agencies
    listed = ", ".join("'" + table.replace("'", "''") + "'" for table in model.depends_on)
    years = f"SELECT DISTINCT year FROM {changed_years} WHERE table_name IN ({listed})"
    (unchanged,) = connection.execute(
        f'SELECT count(*) FROM (SELECT DISTINCT year FROM main."{model.name}" EXCEPT {years})'
    ).fetchall()[0]
    if not unchanged:  # every year changed: computing it whole is cheaper than cutting and replacing
        _list_years(connection, changed_years, model.name)
        connection.execute(model.sql)
        _list_years(connection, changed_years, model.name)
        return
    of_changed = f"EXISTS (SELECT 1 FROM ({years}) AS changed WHERE t.year IS NOT DISTINCT FROM changed.year)"
    views = {table: f'SELECT t.* FROM main."{table}" AS t WHERE {of_changed}' for table in inputs}
    _replace_rows(connection, model, views, of_changed, changed_years)


def _replace_rows(
    connection: duckdb.DuckDBPyConnection,
    model: SqlModel,
    views: dict[str, str],
    of_changed: str,
    changed_years: str | None,
) -> None:
    """Run the model's SQL on `views` (table -> SELECT) put first on the search path, then replace the rows of the
    model's table that `of_changed` (a condition on `t`) selects by the result, in one transaction."""
    scope, name = SCOPE_SCHEMA, model.name
    connection.execute(f"DROP SCHEMA IF EXISTS {scope} CASCADE")
    connection.execute(f"CREATE SCHEMA {scope}")
    try:
        for table, select in views.items():
            connection.execute(f'CREATE VIEW {scope}."{table}" AS {select}')
        connection.execute(f"SET search_path = '{scope},main'")
        try:
            connection.execute(model.sql)
        finally:
            connection.execute("RESET search_path")
        connection.execute("BEGIN TRANSACTION")
        try:
            if changed_years and _has_year(connection, name):  # the years whose rows differ, either way
                before, after = f'SELECT * FROM main."{name}" AS t WHERE {of_changed}', f'FROM {scope}."{name}"'
                connection.execute(
                    f"INSERT INTO {changed_years} SELECT DISTINCT '{name}', year FROM ("
                    f"({before} EXCEPT ALL {after}) UNION ALL ({after} EXCEPT ALL {before}))"
                )
            connection.execute(f'DELETE FROM main."{name}" AS t WHERE {of_changed}')
            connection.execute(f'INSERT INTO main."{name}" SELECT * FROM {scope}."{name}"')
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise
    finally:
        connection.execute(f"DROP SCHEMA IF EXISTS {scope} CASCADE")
