"""The intermediate form every reader produces and every extractor consumes.

A `Document` is the report as a sequence of blocks in reading order: `Paragraph`s of prose and `Table`s
made of `Row`s of `Cell`s. Every block and cell keeps the 1-based source line where it starts, so a fact
can always point back to the line its value stands on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.text import compact


@dataclass(slots=True)  # not frozen, like Fact (pipeline/facts.py): reports have hundreds of cells
class Cell:
    text: str  # as printed, wrapped lines joined with "\n"
    line: int
    spanned: bool = False  # a copy of a merged (rowspan/colspan) cell's text, not a cell of its own
    unresolved: str = ""  # why the reader could not tell this cell's value apart (run-together digits)

    @property
    def is_empty(self) -> bool:
        return not compact(self.text)


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]

    @property
    def line(self) -> int:
        return self.cells[0].line if self.cells else 0


@dataclass(frozen=True)
class Table:
    rows: tuple[Row, ...]

    @property
    def line(self) -> int:
        return self.rows[0].line if self.rows else 0


@dataclass(frozen=True)
class Paragraph:
    text: str
    line: int
    # Where later source lines begin in `text`, as (offset, line): a web page's <p> may run over several.
    breaks: tuple[tuple[int, int], ...] = ()

    def line_pieces(self) -> list[tuple[str, int]]:
        """The text cut where its source lines begin, each piece with its line."""
        if not self.breaks:
            return [(self.text, self.line)]
        starts = [(0, self.line), *self.breaks]
        ends = [offset for offset, _ in self.breaks] + [len(self.text)]
        return [(self.text[start:end], line) for (start, line), end in zip(starts, ends, strict=True)]


Block = Paragraph | Table


@dataclass(frozen=True)
class Document:
    blocks: tuple[Block, ...]
    # The decoded source lines, for metadata and prose searches; for HTML and DOCX, whose source lines are
    # markup or XML, a text rendering instead (`render_lines`), so its numbers are not source lines.
    lines: tuple[str, ...] = field(repr=False)
    reader: str = ""  # which reader made it: text_dump, html, docx, markdown, flattened
    encoding: str | None = None  # of the decoded text; None for binary formats (DOCX)
    notes: tuple[str, ...] = ()  # problems the reader met, each naming its line; they become report errors

    @property
    def paragraphs(self) -> list[Paragraph]:
        return [b for b in self.blocks if isinstance(b, Paragraph)]

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


def render_lines(blocks: tuple[Block, ...]) -> tuple[str, ...]:
    """The blocks as plain text lines, for readers whose source lines are not text (HTML, DOCX).

    One line per paragraph and one per table row, the row's cells joined by tabs; copies of merged cells
    are left out and a line break inside a cell becomes a space, so a title set in a table stays on one line.
    """
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            lines.append(block.text)
            continue
        for row in block.rows:
            lines.append("\t".join(cell.text.replace("\n", " ") for cell in row.cells if not cell.spanned))
    return tuple(lines)
