"""Table 3 (收到和处理政府信息公开申请情况) rows -> `applications` facts.

Columns come from the printed header (自然人 | 法人或其他组织 → 商业企业 … 其他 | 总计), rows from the
printed row labels; a value lands in a fact only when both its row and its column were recognised by
label, so a wrapped label or a stray blank line cannot move a number into another row.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from pipeline.document import Cell, Row
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
    rows_found: list[tuple[str | None, int, list[Cell]]] = []  # (code or None if unlabelled, line, values)
    for row in labelled[first_data:]:
        code = _row_code(row)
        if row.unmatched and row.values:
            result.errors.append(f"line {row.line}: table 3 row label not recognised: {describe(row.labels)}")
            continue
        if not row.values or (code is None and all(cell.is_empty for cell in row.values)):
            continue  # a group label row such as （三）不予公开 (its sub-rows follow), or an empty row
        values = fit_values(row.values, len(columns))
        if values is None:
            result.errors.append(
                f"line {row.line}: table 3 row {code or '(no label)'} has {len(row.values)} value cells for "
                f"{len(columns)} columns; row left out: {describe(row.values)}"
            )
            continue
        rows_found.append((code, row.line, values))

    codes = [code for code, _, _ in rows_found]
    if None in codes:
        codes = _place_unlabelled_rows(codes, vocabulary, result)
    seen: dict[str, int] = {}
    for code, (_, line, values) in zip(codes, rows_found, strict=True):
        if code is None:
            continue
        if code in seen:
            result.errors.append(
                f"line {line}: table 3 row {code} appears again (first at line {seen[code]}); the repeat is left out"
            )
            continue
        seen[code] = line
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


def _place_unlabelled_rows(codes: list[str | None], vocabulary: Vocabulary, result: Extraction) -> list[str | None]:
    """Give value rows whose label was torn off (PDF conversions) the template rows they must be.

    Labelled rows are anchors. Between two anchors, the unlabelled rows take the template's rows that lie
    between them, in order, but only when there are exactly as many of each; with either template's row
    order (2019: one 其他处理 row; 2021: three) it must work out for exactly one, or nothing is placed.
    """
    placements: set[tuple[str | None, ...]] = set()
    for template in ("2019", "2021"):
        order = [
            t.code
            for t in vocabulary.terms
            if t.section == SECTION and t.kind == "category" and template in t.templates
        ]
        placed = _fill_gaps(codes, order)
        if placed is not None:
            placements.add(tuple(placed))
    if len(placements) != 1:
        unplaced = sum(code is None for code in codes)
        result.errors.append(f"table 3: {unplaced} value rows have no label and cannot be placed by template order")
        return codes
    placed = list(placements.pop())
    for original, code in zip(codes, placed, strict=True):
        if original is None:
            result.errors.append(f"table 3: row {code} has no printed label; placed by template order")
    return placed


def _fill_gaps(codes: list[str | None], order: list[str]) -> list[str | None] | None:
    position = {code: index for index, code in enumerate(order)}
    if any(code is not None and code not in position and not code.endswith("_subtotal") for code in codes):
        return None  # a labelled row this template does not have (2021's 其他处理 sub-rows in 2019's order)
    anchors = [(i, position[code]) for i, code in enumerate(codes) if code in position]
    if [slot for _, slot in anchors] != sorted({slot for _, slot in anchors}):
        return None  # labelled rows out of template order: no order to fill gaps from
    placed = list(codes)
    bounds = [(-1, -1), *anchors, (len(codes), len(order))]
    for (left_row, left_slot), (right_row, right_slot) in itertools.pairwise(bounds):
        gap_rows = [i for i in range(left_row + 1, right_row) if codes[i] is None]
        if not gap_rows:
            continue
        free_slots = order[left_slot + 1 : right_slot]
        if len(gap_rows) != len(free_slots):
            return None
        for row_index, code in zip(gap_rows, free_slots, strict=True):
            placed[row_index] = code
    return placed


def _row_code(row: LabelledRow) -> str | None:
    if not row.terms:
        return None
    term = row.terms[-1]
    if term.kind == "category":
        return term.code
    if term.kind == "group":
        return f"{term.code}_subtotal"
    return None
