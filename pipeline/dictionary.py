"""Documentation: a built warehouse + the code's own column descriptions -> docs/data-dictionary.md.

In: the tables and columns of a built warehouse (DuckDB's information_schema: names and types), the
documentation kept next to the code that builds each table, and the vocabulary. Out: the data dictionary as
Markdown, and the gaps between the two (a table or column without a description, a description of a column
that no longer exists).

Where the descriptions live (one source of truth each):
- tables built in Python: a module-level Arrow schema named `<TABLE>_SCHEMA` in a `pipeline` module (e.g.
  `FACTS_SCHEMA` -> `facts`; schema metadata `table` overrides the name), its metadata `description` saying what
  one row is and where it comes from, each field's metadata `description` the column's meaning;
- SQL models: the header comment of `sql/<name>.sql`, its paragraph and its `Columns:` block (sql_models.py);
- the code lists (sections, categories, applicant types, metrics): pipeline/vocabulary.csv (docs/vocabulary.md).
"""

from __future__ import annotations

import graphlib
import importlib
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.sql_models import SQL_DIR, load_models
from pipeline.vocabulary import Vocabulary

REPOSITORY = Path(__file__).resolve().parent.parent
DICTIONARY_FILE = REPOSITORY / "docs" / "data-dictionary.md"
# Modules that define no table schema and are slow to import (Dagster) or run commands on import.
_NOT_SCANNED = {"pipeline.definitions", "pipeline.cli", "pipeline.__main__"}
_FACT_CODE_KINDS = ("category", "applicant_type", "metric")


@dataclass(frozen=True)
class TableDoc:
    """What the code says about one warehouse table."""

    name: str
    description: str  # first sentence: what one row is
    path: str  # the file that defines the table and this documentation, relative to the repository
    columns: dict[str, str]  # column -> description ("" when the source names it without describing it)
    constant: str = ""  # the schema constant, for tables built in Python
    model: bool = False  # a SQL model (else built in Python)
    reads: tuple[str, ...] = ()  # upstream tables of a SQL model

    @property
    def source(self) -> str:
        return f"{self.path} ({self.constant})" if self.constant else self.path

    @property
    def source_markdown(self) -> str:
        link = f"[`{self.path}`](../{self.path})" if self.path else "nowhere"
        return f"{link} (`{self.constant}`)" if self.constant else link


def _metadata_text(metadata: dict[bytes, bytes] | None, key: str) -> str:
    return (metadata or {}).get(key.encode(), b"").decode("utf-8").strip()


def schema_doc(name: str, schema: pa.Schema, path: str = "", constant: str = "") -> TableDoc:
    """The documentation an Arrow schema carries: schema metadata `description`, field metadata `description`."""
    return TableDoc(
        name=name,
        description=_metadata_text(schema.metadata, "description"),
        path=path,
        columns={field.name: _metadata_text(field.metadata, "description") for field in schema},
        constant=constant,
    )


def python_table_docs(package: str = "pipeline") -> dict[str, TableDoc]:
    """Every `<TABLE>_SCHEMA` Arrow schema defined in the package's modules, by table name."""
    root = importlib.import_module(package)
    found: dict[str, TableDoc] = {}
    for module_info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if module_info.name in _NOT_SCANNED:
            continue
        module = importlib.import_module(module_info.name)
        source = Path(module.__file__).read_text(encoding="utf-8")
        for attribute, value in vars(module).items():
            if not (isinstance(value, pa.Schema) and attribute.endswith("_SCHEMA")):
                continue
            if not re.search(rf"^{attribute}\b.*=", source, re.MULTILINE):
                continue  # imported from the module that defines it
            table = _metadata_text(value.metadata, "table") or attribute.removesuffix("_SCHEMA").lower()
            path = Path(module.__file__).resolve().relative_to(REPOSITORY).as_posix()
            doc = schema_doc(table, value, path, attribute)
            if table in found and found[table].columns != doc.columns:
                raise ValueError(f"two schemas describe the table {table}: {found[table].source} and {doc.source}")
            found.setdefault(table, doc)
    return found


def model_docs(sql_dir: Path = SQL_DIR) -> dict[str, TableDoc]:
    """The SQL models' header comments, by model name."""
    docs = {}
    for model in load_models(sql_dir):
        try:
            path = model.path.resolve().relative_to(REPOSITORY).as_posix()
        except ValueError:  # models outside the repository (tests)
            path = str(model.path)
        docs[model.name] = TableDoc(
            model.name, model.description, path, dict(model.columns), model=True, reads=model.depends_on
        )
    return docs


def table_docs(sql_dir: Path = SQL_DIR) -> dict[str, TableDoc]:
    """Everything the code documents, Python-built tables and SQL models together."""
    python_tables, models = python_table_docs(), model_docs(sql_dir)
    both = sorted(set(python_tables) & set(models))
    if both:
        raise ValueError(f"tables both built in Python and by a SQL model: {', '.join(both)}")
    return {**python_tables, **models}


