"""Step 4: facts -> consistency findings. A finding never changes a value.

Rules (shared spec: templates.md, "Consistency rules"):
- intake_balance     per applicant column: 一 新收 + 二 上年结转 = （七）总计 + 四 结转下年度
- outcome_sum        per applicant column: the outcome rows add up to （七）总计
- applicant_sum      per row of table 3: the six applicant columns add up to 总计
- review_block_sum   per table-4 block: 结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计
- blank_cells        per table (3 and 4): no cell is left blank (a blank is not a zero; see which cells)
- narrative_table_agreement  per figure a 2019+ report states in its prose (applications received and
                     carried over, reconsideration and litigation cases): it equals the table's 总计
- legacy_prose_table_agreement  per pre-2019 indicator stated both in the prose and in the statistics
                     table: the two figures are equal
Blank and placeholder cells count as 0 in a sum, and the finding says so; a cell holding text makes
the rule impossible to evaluate, which is reported as a failed finding naming the cell.
Subtotal rows and the 法人或其他组织 subtotal column stay out of every sum.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from pipeline.facts import CheckResult, Fact
from pipeline.vocabulary import Vocabulary, load_vocabulary

CHECK_NAMES = (
    "intake_balance",
    "outcome_sum",
    "applicant_sum",
    "review_block_sum",
    "blank_cells",
    "narrative_table_agreement",
    "legacy_prose_table_agreement",
)
# narrative figure -> the table cells that state the same thing
NARRATIVE_CELLS: dict[str, tuple[tuple[str, str, str | None, str], ...]] = {
    "applications_received": (("applications", "new_received", "total", "count"),),
    "applications_carried_over": (("applications", "carried_over", "total", "count"),),
    "reconsideration": (("review_litigation", "reconsideration", None, "total"),),
    "litigation": (
        ("review_litigation", "litigation_direct", None, "total"),
        ("review_litigation", "litigation_after_reconsideration", None, "total"),
    ),
}
_LISTED_BLANKS = 12
OUTCOME_GROUPS = ("granted", "partial", "denied", "unable", "not_processed", "other")


def _sum(cells: Iterable[Fact | None]) -> tuple[float, list[str]]:
    """Sum of the cells, with notes on every cell that was not a number."""
    total = 0.0
    notes: list[str] = []
    for fact in cells:
        if fact is None:
            continue
        if fact.value_status == "number":
            total += fact.value
            continue
        cell = f"{fact.category}/{fact.applicant_type or fact.metric}"
        if fact.value_status in ("blank", "placeholder"):
            notes.append(f"{cell} {fact.value_status} (line {fact.line}) counted as 0")
        else:
            notes.append(f"{cell} text {fact.raw!r} (line {fact.line})")
    return total, notes


def _finding(
    name: str, section: str, left: list[Fact | None], right: list[Fact | None], label: str, **where
) -> CheckResult:
    left_sum, left_notes = _sum(left)
    right_sum, right_notes = _sum(right)
    notes = left_notes + right_notes
    unreadable = [n for n in notes if " text " in n]
    ok = not unreadable and abs(left_sum - right_sum) < 1e-6
    detail = f"{label}: {_fmt(left_sum)} vs {_fmt(right_sum)}"
    if notes:
        detail += " (" + "; ".join(notes) + ")"
    line = next((f.line for f in right if f is not None), None)
    return CheckResult(
        name=name,
        section=section,
        ok=ok,
        detail=detail,
        expected=right_sum,
        actual=left_sum,
        line=line,
        **where,
    )


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


@cache
def _applications_groups(vocabulary: Vocabulary) -> dict[str, str]:
    """Table 3 code -> its group code (granted, denied, …)."""
    return {t.code: t.group_code for t in vocabulary.terms if t.section == "applications"}


def run_checks(facts: list[Fact]) -> list[CheckResult]:
    group_of = _applications_groups(load_vocabulary())
    cell = {(f.category, f.applicant_type): f for f in facts if f.section == "applications" and f.source == "table"}
    rows = list(dict.fromkeys(category for category, _ in cell))
    columns = [c for c in dict.fromkeys(column for _, column in cell) if c != "org_subtotal"]
    results: list[CheckResult] = []

    for column in columns:
        intake = [cell.get(("new_received", column)), cell.get(("carried_over", column))]
        outflow = [cell.get(("processed_total", column)), cell.get(("carried_forward", column))]
        if all(intake) and all(outflow):
            results.append(
                _finding(
                    "intake_balance",
                    "applications",
                    intake,
                    outflow,
                    "新收 + 上年结转 vs 总计 + 结转下年度",
                    column=column,
                )
            )
        outcomes = [
            cell.get((row, column))
            for row in rows
            if group_of.get(row) in OUTCOME_GROUPS and not row.endswith("_subtotal")
        ]
        processed = cell.get(("processed_total", column))
        if processed and any(outcomes):
            results.append(
                _finding(
                    "outcome_sum",
                    "applications",
                    outcomes,
                    [processed],
                    "sum of outcome rows vs （七）总计",
                    column=column,
                )
            )

    applicant_columns = [c for c in columns if c != "total"]
    for row in rows:
        total = cell.get((row, "total"))
        parts = [cell.get((row, column)) for column in applicant_columns]
        if total and any(parts):
            results.append(
                _finding(
                    "applicant_sum",
                    "applications",
                    parts,
                    [total],
                    "sum of applicant columns vs 总计",
                    category=row,
                )
            )

    review = {(f.category, f.metric): f for f in facts if f.section == "review_litigation"}
    for block in dict.fromkeys(category for category, _ in review):
        total = review.get((block, "total"))
        parts = [review.get((block, metric)) for metric in ("upheld", "corrected", "other", "pending")]
        if total and any(parts):
            results.append(
                _finding(
                    "review_block_sum",
                    "review_litigation",
                    parts,
                    [total],
                    "维持 + 纠正 + 其他 + 尚未审结 vs 总计",
                    column=block,
                )
            )
    results.extend(blank_cells(facts))
    results.extend(narrative_table_agreement(facts))
    results.extend(legacy_prose_table_agreement(facts))
    return results


def blank_cells(facts: list[Fact]) -> list[CheckResult]:
    """One finding per table 3 / table 4: which cells were left blank (web pages blank their zeros)."""
    results = []
    for section in ("applications", "review_litigation"):
        cells = [f for f in facts if f.section == section and f.source == "table"]
        if not cells:
            continue
        blanks = [f for f in cells if f.value_status == "blank"]
        listed = ", ".join(
            f"{f.category}/{f.applicant_type or f.metric} (line {f.line})" for f in blanks[:_LISTED_BLANKS]
        )
        more = f" and {len(blanks) - _LISTED_BLANKS} more" if len(blanks) > _LISTED_BLANKS else ""
        detail = f"{len(blanks)} of {len(cells)} cells blank" + (f": {listed}{more}" if blanks else "")
        results.append(
            CheckResult(
                name="blank_cells",
                section=section,
                ok=not blanks,
                detail=detail,
                expected=0,
                actual=len(blanks),
                line=blanks[0].line if blanks else None,
            )
        )
    return results


def narrative_table_agreement(facts: list[Fact]) -> list[CheckResult]:
    """A figure the prose states and the table's 总计 for the same thing must be equal."""
    table = {(f.section, f.category, f.applicant_type, f.metric): f for f in facts if f.source == "table"}
    results = []
    for fact in facts:
        if fact.section != "narrative" or fact.category not in NARRATIVE_CELLS:
            continue
        cells = [table.get(key) for key in NARRATIVE_CELLS[fact.category]]
        if not all(cells):
            continue
        results.append(
            _finding(
                "narrative_table_agreement",
                "narrative",
                [fact],
                cells,
                f"prose (line {fact.line}) vs table",
                category=fact.category,
            )
        )
    return results


