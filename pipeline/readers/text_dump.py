"""Reader for Word-to-text dumps: text lines -> Document.

In such dumps every table cell is a line that starts with a tab, rows are separated by blank lines,
merged cells leave empty tab lines, and a long label wraps onto following lines that have no tab
(sometimes after a blank line: 「\\t（三）不予」, 「」, 「公开」). Lines without a tab outside tables are prose.
"""

from __future__ import annotations

import re

from pipeline.document import Block, Cell, Document, Paragraph, Row, Table
from pipeline.text import compact

# A wrapped label fragment is short; a section heading that follows a table is not a fragment.
_MAX_FRAGMENT_CHARS = 20
_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|第[一二三四五六七八九十]+[章节部分]|附件)"
    r"|主动公开政府信息情况|收到和处理|行政复议、行政诉讼|行政复议和行政诉讼|存在的主要问题|其他需要报告"
)


def _is_label_fragment(line: str, blank_lines_before: int) -> bool:
    text = compact(line)
    return (
        blank_lines_before <= 1
        and 0 < len(text) <= _MAX_FRAGMENT_CHARS
        and not _HEADING.search(text)
        and not text.endswith(("。", "；", ";"))
    )


def read_text_dump(lines: list[str], encoding: str | None = None) -> Document:
    blocks: list[Block] = []
    rows: list[Row] = []
    row: list[Cell] = []  # the cells of the row being read
    blank_lines = 0  # blank lines since the last cell line
    in_table = False

    def end_row() -> None:
        if row:
            rows.append(Row(tuple(row)))
            row.clear()

    def end_table() -> None:
        nonlocal in_table
        end_row()
        if rows:
            blocks.append(Table(tuple(rows)))
            rows.clear()
        in_table = False

    for number, line in enumerate(lines, start=1):
        if line.startswith("\t"):
            if blank_lines and row:
                end_row()
            row.append(Cell(line[1:], number))
            in_table, blank_lines = True, 0
        elif not line.strip():
            blank_lines += 1
        elif in_table and row and _is_label_fragment(line, blank_lines):
            wrapped = row[-1]  # seldom: a wrapped label
            row[-1] = Cell(f"{wrapped.text}\n{line}", wrapped.line)
            blank_lines = 0
        else:
            end_table()
            blocks.append(Paragraph(line, number))
            blank_lines = 0
    end_table()
    return Document(blocks=tuple(blocks), lines=tuple(lines), reader="text_dump", encoding=encoding)
