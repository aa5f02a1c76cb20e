"""Reader for web pages: HTML text -> Document.

In: the decoded text of a web page or of a fragment of one (a saved page, a crawler's capture, Word's
"Save as Web Page" export with its mso styles and <o:p> tags) and the encoding it was decoded from.
Out: a `Document` of the page's paragraphs and tables in reading order, parsed with lxml.html.

- Tables: each <tr> becomes a Row of the table's full grid. A cell with rowspan/colspan fills every grid
  position it covers: the first is the cell itself, the others are copies marked `spanned`, which the
  extractors skip, so the grid reads like a Word-to-text dump. <br> and block elements (<p>, <div>) inside
  a cell become "\\n" in its text; a cell of only spaces and &nbsp; is empty. A table inside a data cell is
  flattened into that cell's text, one line per inner cell.
- Layout tables are not data: a table of one column, or one holding a table at least as long as itself
  (old sites frame the whole article in one), is read like a <div>: its cells as paragraphs, the tables
  inside it as tables.
- Paragraphs: the text outside tables, one Paragraph per block-level element (p, div, h1…, li), with
  whitespace collapsed as a browser does; a <br> ends a paragraph too (crawled pages often hold a whole
  report in one <div>, paragraphs separated by <br>s).
- Ignored: head, script, style, noscript, template, nav, form controls, embedded objects, comments
  (Word's conditional comments included), and header/footer unless they belong to an <article> or <main>.
- `line` is the 1-based source line where the paragraph's or cell's text begins, i.e. where the value
  stands; an empty cell gets the line where its start tag ends. libxml2's `sourceline` is the line where
  an element's start tag *ends*, not where it starts, which differs when a long start tag is wrapped (Word
  does that), and it stops at 65535; so lines are counted along the text, starting again from
  `sourceline` at every element. A file without line breaks gives line 1 everywhere. Line breaks are
  counted as an editor counts them (\\n, \\r\\n or a lone \\r), like pipeline.decode.
- `Document.lines` is a text rendering (`document.render_lines`): the source lines are markup.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import lxml.html
from lxml import etree

from pipeline.decode import UnreadableFile
from pipeline.document import Block, Cell, Document, Paragraph, Row, Table, render_lines

# Elements whose content is not part of the report: page machinery, navigation, form controls.
_IGNORED = frozenset(
    {"head", "script", "style", "noscript", "template", "nav", "iframe", "object", "embed", "svg", "math"}
    | {"select", "button", "textarea"}
)
# Page chrome, except where HTML5 makes them part of the content (an article's own header holds its title).
_CHROME = frozenset({"header", "footer"})
_CONTENT_ROOTS = frozenset({"article", "main"})
# Elements that start a new line of text. Cells and rows are here for tables read as text (layout tables,
# tables inside cells).
_BLOCK = frozenset(
    {"address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog"}
    | {"dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3"}
    | {"h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "ol", "p"}
    | {"pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
)
_ROW_GROUPS = frozenset({"thead", "tbody", "tfoot"})
_CELLS = frozenset({"td", "th"})
_MAX_COLSPAN = 1000  # browsers' cap; protects the grid from a typo like colspan="10000"
# Whitespace in markup text; NBSP and ideographic spaces are content, not markup whitespace.
_MARKUP_SPACE = re.compile(r"[ \t\n\r\f]+")
# A line break between two CJK characters is a wrapped line, not a space (CSS Text: segment breaks).
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_WRAP = re.compile(rf"(?<=[{_WIDE}])[ \t\r\f]*\n[ \t\n\r\f]*(?=[{_WIDE}])")
_LEADING_DIGITS = re.compile(r"\s*(\d+)")


@dataclass(frozen=True)
class _Text:
    text: str
    line: int  # where the first non-space character stands


class _Break:
    """A line break: <br>, or the edge of a block element."""


_BREAK = _Break()


@dataclass(frozen=True)
class _DataTable:
    element: etree._Element
    line: int  # where the table's start tag begins


@dataclass(frozen=True)
class _Line:
    """One line of text as shown, with the source line where it begins."""

    text: str
    line: int


def read_html(text: str, encoding: str | None) -> Document:
    root, notes = _parse(text)
    blocks = tuple(_blocks(root))
    return Document(blocks=blocks, lines=render_lines(blocks), reader="html", encoding=encoding, notes=notes)


def _parse(text: str) -> tuple[lxml.html.HtmlElement, tuple[str, ...]]:
    """The page's tree, and a note for each error that made libxml2 stop reading (content after it is lost)."""
    # libxml2 counts only \n as a line break; pipeline.decode also counts \r\n and a lone \r.
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    # Bytes with an explicit encoding: lxml refuses str input that carries an XML encoding declaration,
    # and a <meta charset> must not undo the decoding pipeline.decode already did.
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        root = lxml.html.document_fromstring(source.encode("utf-8", "surrogatepass"), parser=parser)
    except (etree.LxmlError, ValueError) as err:
        raise UnreadableFile(f"HTML that cannot be parsed: {err}") from err
    # libxml2 stops at a fatal error, e.g. elements nested more than 255 deep (unclosed <font> tags).
    notes = tuple(
        f"line {error.line}: the HTML parser stopped here ({error.message.strip()}); the rest of the page is not read"
        for error in parser.error_log
        if error.level_name == "FATAL"
    )
    return root, notes


