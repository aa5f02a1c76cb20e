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
# What _walk does with an element, by tag (one look-up instead of a test per set); inline elements
# (span, a, b, font, Word's o:p…) have no role.
_SKIP, _CHROME_PART, _BREAK, _TABLE, _BLOCK_START = range(5)
_ROLES = (
    {tag: _BLOCK_START for tag in _BLOCK}
    | {tag: _SKIP for tag in _IGNORED}
    | {tag: _CHROME_PART for tag in _CHROME}
    | {"br": _BREAK, "table": _TABLE}
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


# A piece of text of a line being read, and the line where the piece starts: (text, line). Plain tuples,
# not NamedTuples: pages have thousands of them.
_Text = tuple[str, int]
# One line of text as shown, the source line where it begins, and its pieces when it may run over several
# source lines (for _source_line_breaks, called only for paragraphs: cells keep the line they begin on).
_Line = tuple[str, int, tuple[_Text, ...]]


@dataclass(frozen=True)
class _DataTable:
    captions: list[_Line]  # the text of its <caption>s
    rows: list[tuple[int, list[PrintedCell]]]  # (line of the <tr>, its cells), for expand_grid


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
    if text[0].isspace():  # else nothing to count, and no copy of the text to make for it
        line += text.count("\n", 0, len(text) - len(text.lstrip()))
    return line


def _start_line(element: etree._Element, line: int) -> int:
    """Where an element's content starts, given the line its start tag begins on: a long start tag may
    wrap over lines, which only libxml2's `sourceline` (the line where the tag ends) shows."""
    return max(line, element.sourceline or 0)


def _end_line(element: etree._Element, line: int) -> int:
    """The line where the element ends, given the line its start tag begins on (for content not read)."""
    if isinstance(element.tag, str):  # _start_line, inlined
        sourceline = element.sourceline
        if sourceline and sourceline > line:
            line = sourceline
    text = element.text
    if text:
        line += text.count("\n")
    for child in element:
        line = _end_line(child, line)
        tail = child.tail
        if tail:
            line += tail.count("\n")
    return line


def _walk(element: etree._Element, line: int, in_cell: bool, pieces: list[_Text], out: list[_Line | _DataTable]) -> int:
    """Appends the element's content to `out` as lines of text and data tables, in document order; returns
    the line where the element ends. `pieces` holds the text of the line not yet ended (see `_flush`).

    Outside cells a data table is one `_DataTable`; inside a cell (`in_cell`) every table is text. A <br>
    and the edges of block elements end a line. (One function, not a chain of generators: it runs for every
    element of every page; each access to an lxml element makes Python objects, hence the locals.)
    Blank text at the start of a line is not kept: the line would show the same without it.
    """
    sourceline = element.sourceline  # _start_line: `element` is an element, never a comment
    if sourceline and sourceline > line:
        line = sourceline
    text = element.text
    if text:
        if pieces or not text.isspace():
            pieces.append((text, line))
        line += text.count("\n")
    if not len(element):  # a leaf (<o:p>, an empty <span>): no child iterator to make
        return line
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):  # comments and processing instructions
            line = _end_line(child, line)
        else:
            role = _ROLES.get(tag.lower())
            if role == _CHROME_PART:
                role = _SKIP if _is_ignored(child) else _BLOCK_START
            elif role == _TABLE and (in_cell or _is_layout_table(child)):
                role = _BLOCK_START
            if role is None:  # inline: the line goes on
                line = _walk(child, line, in_cell, pieces, out)
            elif role == _BLOCK_START:
                if pieces:
                    _flush(pieces, out)
                line = _walk(child, line, in_cell, pieces, out)
                if pieces:
                    _flush(pieces, out)
            elif role == _BREAK:
                if pieces:
                    _flush(pieces, out)
                sourceline = child.sourceline
                if sourceline and sourceline > line:
                    line = sourceline
            elif role == _TABLE:  # a data table
                if pieces:
                    _flush(pieces, out)
                table, line = _read_table(child, line)
                out.append(table)
            else:  # _SKIP
                line = _end_line(child, line)
        tail = child.tail
        if tail:
            if pieces or not tail.isspace():
                pieces.append((tail, line))
            line += tail.count("\n")
    return line


