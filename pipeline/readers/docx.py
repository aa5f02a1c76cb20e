"""Reader for Word files: DOCX bytes -> Document.

In: the bytes of a .docx (a ZIP of WordprocessingML parts). Out: a `Document` of the body's paragraphs and
tables in document order, read from the main document part (word/document.xml, or wherever _rels/.rels
points) with zipfile and lxml, no Word library.

- Paragraphs: one Paragraph per body <w:p> with text; a line break inside it (<w:br/>, <w:cr/>) starts a
  new Paragraph with the same line. Tabs read as spaces; page and column breaks, deleted and moved-away
  text (tracked changes), field codes and text boxes are not read.
- Tables: each <w:tr> becomes a Row of the table's full grid. A cell spanning columns (<w:gridSpan>) is
  followed by copies of itself marked `spanned`; a cell continuing a vertical merge (<w:vMerge/> without
  "restart") is a `spanned` copy of the cell above. Grid columns a row skips (<w:gridBefore>) are empty
  cells. The paragraphs of a cell are joined with "\\n" (empty ones left out); a table inside a cell is
  read as more lines of that cell's text.
- Content controls (<w:sdt>) and custom XML wrappers are read through, as Word shows them.
- `line`: DOCX has no lines, so `line` is the 1-based ordinal of a paragraph in document order, counting
  every <w:p> of the main part (empty ones, those inside table cells and text boxes included): the one
  the paragraph's text is in, or for a cell the first of its paragraphs that has text (its first
  paragraph if none has).
- `Document.lines` is a text rendering (`document.render_lines`); `encoding` is None.

Raises `UnreadableFile` for a damaged ZIP or malformed XML, `UnsupportedFormat` for a ZIP that is not a
Word document.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from pipeline.decode import UnreadableFile
from pipeline.document import Block, Cell, Document, Paragraph, Row, Table, render_lines

_DEFAULT_MAIN_PART = "word/document.xml"
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MARKUP_COMPATIBILITY = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_SPACES = re.compile(r"[ \t\r\n\f]+")
# Word allows 63 columns; a damaged gridSpan or gridBefore (w:val="999999999") must not build a grid that
# fills the memory. The cap browsers put on an HTML colspan (readers/html.py) does for both.
_MAX_COLUMNS = 1000
# What a damaged archive raises: bad headers or directory, corrupt deflate data, truncation, odd methods.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)


class _Names:
    """Qualified tag names in the document's WordprocessingML namespace (transitional or strict)."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def __getattr__(self, local: str) -> str:
        name = f"{{{self.namespace}}}{local}"
        setattr(self, local, name)  # asked once per name: later reads are plain attribute reads
        return name


@dataclass(frozen=True)
class _Context:
    w: _Names
    ordinals: dict[etree._Element, int]  # every <w:p> -> its 1-based ordinal in document order
    texts: dict[etree._Element, str]  # the text of most <w:p>, found in one pass (see _paragraphs)
    properties: dict[tuple[etree._Element, str], dict[str, etree._Element]]  # see _grid_properties
    not_text: frozenset[str]  # elements inside a paragraph whose content is not its text
    text_boxes: bool  # whether the document has any text box (<w:txbxContent>)


def _context(root: etree._Element, w: _Names) -> _Context:
    # Properties (tab stops are <w:tab> too), text boxes (paragraphs of their own), text moved away
    # (tracked changes: it is also at its new place), and the fallback copy of alternate content.
    not_text = frozenset({w.pPr, w.rPr, w.txbxContent, w.moveFrom, f"{{{_MARKUP_COMPATIBILITY}}}Fallback"})
    ordinals, texts = _paragraphs(root, w)
    properties = _grid_properties(root, w)
    return _Context(w, ordinals, texts, properties, not_text, next(root.iter(w.txbxContent), None) is not None)