def warehouse_columns(connection: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Every table and view of the connected database's main schema: its (column, DuckDB type)s in order."""
    rows = connection.sql(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = 'main' "
        "ORDER BY table_name, ordinal_position"
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def match_docs(docs: dict[str, TableDoc], tables: dict[str, list[tuple[str, str]]]) -> dict[str, TableDoc]:
    """The documentation of each warehouse table: by name, else the one Python schema with exactly its columns.

    The second way finds a schema whose constant is not named after its table (`ALIASES_SCHEMA` for
    `agency_aliases`); it never picks a schema that some table is named after, nor one of several that fit.
    """
    matched = {name: docs[name] for name in tables if name in docs}
    spare = [doc for name, doc in docs.items() if name not in tables and not doc.model]
    for name, columns in tables.items():
        if name in matched:
            continue
        fitting = [doc for doc in spare if list(doc.columns) == [column for column, _ in columns]]
        if len(fitting) == 1:
            matched[name] = fitting[0]
    return matched


def documentation_gaps(docs: dict[str, TableDoc], tables: dict[str, list[tuple[str, str]]]) -> list[str]:
    """What the documentation misses or gets wrong about the tables, one sentence each; empty when complete."""
    gaps = []
    for table, columns in tables.items():
        doc = docs.get(table)
        if doc is None:
            gaps.append(
                f"table {table} is not documented: give its Arrow schema a name ending in _SCHEMA in a pipeline "
                f"module (with description metadata), or document sql/{table}.sql"
            )
            continue
        if not doc.description:
            gaps.append(f"table {table} has no description ({doc.source})")
        names = [name for name, _ in columns]
        gaps += [
            f"column {table}.{name} has no description ({doc.source})" for name in names if not doc.columns.get(name)
        ]
        gaps += [
            f"{doc.source} documents a column {table}.{name} that the table does not have"
            for name in doc.columns
            if name not in names
        ]
    return gaps


def _cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    end = flat.find(". ")
    return flat if end < 0 else flat[: end + 1]


def _order(names: list[str], docs: dict[str, TableDoc]) -> list[str]:
    """Python-built tables by name, then SQL models upstream first (ties by name)."""
    python_built = sorted(name for name in names if name not in docs or not docs[name].model)
    models = {name for name in names if name not in python_built}
    sorter = graphlib.TopologicalSorter({name: [d for d in docs[name].reads if d in models] for name in models})
    sorter.prepare()
    ordered = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered += ready
        sorter.done(*ready)
    return python_built + ordered


def _code_lists(vocabulary: Vocabulary) -> list[str]:
    out = [
        "## Codes",
        "",
        "`facts.section`, `facts.category`, `facts.applicant_type` and `facts.metric` (and the columns the models",
        "take from them) hold codes of the vocabulary, `pipeline/vocabulary.csv`. The codes of each section are",
        "below; their printed labels, groups, units and aliases are in [vocabulary.md](vocabulary.md).",
    ]
    for section in dict.fromkeys(term.section for term in vocabulary.terms):
        out += ["", f"### {section}", ""]
        for kind in _FACT_CODE_KINDS:
            codes = vocabulary.codes(section, kind)
            if codes:
                out.append(f"- {kind}: " + ", ".join(f"`{code}`" for code in codes))
    return out


def dictionary_markdown(
    docs: dict[str, TableDoc], tables: dict[str, list[tuple[str, str]]], vocabulary: Vocabulary
) -> str:
    """The data dictionary: an index of the tables, then each table's columns, then the code lists."""
    names = _order(list(tables), docs)
    undocumented = TableDoc("", "", "", {})
    out = [
        "# Data dictionary",
        "",
        "Generated by `.venv/bin/python -m pipeline docs` from a built warehouse (`./dev build`) and the",
        "documentation kept with the code: Arrow schema metadata for the tables built in Python, the header",
        "comment of each SQL model (`sql/*.sql`), the vocabulary for codes. Do not edit by hand: a test compares.",
        "",
        "Blank is not zero: a cell left blank in a report is a NULL value (`facts.value_status` says why), and each",
        "model says how it treats NULLs.",
        "",
        "| table | one row per | defined in |",
        "|---|---|---|",
    ]
    for name in names:
        doc = docs.get(name, undocumented)
        out.append(f"| [`{name}`](#{name}) | {_cell(_first_sentence(doc.description))} | {doc.source_markdown} |")
    for name in names:
        doc = docs.get(name, undocumented)
        out += ["", f"## {name}", "", *(doc.description or "**Not documented.**").splitlines(), ""]
        source = f"Defined in {doc.source_markdown}"
        if doc.reads:
            source += "; reads " + ", ".join(f"[`{table}`](#{table})" for table in doc.reads)
        out += [source + ".", "", "| column | type | description |", "|---|---|---|"]
        for column, data_type in tables[name]:
            description = doc.columns.get(column) or "**not documented**"
            out.append(f"| `{column}` | {data_type} | {_cell(description)} |")
    out += ["", *_code_lists(vocabulary)]
    return "\n".join(out) + "\n"


def warehouse_dictionary(connection: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> tuple[str, list[str]]:
    """(the data dictionary, its gaps) for the connected warehouse."""
    from pipeline.vocabulary import load_vocabulary

    tables = warehouse_columns(connection)
    docs = match_docs(table_docs(sql_dir), tables)
    return dictionary_markdown(docs, tables, load_vocabulary()), documentation_gaps(docs, tables)