def _flush(pieces: list[_Text], out: list[_Line | _DataTable]) -> None:
    """Ends the current line: its text goes to `out`. (Its first piece shows text: see `_walk`.)"""
    text, line = pieces[0]
    if len(pieces) == 1:
        shown = _normalise(text)
        out.append((shown, _first_text_line(text, line), (pieces[0],) if "\n" in text else ()))
    else:
        shown = _normalise("".join([text for text, _ in pieces]))
        out.append((shown, _first_text_line(text, line), tuple(pieces)))
    pieces.clear()


def _source_line_breaks(pieces: tuple[_Text, ...], shown: str) -> tuple[tuple[int, int], ...]:
    """Where in the shown text later source lines begin, as (offset, line). `shown` keeps every character
    of the pieces but markup whitespace, in order: the n-th such character is the n-th in both."""
    later_lines: list[tuple[int, int]] = []  # (characters before it, line) of each later line's first one
    kept, current = 0, 0
    for text, line in pieces:
        for number, segment in enumerate(text.split("\n"), start=line):
            count = len(segment) - sum(segment.count(space) for space in " \t\r\f")
            if not count:
                continue
            if current and number > current:
                later_lines.append((kept, number))
            current = number
            kept += count
    if not later_lines:
        return ()
    breaks: list[tuple[int, int]] = []
    kept = 0
    for offset, char in enumerate(shown):
        if char != " ":
            if kept == later_lines[len(breaks)][0]:
                breaks.append((offset, later_lines[len(breaks)][1]))
                if len(breaks) == len(later_lines):
                    break
            kept += 1
    return tuple(breaks)


def _lines(element: etree._Element, line: int, in_cell: bool) -> tuple[list[_Line | _DataTable], int]:
    """The non-empty lines of text of the element, and the data tables between them, in order; and the line
    where the element ends. `line` is the line its start tag begins on."""
    pieces: list[_Text] = []
    out: list[_Line | _DataTable] = []
    line = _walk(element, line, in_cell, pieces, out)
    if pieces:
        _flush(pieces, out)
    return out, line


def _normalise(text: str) -> str:
    """Whitespace as a browser shows it: runs of markup whitespace are one space, no space at either end."""
    if text.isspace():  # the indentation between tags, mostly
        return ""
    if text.isprintable() and "  " not in text:  # most cell texts: no whitespace but single spaces
        return text.strip()
    return _MARKUP_SPACE.sub(" ", _CJK_WRAP.sub("", text)).strip()


def _blocks(root: etree._Element) -> Iterator[Block]:
    items, _ = _lines(root, 1, in_cell=False)
    for item in items:
        if isinstance(item, _DataTable):
            yield from _table_blocks(item)
        else:
            yield _paragraph(item)


def _paragraph(shown_line: _Line) -> Paragraph:
    text, line, pieces = shown_line
    return Paragraph(text, line, _source_line_breaks(pieces, text) if pieces else ())


# --- tables ----------------------------------------------------------------------------------------


def _rows_of(table: etree._Element) -> list[etree._Element]:
    """The table's own <tr>s, in document order, not those of tables nested in its cells."""
    rows: list[etree._Element] = []
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in _ROW_GROUPS:
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


def _span(value: str) -> int | None:
    """A rowspan/colspan attribute as browsers read it (leading digits); None when unreadable."""
    match = _LEADING_DIGITS.match(value)
    return int(match.group(1)) if match else None


# A <td>/<th> as written: (text, line, rowspan, colspan), the last two how many grid rows and columns it
# covers. A plain tuple, not a NamedTuple: pages have hundreds of them.
PrintedCell = tuple[str, int, int, int]


def _read_table(table: etree._Element, line: int) -> tuple[_DataTable, int]:
    """A data table's captions and rows, and the line where it ends, in one pass over its elements (every
    line is counted along the text, so reading a cell's text also says where the next one starts).

    Its rows are its own <tr>s, also inside <thead>/<tbody>/<tfoot>, not those of tables in its cells;
    whatever else it holds only counts for the lines.
    """
    line = _start_line(table, line)
    captions: list[_Line] = []
    rows: list[tuple[int, list[PrintedCell]]] = []
    text = table.text
    if text:
        line += text.count("\n")
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            line = _read_row(child, line, rows)
        elif tag in _ROW_GROUPS:
            line = _start_line(child, line)
            text = child.text
            if text:
                line += text.count("\n")
            for row in child:
                line = _read_row(row, line, rows) if _tag(row) == "tr" else _end_line(row, line)
                tail = row.tail
                if tail:
                    line += tail.count("\n")
        elif tag == "caption":
            lines, line = _lines(child, line, in_cell=True)
            captions.extend(lines)  # only _Lines: in a caption, tables are text
        else:
            line = _end_line(child, line)
        tail = child.tail
        if tail:
            line += tail.count("\n")
    return _DataTable(captions, rows), line


