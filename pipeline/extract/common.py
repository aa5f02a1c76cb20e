"""Shared pieces of the table extractors: the result type and how a row splits into labels and values."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.document import Cell, Row
from pipeline.extract.values import is_value_like, parse_value
from pipeline.facts import Fact
from pipeline.vocabulary import Term, Vocabulary


@dataclass
class Extraction:
    facts: list[Fact] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    template_hints: set[str] = field(default_factory=set)  # "2019" / "2021" from the labels seen


@dataclass(frozen=True)
class LabelledRow:
    """A table row split into its label cells (left) and value cells (right)."""

    labels: list[Cell]
    values: list[Cell]
    terms: list[Term]  # vocabulary terms of the label cells, in reading order
    unmatched: list[Cell]  # label cells after the last matched term that match nothing

    @property
    def line(self) -> int:
        return (self.labels or self.values)[0].line


def split_row(row: Row, vocabulary: Vocabulary, section: str, kinds: tuple[str, ...]) -> LabelledRow:
    """Labels are everything up to the last cell that is text; values are the cells after it.

    Empty cells left of a label are merged-cell remnants and stay on the label side, so a row like
    ['', '行政确认', '0', '+10', '1536'] gives one label and three values.
    """
    cells = [cell for cell in row.cells if not cell.spanned]
    last_label = -1
    for index, cell in enumerate(cells):
        # An unresolved cell is a value the reader could not split, whatever its text looks like.
        if not (cell.unresolved or is_value_like(cell.text)):
            last_label = index
    labels, values = cells[: last_label + 1], cells[last_label + 1 :]
    terms: list[Term] = []
    unmatched: list[Cell] = []
    for cell in labels:
        if cell.is_empty:
            continue
        term = vocabulary.match(cell.text, section, kinds)
        if term:
            terms.append(term)
            unmatched.clear()
        else:
            unmatched.append(cell)
    return LabelledRow(labels, values, terms, unmatched)


def header_columns(header_rows: list[Row], vocabulary: Vocabulary, section: str, leaf_kind: str) -> list[str]:
    """Leaf column codes in printed order, read from header rows.

    The first header row that names columns gives their order; a parent column (法人或其他组织,
    行政诉讼) is replaced by its children as a later header row names them. Cells that are copies of
    a merged cell are skipped, so a web table's expanded grid reads like a Word dump.
    """
    columns: list[str] = []
    for row in header_rows:
        codes: list[str] = []
        for cell in row.cells:
            if cell.spanned or cell.is_empty:
                continue
            term = vocabulary.match(cell.text, section, (leaf_kind, "column_group"))
            if term and (not codes or codes[-1] != term.code):
                codes.append(term.code)
        if not codes:
            continue
        if not columns:
            columns = codes
            continue
        for parent in [c for c in columns if vocabulary.kind_of(section, c) == "column_group"]:
            children = [c for c in codes if _is_child(vocabulary, section, leaf_kind, c, parent)]
            if children:
                at = columns.index(parent)
                columns[at : at + 1] = children
    return columns


def _is_child(vocabulary: Vocabulary, section: str, leaf_kind: str, code: str, parent: str) -> bool:
    term = vocabulary.term(section, leaf_kind, code)
    return term is not None and term.group_code in (parent, "subtotal")


def fit_values(values: list[Cell], expected: int) -> list[Cell] | None:
    """The value cells when their number fits the columns.

    Extra empty cells at the edges (merged-cell remnants on the left, a converter's empty trailing pipe
    cell on the right) are dropped; an empty cell inside the row is a blank value and stays.
    """
    trimmed = list(values)
    while len(trimmed) > expected and trimmed[0].is_empty:
        trimmed.pop(0)
    while len(trimmed) > expected and trimmed[-1].is_empty:
        trimmed.pop()
    return trimmed if len(trimmed) == expected else None


def make_fact(
    section: str,
    category: str,
    applicant_type: str | None,
    metric: str,
    cell: Cell,
    unit: str | None,
) -> Fact:
    if cell.unresolved:  # the reader saw the text but could not tell this cell's value: keep it as text
        return Fact(section, category, applicant_type, metric, None, unit, "text", cell.text, cell.line)
    parsed = parse_value(cell.text)
    value = parsed.value
    if parsed.status == "number" and unit == "万元" and parsed.unit == "元":
        value = round(value / 10000, 6)
    return Fact(section, category, applicant_type, metric, value, unit, parsed.status, cell.text, cell.line)


def describe(cells: list[Cell]) -> str:
    return " | ".join(cell.text.replace("\n", "") for cell in cells)
