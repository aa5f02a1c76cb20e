"""Table 3 (收到和处理政府信息公开申请情况) rows -> `applications` facts.

Columns come from the printed header (自然人 | 法人或其他组织 → 商业企业 … 其他 | 总计), rows from the
printed row labels; a value lands in a fact only when both its row and its column were recognised by
label, so a wrapped label or a stray blank line cannot move a number into another row.
"""

from __future__ import annotations

from dataclasses import replace

from pipeline.document import Row
from pipeline.extract.common import (
    Extraction,
    LabelledRow,
    describe,
    fit_values,
    header_columns,
    make_fact,
    split_row,
)
from pipeline.vocabulary import Vocabulary

SECTION = "applications"
HEADER_KINDS = ("applicant_type", "column_group", "heading")
ROW_KINDS = ("category", "group", "heading")
OTHER_2021 = {"other_no_correction", "other_fee_unpaid", "other_misc"}


def _is_header(row: Row, vocabulary: Vocabulary) -> bool:
    """A header row names two or more applicant columns (自然人, 商业企业, 其他 …)."""
    named = sum(
        1
        for cell in row.cells
        if not cell.is_empty and vocabulary.match(cell.text, SECTION, ("applicant_type", "column_group"))
    )
    return named >= 2


def extract_applications(rows: list[Row], vocabulary: Vocabulary) -> Extraction:
    result = Extraction()
    labelled = [split_row(row, vocabulary, SECTION, ROW_KINDS) for row in rows]
    first_data = next(
        (i for i, r in enumerate(labelled) if _row_code(r) and not _is_header(rows[i], vocabulary)), len(rows)
    )
    columns = header_columns(rows[:first_data], vocabulary, SECTION, "applicant_type")
    if not columns or any(vocabulary.kind_of(SECTION, c) == "column_group" for c in columns):
        columns = [c for c in vocabulary.codes(SECTION, "applicant_type") if c != "org_subtotal"]
        result.errors.append(
            f"line {rows[0].line}: table 3 column header not recognised; columns taken in template order"
        )
    seen: dict[str, int] = {}
    for row in labelled[first_data:]:
        code = _row_code(row)
        if row.unmatched and row.values:
            result.errors.append(f"line {row.line}: table 3 row label not recognised: {describe(row.labels)}")
            continue
        if code is None:
            if any(not cell.is_empty for cell in row.values):
                result.errors.append(f"line {row.line}: table 3 values without a row label: {describe(row.values)}")
            continue
        if not row.values:
            continue  # a group label row such as （三）不予公开: its sub-rows follow
        values = fit_values(row.values, len(columns))
        if values is None:
            result.errors.append(
                f"line {row.line}: table 3 row {code} has {len(row.values)} value cells for "
                f"{len(columns)} columns; row left out: {describe(row.values)}"
            )
            continue
        if code in seen:
            result.errors.append(
                f"line {row.line}: table 3 row {code} appears again (first at line {seen[code]}); "
                "the repeat is left out"
            )
            continue
        seen[code] = row.line
        for column, cell in zip(columns, values, strict=True):
            result.facts.append(make_fact(SECTION, code, column, "count", cell, "件"))

    if OTHER_2021 & seen.keys():
        result.template_hints.add("2021")
        result.facts = [
            replace(fact, category="other_subtotal") if fact.category == "other_total" else fact
            for fact in result.facts
        ]
    elif "other_total" in seen:
        result.template_hints.add("2019")
    if not seen:
        result.errors.append(f"line {rows[0].line}: table 3 has no recognisable data rows")
    return result


def _row_code(row: LabelledRow) -> str | None:
    if not row.terms:
        return None
    term = row.terms[-1]
    if term.kind == "category":
        return term.code
    if term.kind == "group":
        return f"{term.code}_subtotal"
    return None
