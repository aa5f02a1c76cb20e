"""The typed records that cross step boundaries, and their Arrow schemas in the warehouse.

`Fact`: one cell (or prose figure) of a report, coded with the vocabulary, with its raw text, value
status and source line. `CheckResult`: one consistency finding. `ParsedReport`: everything one file
gave. The schemas below are the warehouse contract; tests pin them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import polars as pl
import pyarrow as pa


# Fact and CheckResult are not frozen: a frozen dataclass sets every field through object.__setattr__, which made
# building them about a tenth of parsing a report. Nothing changes one once made (dataclasses.replace makes a
# new one); slots keep them small.
@dataclass(slots=True)
class Fact:
    section: str
    category: str
    applicant_type: str | None
    metric: str
    value: int | float | None
    unit: str | None
    value_status: str  # number | blank | placeholder | text
    raw: str
    line: int
    source: str = "table"  # table | prose


@dataclass(slots=True)
class CheckResult:
    name: str
    section: str
    ok: bool
    detail: str
    column: str | None = None  # applicant type or table-4 block the rule ran on
    category: str | None = None  # the row, for rules that run along a row
    expected: float | None = None
    actual: float | None = None
    line: int | None = None


@dataclass
class ParsedReport:
    file: str
    status: str = "failed"  # ok | partial | failed; skipped only in a build's accounting (see inventory.py)
    agency: str | None = None
    agency_id: str | None = None
    year: int | None = None
    template: str | None = None  # 2021 | 2019 | legacy
    scope: str | None = None  # agency | government | regional_aggregate
    region_hint: str | None = None  # the portal or region phrases of the text (pipeline/extract/metadata.py)
    facts: list[Fact] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    content_hash: str | None = None
    encoding: str | None = None
    reader: str | None = None
    size_bytes: int | None = None

    @property
    def failed_checks(self) -> int:
        return sum(1 for check in self.checks if not check.ok)

    def to_contract(self) -> dict:
        """The JSON object of the parse command (shared spec: parse-contract.md)."""
        return {
            "file": self.file,
            "status": self.status,
            "agency": self.agency,
            "agency_id": self.agency_id,
            "year": self.year,
            "template": self.template,
            "scope": self.scope,
            "region_hint": self.region_hint,
            "facts": [asdict(fact) for fact in self.facts],
            "checks": [asdict(check) for check in self.checks],
            "errors": list(self.errors),
            "content_hash": self.content_hash,
            "encoding": self.encoding,
            "reader": self.reader,
        }


def arrow_table(columns: Mapping[str, Sequence], schema: pa.Schema) -> pa.Table:
    """A table of `schema` from Python values, one sequence per column. Built by polars: pyarrow's own
    constructors (from_pydict, from_pylist, even pa.array) import pandas wherever it is installed, a quarter
    of a second in every process, parse workers included."""
    frame = pl.DataFrame({name: columns[name] for name in schema.names}, schema=_polars_schema(schema))
    return frame.to_arrow().cast(schema)


@functools.cache
def _polars_schema(schema: pa.Schema) -> pl.Schema:
    return pl.from_arrow(pa.Table.from_batches([], schema=schema)).schema


def _column(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    """A warehouse column with its documentation, which the data dictionary (pipeline/dictionary.py) prints."""
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


def _about(description: str) -> dict[str, str]:
    """A table's documentation: what one row is and where it comes from (schema metadata `description`)."""
    return {"description": description}


# Codes in section, category, applicant_type and metric: pipeline/vocabulary.csv (docs/vocabulary.md).
FACTS_SCHEMA = pa.schema(
    [
        _column("report_id", pa.string(), "the report file: its path relative to the raw folder", nullable=False),
        _column("agency", pa.string(), "the agency as printed in the report (NULL when not found)"),
        _column("agency_id", pa.string(), "the agency key; the same agency across years shares it"),
        _column("year", pa.int32(), "statistical year of the report (from the title, else the statistics period)"),
        _column("template", pa.string(), "the report's template: `2021`, `2019` or `legacy` (up to 2018)"),
        _column(
            "section",
            pa.string(),
            "`proactive` (table 2), `applications` (table 3), `review_litigation` (table 4), `legacy` (pre-2019 "
            "indicators) or `narrative` (figures the 2019+ prose states)",
            nullable=False,
        ),
        _column("category", pa.string(), "the row: a vocabulary code of the section", nullable=False),
        _column(
            "applicant_type",
            pa.string(),
            "the column of table 3 (`natural_person`, `org_*`, `total`); NULL in other sections",
        ),
        _column(
            "metric",
            pa.string(),
            "what is counted: `count` in table 3, the result (`upheld`, `corrected`, `other`, `pending`, `total`) "
            "in table 4, the column of table 2",
            nullable=False,
        ),
        _column("value", pa.float64(), "the number; NULL unless value_status is `number` (a blank is not a zero)"),
        _column("unit", pa.string(), "unit of the value as the template states it (件, 条, 万元, …)"),
        _column(
            "value_status",
            pa.string(),
            "`number`, `blank` (empty cell), `placeholder` (a dash or 无) or `text` (anything else; see raw)",
            nullable=False,
        ),
        _column("raw", pa.string(), "the cell as printed", nullable=False),
        _column("line", pa.int32(), "1-based line of the source file the value stands on", nullable=False),
        _column(
            "source", pa.string(), "`table` (a table cell) or `prose` (a figure stated in the text)", nullable=False
        ),
    ],
    metadata=_about(
        "One row per report cell (or figure stated in the prose), coded with the vocabulary. Built by the parser "
        "(pipeline/parse.py and pipeline/extract/) from every readable file of the raw folder; also published as "
        "Parquet partitioned by year (facts/year=YYYY/)."
    ),
)