def _paragraphs(root: etree._Element, w: _Names) -> tuple[dict[etree._Element, int], dict[etree._Element, str]]:
    """Every <w:p> with its ordinal, and the text of those whose text is just the <w:t> of their runs.

    Walking a paragraph in Python (_run_text) costs more than all the rest of its reading, and nearly every
    paragraph is runs of <w:t> and nothing else with text. One pass over the document's <w:p>, <w:t> and
    other text elements finds those: in document order, an element can only be in the last <w:p> before it
    when no <w:p> is inside another. A paragraph is left to _run_text if it has a <w:t> that is not in a
    run of its own (in properties, a hyperlink, a tracked change...) or another text element, shown or not,
    but a tab stop.
    """
    # Paragraphs in paragraphs (text boxes) are left to _run_text, and so is a document without a namespace
    # (no WordprocessingML), for which an XPath has no prefix.
    if not w.namespace or root.xpath("boolean(//w:p//w:p)", namespaces={"w": w.namespace}):
        return {p: n for n, p in enumerate(root.iter(w.p), start=1)}, {}
    ordinals: dict[etree._Element, int] = {}
    texts: dict[etree._Element, str] = {}
    paragraph = None
    pieces: list[str] | None = None  # the <w:t> texts of `paragraph`, None once it is left to _run_text
    for element in root.iter(w.p, w.t, w.tab, w.ptab, w.br, w.cr, w.noBreakHyphen):
        tag = element.tag
        if tag == w.p:
            if pieces is not None:
                texts[paragraph] = "".join(pieces)
            paragraph = element
            ordinals[paragraph] = len(ordinals) + 1
            pieces = []
        elif pieces is not None:
            parent = element.getparent()
            if tag == w.t and parent.tag == w.r and parent.getparent() is paragraph:
                pieces.append(element.text or "")
            elif not (tag == w.tab and parent.tag == w.tabs and parent.getparent().tag == w.pPr):  # a tab stop
                pieces = None
    if pieces is not None:
        texts[paragraph] = "".join(pieces)
    return ordinals, texts


def read_docx(data: bytes) -> Document:
    root = _main_document(data)
    w = _Names(etree.QName(root).namespace or "")
    body = root.find(w.body)
    if body is None:
        raise UnreadableFile("Word document without a body (no <w:body> in the main document part)")
    context = _context(root, w)
    blocks = tuple(_blocks(body, context))
    return Document(blocks=blocks, lines=render_lines(blocks), reader="docx", encoding=None)


# --- the package -----------------------------------------------------------------------------------


def _main_document(data: bytes) -> etree._Element:
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as err:
        raise UnreadableFile(f"damaged ZIP container (DOCX?): {err}") from err
    with package:
        name = _main_part_name(package)
        root = _parse_xml(_read_part(package, name), name)
    if etree.QName(root).localname != "document":
        raise _not_a_word_document(f"{name} holds <{etree.QName(root).localname}>, not a Word document")
    return root


def _read_part(package: zipfile.ZipFile, name: str) -> bytes:
    try:
        return package.read(name)
    except _ZIP_ERRORS as err:
        raise UnreadableFile(f"damaged ZIP container (DOCX?): cannot read {name} ({err})") from err


def _main_part_name(package: zipfile.ZipFile) -> str:
    """The main document part: the officeDocument relationship of _rels/.rels, else word/document.xml."""
    names = set(package.namelist())
    target = None
    if "_rels/.rels" in names:
        relationships = _parse_xml(_read_part(package, "_rels/.rels"), "_rels/.rels")
        target = next(
            (
                rel.get("Target", "").lstrip("/")
                for rel in relationships.iter(_RELATIONSHIPS)
                if rel.get("Type", "").endswith("/officeDocument")
            ),
            None,
        )
    name = target if target in names else _DEFAULT_MAIN_PART
    if name not in names:
        raise _not_a_word_document(f"a ZIP container without {_DEFAULT_MAIN_PART}: not a Word (.docx) file")
    return name


def _not_a_word_document(message: str) -> Exception:
    from pipeline.readers import UnsupportedFormat  # here, not at the top: pipeline.readers imports this module

    return UnsupportedFormat(message)


def _parse_xml(xml: bytes, name: str) -> etree._Element:
    # No entities, no network: a document is data, never a reason to fetch or expand anything.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as err:
        raise UnreadableFile(f"damaged Word document: {name} is not well-formed XML ({err})") from err


# --- text ------------------------------------------------------------------------------------------


def _run_text(element: etree._Element, context: _Context, out: list[str]) -> None:
    """The text of a paragraph's runs, in order, appended to `out`."""
    w = context.w
    for child in element:
        tag = child.tag
        if tag == w.t:
            out.append(child.text or "")
        elif tag == w.tab or tag == w.ptab:
            out.append(" ")
        elif tag == w.br:
            if child.get(w.type) in (None, "textWrapping"):  # page and column breaks are no line of text
                out.append("\n")
        elif tag == w.cr:
            out.append("\n")
        elif tag == w.noBreakHyphen:
            out.append("-")
        elif isinstance(tag, str) and tag not in context.not_text:
            _run_text(child, context, out)


def _paragraph_lines(paragraph: etree._Element, context: _Context) -> list[str]:
    """The paragraph's lines of text, spaces collapsed, empty ones left out."""
    text = context.texts.get(paragraph)
    if text is None:
        pieces: list[str] = []
        _run_text(paragraph, context, pieces)
        text = "".join(pieces)
    if "\n" not in text:  # nearly always: a single line
        line = _SPACES.sub(" ", text).strip()
        return [line] if line else []
    return [line for part in text.split("\n") if (line := _SPACES.sub(" ", part).strip())]


