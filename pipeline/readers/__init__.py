"""Step 2: raw bytes -> Document (paragraphs and table cells, each with its source line).

The reader is chosen by content, never by file extension alone (a crawled `.txt` may hold a web page):

    ZIP container (PK..)                -> docx.py        Word files
    many HTML tags                      -> html.py        web pages and fragments
    pipe-table lines (| a | b |)        -> markdown.py    PDF-to-Markdown conversions
    tables run into long prose lines    -> flattened.py   crawled pages with cells run together
    anything else                       -> text_dump.py   Word-to-text dumps (one cell per tab line)

Every reader returns the same `Document`, so the extractors are shared by all formats.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from pipeline.decode import SourceText, decode_bytes
from pipeline.document import Document
from pipeline.readers.docx import read_docx
from pipeline.readers.flattened import read_flattened
from pipeline.readers.html import read_html
from pipeline.readers.markdown import read_markdown
from pipeline.readers.text_dump import read_text_dump


class UnsupportedFormat(ValueError):
    """The content is of a kind no reader handles."""


_HTML_TAG = re.compile(r"<\s*(?:html|body|table|tr|td|th|div|p|span|br)\b", re.IGNORECASE)
_HTML_TAGS_NEEDED = 5
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$", re.MULTILINE)
_PIPE_RULE = re.compile(r"^\s*\|\s*:?-{3,}", re.MULTILINE)
_TABLE_WORDS = ("申请人情况", "本年新收", "信息内容", "统计指标", "指标名称", "行政复议")
_LONG_LINE = 400


def sniff_format(text: str) -> str:
    """html | markdown | flattened | text, from the decoded content."""
    # Word's saved pages open with tens of kilobytes of <style>: look through the whole text, stop early.
    # (The regexes are slow on long text: a text without "<" or "|" is no page or pipe table.)
    tags = _HTML_TAG.finditer(text) if "<" in text else ()
    if sum(1 for _, _ in zip(tags, range(_HTML_TAGS_NEEDED), strict=False)) >= _HTML_TAGS_NEEDED:
        return "html"
    if "|" in text and len(_PIPE_ROW.findall(text)) >= 3 and _PIPE_RULE.search(text):
        return "markdown"
    lines = text.split("\n")
    if not any(line.startswith("\t") for line in lines) and any(
        len(line) > _LONG_LINE and any(word in line for word in _TABLE_WORDS) for line in lines
    ):
        return "flattened"
    return "text"


def read_document(data: bytes) -> Document:
    if data.startswith(b"PK\x03\x04"):
        return read_docx(data)  # raises UnsupportedFormat for a ZIP that is not a Word document
    if data.startswith(b"%PDF"):
        raise UnsupportedFormat("a PDF: convert it to text or Markdown first; PDFs are not read directly")
    source = decode_bytes(data)
    document = _READERS[sniff_format(source.text)](source)
    if source.warnings:  # decoding damage is the file's problem too: keep it with the reader's notes
        document = replace(document, notes=(*source.warnings, *document.notes))
    return document


_READERS: dict[str, Callable[[SourceText], Document]] = {
    "text": lambda source: read_text_dump(source.lines, encoding=source.encoding),
    "html": lambda source: read_html(source.text, encoding=source.encoding),
    "markdown": lambda source: read_markdown(source.lines, encoding=source.encoding),
    "flattened": lambda source: read_flattened(source.lines, encoding=source.encoding),
}