def legacy_prose_table_agreement(facts: list[Fact]) -> list[CheckResult]:
    """One finding per legacy indicator that has both a prose and a table fact (the first of each).

    A blank or placeholder table cell counts as 0 and the finding says so; a table cell holding text (a
    run-together split that was not certain) cannot be compared, which is a failed finding naming the cell.
    """
    first: dict[tuple[str, str, str], Fact] = {}
    for fact in facts:
        if fact.section == "legacy":
            first.setdefault((fact.source, fact.category, fact.metric), fact)
    results = []
    for (source, category, metric), prose in first.items():
        table = first.get(("table", category, metric))
        if source != "prose" or table is None:
            continue
        (prose_value, _), (table_value, notes) = _sum([prose]), _sum([table])
        readable = table.value_status != "text"
        shown = _fmt(table_value) if readable else "unreadable"
        detail = f"prose {_fmt(prose_value)} (line {prose.line}) vs table {shown} (line {table.line})"
        if notes:
            detail += " (" + "; ".join(notes) + ")"
        results.append(
            CheckResult(
                name="legacy_prose_table_agreement",
                section="legacy",
                ok=readable and abs(prose_value - table_value) < 1e-6,
                detail=detail,
                column=None if metric in ("count", "amount") else metric,
                category=category,
                expected=table_value if readable else None,
                actual=prose_value,
                line=prose.line,
            )
        )
    return results
