"""The intermediate form every reader produces and every extractor consumes.

A `Document` is the report as a sequence of blocks in reading order: `Paragraph`s of prose and `Table`s
made of `Row`s of `Cell`s. Every block and cell keeps the 1-based source line where it starts, so a fact
can always point back to the line its value stands on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.text import compact


@dataclass(frozen=True)
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


Block = Paragraph | Table


@dataclass(frozen=True)
class Document:
    blocks: tuple[Block, ...]
    lines: tuple[str, ...] = field(repr=False)  # the decoded source, for metadata and prose searches
    reader: str = ""  # which reader made it: text_dump, html, docx, markdown, flattened
    encoding: str | None = None  # of the decoded text; None for binary formats (DOCX)
    notes: tuple[str, ...] = ()  # problems the reader met, each naming its line; they become report errors

    @property
    def paragraphs(self) -> list[Paragraph]:
        return [b for b in self.blocks if isinstance(b, Paragraph)]

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]