def _block_elements(container: etree._Element, w: _Names, wanted: tuple[str, ...]) -> Iterator[etree._Element]:
    """Children with one of the wanted tags, read through content controls and custom XML wrappers."""
    for child in container:
        if child.tag in wanted:
            yield child
        elif child.tag in (w.sdt, w.sdtContent, w.customXml):
            yield from _block_elements(child, w, wanted)


def _blocks(body: etree._Element, context: _Context) -> Iterator[Block]:
    w = context.w
    for element in _block_elements(body, w, (w.p, w.tbl)):
        if element.tag == w.p:
            line = context.ordinals[element]
            yield from (Paragraph(text, line) for text in _paragraph_lines(element, context))
        else:
            rows = _table_rows(element, context)
            if rows:
                yield Table(tuple(rows))


# --- tables ----------------------------------------------------------------------------------------


def _cell_text(cell: etree._Element, context: _Context, default_line: int) -> tuple[str, int]:
    """The cell's text, its paragraphs joined with "\\n", and the line of the first one with text."""
    w = context.w
    if context.text_boxes:  # a search for each paragraph, so only in documents that have text boxes
        paragraphs = [p for p in cell.iter(w.p) if next(p.iterancestors(w.txbxContent), None) is None]
    else:
        paragraphs = list(cell.iter(w.p))
    lines: list[str] = []
    line = None
    for paragraph in paragraphs:
        texts = _paragraph_lines(paragraph, context)
        if texts and line is None:
            line = context.ordinals[paragraph]
        lines.extend(texts)
    if line is None:
        line = context.ordinals[paragraphs[0]] if paragraphs else default_line
    return "\n".join(lines), line


def _grid_properties(root: etree._Element, w: _Names) -> dict[tuple[etree._Element, str], dict[str, etree._Element]]:
    """The grid properties of rows and cells: (tr, w.trPr) or (tc, w.tcPr) -> {tag: the first of each}.

    What tr.find("trPr/gridBefore") or tc.find("tcPr/gridSpan") finds, for every row and cell in one pass:
    a search in each cell costs more, and few cells have any of these properties. Found elsewhere (in a
    <w:tcPrChange>, say), one is filed under another key, which nothing asks for.
    """
    found: dict[tuple[etree._Element, str], dict[str, etree._Element]] = {}
    for element in root.iter(w.gridBefore, w.gridSpan, w.vMerge, w.hMerge):
        group = element.getparent()
        found.setdefault((group.getparent(), group.tag), {}).setdefault(element.tag, element)
    return found


def _int_value(element: etree._Element | None, w: _Names, default: int) -> int:
    """A count of grid columns (gridSpan, gridBefore), between 0 and _MAX_COLUMNS."""
    try:
        return min(max(int(element.get(w.val)), 0), _MAX_COLUMNS) if element is not None else default
    except (TypeError, ValueError):
        return default


def _continues(merge: etree._Element | None, w: _Names) -> bool:
    """True for a cell that continues a merge (vMerge/hMerge without val="restart")."""
    return merge is not None and merge.get(w.val, "continue") == "continue"


def _table_rows(table: etree._Element, context: _Context) -> list[Row]:
    w = context.w
    rows: list[Row] = []
    above: dict[int, Cell] = {}  # the previous row's cells by grid column, for vertical merges
    last_line = 0
    for tr in _block_elements(table, w, (w.tr,)):
        cells: dict[int, Cell] = {}
        column = _int_value(context.properties.get((tr, w.trPr), {}).get(w.gridBefore), w, 0)
        for tc in _block_elements(tr, w, (w.tc,)):
            text, line = _cell_text(tc, context, last_line)
            last_line = line
            properties = context.properties.get((tc, w.tcPr), {})
            span = max(_int_value(properties.get(w.gridSpan), w, 1), 1)
            if _continues(properties.get(w.vMerge), w) and column in above:
                text, first_is_copy = above[column].text, True
            elif _continues(properties.get(w.hMerge), w) and column - 1 in cells:
                text, first_is_copy = cells[column - 1].text, True  # Word 97's horizontal merge
            else:
                first_is_copy = False
            for offset in range(span):
                cells[column + offset] = Cell(text, line, spanned=first_is_copy or offset > 0)
            column += span
        if cells:
            row_line = min(cell.line for cell in cells.values())
            rows.append(Row(tuple(cells[c] if c in cells else Cell("", row_line) for c in range(max(cells) + 1))))
            above = cells
    return rows
