"""The typed records that cross step boundaries, and their Arrow schemas in the warehouse.

`Fact`: one cell (or prose figure) of a report, coded with the vocabulary, with its raw text, value
status and source line. `CheckResult`: one consistency finding. `ParsedReport`: everything one file
gave. The schemas below are the warehouse contract; tests pin them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pyarrow as pa


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
            "facts": [asdict(fact) for fact in self.facts],
            "checks": [asdict(check) for check in self.checks],
            "errors": list(self.errors),
            "content_hash": self.content_hash,
            "encoding": self.encoding,
            "reader": self.reader,
        }


FACTS_SCHEMA = pa.schema(
    [
        pa.field("report_id", pa.string(), nullable=False),
        pa.field("agency", pa.string()),
        pa.field("agency_id", pa.string()),
        pa.field("year", pa.int32()),
        pa.field("template", pa.string()),
        pa.field("section", pa.string(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("applicant_type", pa.string()),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("unit", pa.string()),
        pa.field("value_status", pa.string(), nullable=False),
        pa.field("raw", pa.string(), nullable=False),
        pa.field("line", pa.int32(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
    ]
)

REPORTS_SCHEMA = pa.schema(
    [
        pa.field("report_id", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("content_hash", pa.string()),
        pa.field("size_bytes", pa.int64()),
        pa.field("encoding", pa.string()),
        pa.field("reader", pa.string()),
        pa.field("agency", pa.string()),
        pa.field("agency_id", pa.string()),
        pa.field("year", pa.int32()),
        pa.field("template", pa.string()),
        pa.field("scope", pa.string()),
        pa.field("status", pa.string(), nullable=False),
        pa.field("n_facts", pa.int32(), nullable=False),
        pa.field("n_failed_checks", pa.int32(), nullable=False),
        pa.field("errors", pa.list_(pa.string()), nullable=False),
    ]
)

CHECK_RESULTS_SCHEMA = pa.schema(
    [
        pa.field("report_id", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("section", pa.string(), nullable=False),
        pa.field("column", pa.string()),
        pa.field("category", pa.string()),
        pa.field("ok", pa.bool_(), nullable=False),
        pa.field("expected", pa.float64()),
        pa.field("actual", pa.float64()),
        pa.field("detail", pa.string(), nullable=False),
        pa.field("line", pa.int32()),
    ]
)
