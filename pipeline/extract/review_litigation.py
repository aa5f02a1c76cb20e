"""Table 4 (行政复议、行政诉讼) rows -> `review_litigation` facts.

The header names three blocks (行政复议 | 行政诉讼: 未经复议直接起诉, 复议后起诉) and, under each, five results
(结果维持, 结果纠正, 其他结果, 尚未审结, 总计); the data row under it holds one number per (block, result).
Block and result order are read from the printed header, not assumed.
"""

from __future__ import annotations

from pipeline.document import Row
from pipeline.extract.common import Extraction, describe, fit_values, header_columns, make_fact
from pipeline.extract.values import is_value_like
from pipeline.vocabulary import Vocabulary

SECTION = "review_litigation"


def _data_cells(row: Row) -> list | None:
    """The row's cells when it is a data row: value-like cells only, at least one of them filled."""
    cells = [cell for cell in row.cells if not cell.spanned]
    while cells and not (cells[0].unresolved or is_value_like(cells[0].text)):
        cells.pop(0)  # a row label such as 件数
    if cells and all(c.unresolved or is_value_like(c.text) for c in cells) and any(not c.is_empty for c in cells):
        return cells
    return None


def extract_review_litigation(rows: list[Row], vocabulary: Vocabulary) -> Extraction:
    result = Extraction()
    metric_codes = vocabulary.codes(SECTION, "metric")
    data_at = next((i for i, row in enumerate(rows) if _data_cells(row) is not None), None)
    if data_at is None:
        result.errors.append(f"line {rows[0].line}: table 4 has no data row")
        return result
    data_row, cells = rows[data_at], _data_cells(rows[data_at])
    blocks = header_columns(rows[:data_at], vocabulary, SECTION, "category")
    metrics = [
        term.code
        for row in rows[:data_at]
        for cell in row.cells
        if not cell.spanned
        and not cell.is_empty
        and (term := vocabulary.match(cell.text, SECTION, ("metric",))) is not None
    ]
    layout = _layout(blocks, metrics, vocabulary.codes(SECTION, "category"), metric_codes)
    if layout is None:
        layout = [(b, m) for b in vocabulary.codes(SECTION, "category") for m in metric_codes]
        result.errors.append(
            f"line {data_row.line}: table 4 header not recognised (blocks {blocks}, {len(metrics)} result "
            "labels); columns taken in template order"
        )
    values = fit_values(cells, len(layout))
    if values is None:
        result.errors.append(
            f"line {data_row.line}: table 4 data row has {len(cells)} cells for {len(layout)} columns; "
            f"left out: {describe(cells)}"
        )
        return result
    for (block, metric), cell in zip(layout, values, strict=True):
        result.facts.append(make_fact(SECTION, block, None, metric, cell, "件"))
    return result


def _layout(
    blocks: list[str], metrics: list[str], block_codes: list[str], metric_codes: list[str]
) -> list[tuple[str, str]] | None:
    """(block, result) per value column: blocks in printed order, results in the order printed under
    them; every block must print the same results in the same order, or the header is not trusted."""
    if sorted(blocks) != sorted(block_codes):
        return None
    order = metrics[: len(metric_codes)]
    if sorted(order) != sorted(metric_codes) or len(metrics) not in (len(order), len(order) * len(blocks)):
        return None
    if metrics != order * (len(metrics) // len(order)):
        return None
    return [(block, metric) for block in blocks for metric in order]