REPORTS_SCHEMA = pa.schema(
    [
        _column("report_id", pa.string(), "the file's path relative to the raw folder", nullable=False),
        _column("path", pa.string(), "the file's absolute path when it was read", nullable=False),
        _column("content_hash", pa.string(), "SHA-256 of the file's bytes (NULL if it could not be read)"),
        _column("size_bytes", pa.int64(), "size of the file in bytes"),
        _column("encoding", pa.string(), "text encoding found (utf-8, utf-16-le, utf-16-be, gb18030; NULL for DOCX)"),
        _column(
            "reader",
            pa.string(),
            "the reader that read it: text_dump, html, docx, markdown or flattened (told by content)",
        ),
        _column("agency", pa.string(), "the agency as printed in the report"),
        _column("agency_id", pa.string(), "the agency key; the same agency across years shares it"),
        _column("year", pa.int32(), "statistical year of the report (never the signature date)"),
        _column("template", pa.string(), "`2021`, `2019` or `legacy` (up to 2018), told from the labels"),
        _column(
            "scope",
            pa.string(),
            "`agency`, `government` (a people's government's own report) or `regional_aggregate` (a summary of "
            "many agencies: never add it to its parts)",
        ),
        _column(
            "status",
            pa.string(),
            "`ok`; `partial` (read, with problems); `failed` (not a readable report); `skipped` (hidden or "
            "temporary file, link to a folder, or a byte-identical copy of another file)",
            nullable=False,
        ),
        _column("n_facts", pa.int32(), "facts rows the report gave", nullable=False),
        _column("n_failed_checks", pa.int32(), "check_results rows of the report with ok = false", nullable=False),
        _column(
            "errors",
            pa.list_(pa.string()),
            "the reasons for a partial, failed or skipped status, each naming its line where there is one",
            nullable=False,
        ),
        _column(
            "region_hint",
            pa.string(),
            "the region the report's text names for its agency (its portal, e.g. 数字东城 -> 东城区): "
            "pipeline/agencies.py "
            "uses it when the name leaves the region out",
        ),
    ],
    metadata=_about(
        "One row per file under the raw folder, parsed or not: what it is, what became of it and why. Built by "
        "pipeline/scan.py and pipeline/load.py (rules of pipeline/inventory.py) and the parser; also published as "
        "reports.parquet."
    ),
)

CHECK_RESULTS_SCHEMA = pa.schema(
    [
        _column("report_id", pa.string(), "the report the rule ran on (reports.report_id)", nullable=False),
        _column(
            "name",
            pa.string(),
            "the rule: intake_balance, outcome_sum, applicant_sum, review_block_sum, blank_cells, "
            "narrative_table_agreement or legacy_prose_table_agreement (README: the consistency rules)",
            nullable=False,
        ),
        _column("section", pa.string(), "the facts section the rule looked at", nullable=False),
        _column("column", pa.string(), "the applicant type (table 3) or block (table 4) the rule ran on"),
        _column("category", pa.string(), "the row, for rules that run along a row"),
        _column(
            "ok",
            pa.bool_(),
            "true when the rule holds; false is a finding (values are never corrected)",
            nullable=False,
        ),
        _column("expected", pa.float64(), "the figure the rule expects (e.g. the printed total)"),
        _column("actual", pa.float64(), "the figure found (e.g. the sum of the parts; blanks count as 0)"),
        _column("detail", pa.string(), "the comparison in words, naming any blank cells", nullable=False),
        _column("line", pa.int32(), "1-based source line the finding points at"),
    ],
    metadata=_about(
        "One row per consistency rule evaluated on a report, passed or not (pipeline/checks.py); also published "
        "as check_results.parquet."
    ),
)

RAW_REPORT_FILES_SCHEMA = pa.schema(
    [
        _column("report_id", pa.string(), "the file's path relative to the raw folder, with forward slashes"),
        _column("path", pa.string(), "the file's absolute path"),
        _column("size_bytes", pa.int64(), "size in bytes (NULL for a broken link)"),
        _column("skip_reason", pa.string(), "why the file is listed but not parsed (NULL: it is parsed)"),
    ],
    metadata=_about(
        "One row per file found in the raw folder at the start of the build, skipped ones included "
        "(pipeline/inventory.py, scan_raw_folder): the list every reports row is checked against."
    ),
)

VOCABULARY_SCHEMA = pa.schema(
    [
        _column("section", pa.string(), "the facts section the code belongs to"),
        _column(
            "kind",
            pa.string(),
            "`category`, `applicant_type` or `metric` (fact codes); `group`, `column_group` or `heading` (labels "
            "that structure a table and carry no values)",
        ),
        _column("code", pa.string(), "the code, as in facts.category / applicant_type / metric"),
        _column("label", pa.string(), "the label the template prints"),
        _column("group_code", pa.string(), "the group the code adds up into (e.g. `denied`), or empty"),
        _column("unit", pa.string(), "unit of the values (件, 条, 万元, …), or empty"),
        _column("templates", pa.string(), "templates that print it, space-separated (`2019 2021`, `legacy`)"),
        _column("aliases", pa.string(), "other printed forms of the label, separated by |"),
        _column(
            "core_indicator", pa.string(), "the core indicator (core_indicators.indicator) the code adds into, or empty"
        ),
        _column(
            "core_note", pa.string(), "what to bear in mind when comparing that indicator across templates, or empty"
        ),
    ],
    metadata=_about(
        "One row per vocabulary code: pipeline/vocabulary.csv as loaded (docs/vocabulary.md lists every code). "
        "Empty cells are empty strings, not NULL."
    ),
)
