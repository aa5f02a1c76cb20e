"""Reader for web pages: HTML text -> Document.

In: the decoded text of a web page or of a fragment of one (a saved page, a crawler's capture, Word's
"Save as Web Page" export with its mso styles and <o:p> tags) and the encoding it was decoded from.
Out: a `Document` of the page's paragraphs and tables in reading order, parsed with lxml's HTML parser.

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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

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


class _Text(NamedTuple):  # a tuple: pages have thousands of them
    text: str
    line: int  # where the first non-space character stands


@dataclass(frozen=True)
class _DataTable:
    element: etree._Element
    line: int  # where the table's start tag begins
    starts: dict[etree._Element, int]  # where the content of each element inside it starts (_content_lines)


class _Line(NamedTuple):
    """One line of text as shown, with the source line where it begins."""

    text: str
    line: int


def read_html(text: str, encoding: str | None) -> Document:
    root, notes = _parse(text)
    blocks = tuple(_blocks(root))
    return Document(blocks=blocks, lines=render_lines(blocks), reader="html", encoding=encoding, notes=notes)


def _parse(text: str) -> tuple[etree._Element, tuple[str, ...]]:
    """The page's tree, and a note for each error that made libxml2 stop reading (content after it is lost)."""
    # libxml2 counts only \n as a line break; pipeline.decode also counts \r\n and a lone \r.
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    # Bytes with an explicit encoding: lxml refuses str input that carries an XML encoding declaration,
    # and a <meta charset> must not undo the decoding pipeline.decode already did.
    # etree's HTMLParser is lxml.html's without its element classes (the same tree; no Python call for
    # every element the walk touches), and this is lxml.html.document_fromstring
    parser = etree.HTMLParser(encoding="utf-8")
    try:
        root = etree.fromstring(source.encode("utf-8", "surrogatepass"), parser=parser)
        if root is None:
            raise etree.ParserError("Document is empty")
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
    if isinstance(element.tag, str):  # _start_line, inlined: this runs for every element of every table
        sourceline = element.sourceline
        if sourceline and sourceline > line:
            line = sourceline
    starts[element] = line
    text = element.text
    if text:
        line += text.count("\n")
    for child in element:
        line = _content_lines(child, line, starts)
        tail = child.tail
        if tail:
            line += tail.count("\n")
    return line


def _end_line(element: etree._Element, line: int) -> int:
    return _content_lines(element, line, {})


def _walk(element: etree._Element, line: int, in_cell: bool, pieces: list[_Text], out: list[_Line | _DataTable]) -> int:
    """Appends the element's content to `out` as lines of text and data tables, in document order; returns
    the line where the element ends. `pieces` holds the text of the line not yet ended (see `_flush`).

    Outside cells a data table is one `_DataTable`; inside a cell (`in_cell`) every table is text. A <br>
    and the edges of block elements end a line. (One function, not a chain of generators: it runs for every
    element of every page.)
    """
    if isinstance(element.tag, str):  # _start_line
        sourceline = element.sourceline
        if sourceline and sourceline > line:
            line = sourceline
    text = element.text
    if text:
        pieces.append(_Text(text, _first_text_line(text, line)))
        line += text.count("\n")
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):  # comments and processing instructions
            line = _end_line(child, line)
        else:
            tag = tag.lower()
            if tag in _IGNORED or (tag in _CHROME and _is_ignored(child)):
                line = _end_line(child, line)
            elif tag == "br":
                _flush(pieces, out)
                sourceline = child.sourceline
                if sourceline and sourceline > line:
                    line = sourceline
            elif tag == "table" and not in_cell and not _is_layout_table(child):
                _flush(pieces, out)
                starts: dict[etree._Element, int] = {}
                end_line = _content_lines(child, line, starts)
                out.append(_DataTable(child, line, starts))
                line = end_line
            elif tag in _BLOCK:
                _flush(pieces, out)
                line = _walk(child, line, in_cell, pieces, out)
                _flush(pieces, out)
            else:
                line = _walk(child, line, in_cell, pieces, out)
        tail = child.tail
        if tail:
            pieces.append(_Text(tail, _first_text_line(tail, line)))
            line += tail.count("\n")
    return line


def _flush(pieces: list[_Text], out: list[_Line | _DataTable]) -> None:
    """Ends the current line: its text, if any is shown, goes to `out`."""
    if len(pieces) == 1:  # most lines: one piece, which shows text if the line does
        piece = pieces[0]
        text = _normalise(piece.text)
        if text:
            out.append(_Line(text, piece.line))
        pieces.clear()
    elif pieces:
        text = _normalise("".join(piece.text for piece in pieces))
        if text:
            out.append(_Line(text, next(piece.line for piece in pieces if piece.text.strip())))
        pieces.clear()


def _lines(element: etree._Element, line: int, in_cell: bool) -> list[_Line | _DataTable]:
    """The non-empty lines of text of the element, and the data tables between them, in order."""
    pieces: list[_Text] = []
    out: list[_Line | _DataTable] = []
    _walk(element, line, in_cell, pieces, out)
    _flush(pieces, out)
    return out


def _normalise(text: str) -> str:
    """Whitespace as a browser shows it: runs of markup whitespace are one space, no space at either end."""
    if text.isspace():  # the indentation between tags, mostly
        return ""
    return _MARKUP_SPACE.sub(" ", _CJK_WRAP.sub("", text)).strip()


def _text_of(element: etree._Element, line: int) -> list[_Line]:
    """The lines of text of a cell or caption, every table inside it read as text."""
    if not len(element):  # nothing inside but text (many cells): what _lines makes of it, more cheaply
        text = element.text
        if not text:
            return []
        shown = _normalise(text)
        return [_Line(shown, _first_text_line(text, _start_line(element, line)))] if shown else []
    return [item for item in _lines(element, line, in_cell=True) if isinstance(item, _Line)]


def _blocks(root: etree._Element) -> Iterator[Block]:
    for item in _lines(root, 1, in_cell=False):
        if isinstance(item, _DataTable):
            yield from _table_blocks(item.element, item.starts)
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
    value = cell.get(attribute)
    if value is None:  # nearly every cell
        return None
    match = _LEADING_DIGITS.match(value)
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
    widths = [0] * len(rows)  # of each grid row: one past its last covered position
    for r, (_, cells) in enumerate(rows):
        column = 0
        for printed in cells:
            while (r, column) in grid:
                column += 1
            for dr in range(min(printed.rowspan, len(rows) - r)):
                line = printed.line if dr == 0 else rows[r + dr][0]
                for dc in range(printed.colspan):
                    if (r + dr, column + dc) not in grid:
                        grid[(r + dr, column + dc)] = Cell(printed.text, line, spanned=dr > 0 or dc > 0)
                if printed.colspan > 0:
                    widths[r + dr] = max(widths[r + dr], column + printed.colspan)
            column += printed.colspan
    expanded: list[Row] = []
    for r, (row_line, _) in enumerate(rows):
        width = widths[r]
        if width:
            expanded.append(Row(tuple(grid.get((r, c), Cell("", row_line)) for c in range(width))))
    return expanded


def _table_blocks(table: etree._Element, starts: dict[etree._Element, int]) -> Iterator[Block]:
    """The caption as a Paragraph (it names the table), then the Table; `starts` from _content_lines."""
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