def _read_row(tr: etree._Element, line: int, rows: list[tuple[int, list[PrintedCell]]]) -> int:
    """Appends the <tr>'s line and cells to `rows`; returns the line where it ends."""
    line = row_line = _start_line(tr, line)
    cells: list[PrintedCell] = []
    text = tr.text
    if text:
        line += text.count("\n")
    for child in tr:
        if _tag(child) in _CELLS:
            cell, line = _printed_cell(child, line)
            cells.append(cell)
        else:
            line = _end_line(child, line)
        tail = child.tail
        if tail:
            line += tail.count("\n")
    rows.append((row_line, cells))
    return line


def _printed_cell(cell: etree._Element, line: int) -> tuple[PrintedCell, int]:
    """The cell as printed, and the line where it ends. `line` is the line its start tag begins on.

    Its text is its lines joined by "\\n", every table inside it read as text; its line is where that text
    begins, or where the start tag ends if there is none; its rowspan is as written (0: to the table's end).
    """
    line = _start_line(cell, line)
    rowspan = colspan = 1
    written = cell.get("rowspan")
    if written is not None:  # seldom: a merged cell
        rowspan = _span(written)
        rowspan = 0 if rowspan == 0 else max(rowspan or 1, 1)
    written = cell.get("colspan")
    if written is not None:
        colspan = min(max(_span(written) or 1, 1), _MAX_COLSPAN)
    if not len(cell):  # nothing inside but text (many cells): what _walk makes of it, more cheaply
        text = cell.text
        if not text:
            return ("", line, rowspan, colspan), line
        shown = _normalise(text)
        return (shown, _first_text_line(text, line) if shown else line, rowspan, colspan), line + text.count("\n")
    lines, end_line = _lines(cell, line, in_cell=True)  # only _Lines: in a cell, tables are text
    if not lines:
        return ("", line, rowspan, colspan), end_line
    text = lines[0][0] if len(lines) == 1 else "\n".join([shown for shown, _, _ in lines])
    return (text, lines[0][1], rowspan, colspan), end_line


def expand_grid(rows: list[tuple[int, list[PrintedCell]]]) -> list[Row]:
    """Rows of (row line, printed cells) -> Rows of the full grid, merged cells copied as `spanned`.

    Each cell takes the first grid position of its row not yet covered by a cell from a row above. A copy
    in a later row carries that row's line, so every Row names its own line. A rowspan that reaches past
    the last row ends there, as does one of 0 (HTML: to the table's end). A position no cell covers, left
    of a covered one, becomes an empty cell; rows keep their own length (no padding on the right). A row
    with no cells at all is left out.
    """
    grid: list[list[Cell | None]] = [[] for _ in rows]  # each grid row up to its last covered position
    for r, (_, cells) in enumerate(rows):
        rows_left = len(rows) - r
        column = 0
        covered = grid[r]
        for text, line, rowspan, colspan in cells:
            while column < len(covered) and covered[column] is not None:
                column += 1
            if rowspan == 1 and colspan == 1 and column == len(covered):  # most cells: no merging, no gap
                covered.append(Cell(text, line))
                column += 1
                continue
            for dr in range(rowspan if 0 < rowspan <= rows_left else rows_left):
                target = grid[r + dr]
                if len(target) < column + colspan:
                    target.extend([None] * (column + colspan - len(target)))
                copy_line = line if dr == 0 else rows[r + dr][0]
                for dc in range(colspan):
                    if target[column + dc] is None:
                        target[column + dc] = Cell(text, copy_line, dr > 0 or dc > 0)
            column += colspan
    expanded: list[Row] = []
    for (row_line, _), cells in zip(rows, grid, strict=True):
        if cells:
            expanded.append(Row(tuple([Cell("", row_line) if cell is None else cell for cell in cells])))
    return expanded


def _table_blocks(table: _DataTable) -> Iterator[Block]:
    """The caption as a Paragraph (it names the table), then the Table."""
    for caption in table.captions:
        yield _paragraph(caption)
    rows = expand_grid(table.rows)
    if rows:
        yield Table(tuple(rows))