# --- walking the tree: text with its lines, breaks and data tables, in document order ----------------


def _tag(element: etree._Element) -> str | None:
    """The lower-case tag name; None for comments and processing instructions."""
    return element.tag.lower() if isinstance(element.tag, str) else None


def _is_ignored(element: etree._Element) -> bool:
    tag = _tag(element)
    if tag is None or tag in _IGNORED:
        return True
    if tag in _CHROME:
        return not any(_tag(ancestor) in _CONTENT_ROOTS for ancestor in element.iterancestors())
    return False


def _first_text_line(text: str, line: int) -> int:
    """The line of the first non-space character of a text node that starts on `line`."""
    return line + text[: len(text) - len(text.lstrip())].count("\n")


def _start_line(element: etree._Element, line: int) -> int:
    """Where an element's content starts, given the line its start tag begins on: a long start tag may
    wrap over lines, which only libxml2's `sourceline` (the line where the tag ends) shows."""
    return max(line, element.sourceline or 0) if _tag(element) is not None else line


def _content_lines(element: etree._Element, line: int, starts: dict[etree._Element, int]) -> int:
    """Records in `starts` where the content of the element and of each one inside it starts; returns the
    line where the element ends. `line` is the line its start tag begins on."""
    line = _start_line(element, line)
    starts[element] = line
    line += (element.text or "").count("\n")
    for child in element:
        line = _content_lines(child, line, starts) + (child.tail or "").count("\n")
    return line


def _end_line(element: etree._Element, line: int) -> int:
    return _content_lines(element, line, {})


def _events(element: etree._Element, line: int, in_cell: bool) -> Generator[_Text | _Break | _DataTable, None, int]:
    """The element's content as events; returns the line where it ends.

    Outside cells a data table is one `_DataTable` event; inside a cell (`in_cell`) every table is text.
    """
    line = _start_line(element, line)
    if element.text:
        yield _Text(element.text, _first_text_line(element.text, line))
        line += element.text.count("\n")
    for child in element:
        line = yield from _child_events(child, line, in_cell)
        if child.tail:
            yield _Text(child.tail, _first_text_line(child.tail, line))
            line += child.tail.count("\n")
    return line


def _child_events(child: etree._Element, line: int, in_cell: bool) -> Generator[_Text | _Break | _DataTable, None, int]:
    if _is_ignored(child):
        return _end_line(child, line)
    tag = _tag(child)
    if tag == "br":
        yield _BREAK
        return _start_line(child, line)
    if tag == "table" and not in_cell and not _is_layout_table(child):
        yield _DataTable(child, line)
        return _end_line(child, line)
    if tag in _BLOCK:
        yield _BREAK
        end = yield from _events(child, line, in_cell)
        yield _BREAK
        return end
    return (yield from _events(child, line, in_cell))


def _normalise(text: str) -> str:
    """Whitespace as a browser shows it: runs of markup whitespace are one space, no space at either end."""
    return _MARKUP_SPACE.sub(" ", _CJK_WRAP.sub("", text)).strip()


def _lines(events: Iterator[_Text | _Break | _DataTable]) -> Iterator[_Line | _DataTable]:
    """The non-empty lines of text, and the data tables between them, in order."""
    pieces: list[_Text] = []

    def flush() -> Iterator[_Line]:
        text = _normalise("".join(piece.text for piece in pieces))
        if text:
            yield _Line(text, next(piece.line for piece in pieces if piece.text.strip()))
        pieces.clear()

    for event in events:
        if isinstance(event, _Text):
            pieces.append(event)
            continue
        yield from flush()
        if isinstance(event, _DataTable):
            yield event
    yield from flush()


