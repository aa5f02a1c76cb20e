"""Step 2: decoded text -> Document (paragraphs and table cells with source lines).

The reader is chosen by content, not by file extension: a file named .txt may hold a web page.
"""

from __future__ import annotations

import re

from pipeline.decode import SourceText
from pipeline.document import Document
from pipeline.readers.text_dump import read_text_dump


class UnsupportedFormat(ValueError):
    """The content is of a kind no reader handles yet."""


_HTML = re.compile(r"<\s*(?:html|body|table|tr|td|div|p)\b", re.IGNORECASE)


def sniff_format(text: str) -> str:
    head = text[:5000]
    if head.lstrip().startswith("PK\x03\x04"):
        return "docx"
    if len(_HTML.findall(head)) >= 3:
        return "html"
    return "text"


def read_document(source: SourceText) -> Document:
    kind = sniff_format(source.text)
    if kind == "text":
        return read_text_dump(source.lines)
    raise UnsupportedFormat(f"{kind} content: no reader for this format yet")
