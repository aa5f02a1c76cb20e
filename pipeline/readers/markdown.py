"""Reader for Markdown made from PDFs by converters: text lines -> Document.

Runs of pipe-table lines (`| a | b |`) become tables (rule lines `|---|` dropped); other lines are prose.
Converters tear tables apart: a label may sit on a text line of its own, away from its values, and
a short line may hold a row as plain text (`行政许可 97`), which becomes a one-row table. Page numbers
(`— 4 —`, `- 4 -`, `第2页`) are dropped. Which report table a piece belongs to is decided later, from labels and
the section headings between the pieces (extract/sections.py).
"""

from __future__ import annotations

import re

from pipeline.document import Block, Cell, Document, Paragraph, Row, Table
from pipeline.text import compact, is_page_number

_PIPE_ROW = re.compile(r"^\s*\|(?P<cells>.*)\|\s*$")
_RULE_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")
_LABEL_AND_NUMBERS = re.compile(r"^(?P<label>\D\S*?)\s+(?P<numbers>[+-]?[\d.,]+(?:\s+[+-]?[\d.,]+)*)\s*$")
_TABLE_HEADER_WORD = "信息内容"  # table 2's header cell: a line starting with it is a header row
_MAX_ROW_LINE_CHARS = 40


def _pipe_cells(line: str, number: int) -> tuple[Cell, ...] | None:
    match = _PIPE_ROW.match(line)
    if not match:
        return None
    texts = match["cells"].split("|")
    if all(_RULE_CELL.match(text) for text in texts):
        return ()
    return tuple(Cell(text.strip(), number) for text in texts)


def _text_row(line: str, number: int) -> Row | None:
    """A short prose line that is really a table row: 「行政许可 97」 or 「信息内容本年处理决定数量」."""
    text = line.strip()
    if len(compact(text)) > _MAX_ROW_LINE_CHARS:
        return None
    match = _LABEL_AND_NUMBERS.match(text)
    if match:
        return Row((Cell(match["label"], number), *(Cell(n, number) for n in match["numbers"].split())))
    if compact(text).startswith(_TABLE_HEADER_WORD):
        return Row((Cell(text, number),))
    return None


def read_markdown(lines: list[str], encoding: str | None = None) -> Document:
    blocks: list[Block] = []
    rows: list[Row] = []

    def end_table() -> None:
        if rows:
            blocks.append(Table(tuple(rows)))
            rows.clear()

    for number, line in enumerate(lines, start=1):
        cells = _pipe_cells(line, number)
        if cells is not None:
            if cells:
                rows.append(Row(cells))
            continue
        end_table()
        if not line.strip() or is_page_number(line):
            continue
        text_row = _text_row(line, number)
        if text_row is not None:
            blocks.append(Table((text_row,)))
        else:
            blocks.append(Paragraph(line.strip().lstrip("#").strip(), number))
    end_table()
    return Document(blocks=tuple(blocks), lines=tuple(lines), reader="markdown", encoding=encoding)