def _text_of(element: etree._Element, line: int) -> list[_Line]:
    """The lines of text of a cell or caption, every table inside it read as text."""
    return [item for item in _lines(_events(element, line, in_cell=True)) if isinstance(item, _Line)]


def _blocks(root: lxml.html.HtmlElement) -> Iterator[Block]:
    for item in _lines(_events(root, 1, in_cell=False)):
        if isinstance(item, _DataTable):
            yield from _table_blocks(item.element, item.line)
        else:
            yield Paragraph(item.text, item.line)


# --- tables ----------------------------------------------------------------------------------------


def _rows_of(table: etree._Element) -> list[etree._Element]:
    """The table's own <tr>s, in document order, not those of tables nested in its cells."""
    rows: list[etree._Element] = []
    for child in table:
        if _tag(child) == "tr":
            rows.append(child)
        elif _tag(child) in _ROW_GROUPS:
            rows.extend(row for row in child if _tag(row) == "tr")
    return rows


def _cells_of(row: etree._Element) -> list[etree._Element]:
    return [cell for cell in row if _tag(cell) in _CELLS]


def _is_layout_table(table: etree._Element) -> bool:
    """A frame around content rather than a table of figures: one column, or holding a longer table."""
    rows = _rows_of(table)
    if all(len(_cells_of(row)) <= 1 for row in rows):
        return True
    return any(len(_rows_of(inner)) >= len(rows) for inner in table.iterdescendants("table"))


def _span(cell: etree._Element, attribute: str) -> int | None:
    """A rowspan/colspan as browsers read it (leading digits); None when absent or unreadable."""
    match = _LEADING_DIGITS.match(cell.get(attribute) or "")
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class PrintedCell:
    """A <td>/<th> as written: its text, line, and how many grid rows and columns it covers."""

    text: str
    line: int
    rowspan: int = 1
    colspan: int = 1


def _printed_cell(cell: etree._Element, line: int, rows_left: int) -> PrintedCell:
    lines = _text_of(cell, line)
    rowspan = _span(cell, "rowspan")
    rowspan = rows_left if rowspan == 0 else min(max(rowspan or 1, 1), rows_left)  # 0: to the table's end
    colspan = min(max(_span(cell, "colspan") or 1, 1), _MAX_COLSPAN)
    text = "\n".join(item.text for item in lines)
    return PrintedCell(text, lines[0].line if lines else _start_line(cell, line), rowspan, colspan)


def expand_grid(rows: list[tuple[int, list[PrintedCell]]]) -> list[Row]:
    """Rows of (row line, printed cells) -> Rows of the full grid, merged cells copied as `spanned`.

    Each cell takes the first grid position of its row not yet covered by a cell from a row above. A copy
    in a later row carries that row's line, so every Row names its own line. A position no cell covers,
    left of a covered one, becomes an empty cell; rows keep their own length (no padding on the right).
    A row with no cells at all is left out.
    """
    grid: dict[tuple[int, int], Cell] = {}
    for r, (_, cells) in enumerate(rows):
        column = 0
        for printed in cells:
            while (r, column) in grid:
                column += 1
            for dr in range(min(printed.rowspan, len(rows) - r)):
                line = printed.line if dr == 0 else rows[r + dr][0]
                for dc in range(printed.colspan):
                    copy = dr > 0 or dc > 0
                    grid.setdefault((r + dr, column + dc), Cell(printed.text, line, spanned=copy))
            column += printed.colspan
    expanded: list[Row] = []
    for r, (row_line, _) in enumerate(rows):
        width = max((c + 1 for (row, c) in grid if row == r), default=0)
        if width:
            expanded.append(Row(tuple(grid.get((r, c), Cell("", row_line)) for c in range(width))))
    return expanded


def _table_blocks(table: etree._Element, line: int) -> Iterator[Block]:
    """The caption as a Paragraph (it names the table), then the Table."""
    starts: dict[etree._Element, int] = {}
    _content_lines(table, line, starts)
    for caption in (child for child in table if _tag(child) == "caption"):
        for item in _text_of(caption, starts[caption]):
            yield Paragraph(item.text, item.line)
    tr_elements = _rows_of(table)
    printed_rows = [
        (
            starts[tr],
            [_printed_cell(cell, starts[cell], len(tr_elements) - index) for cell in _cells_of(tr)],
        )
        for index, tr in enumerate(tr_elements)
    ]
    rows = expand_grid(printed_rows)
    if rows:
        yield Table(tuple(rows))
