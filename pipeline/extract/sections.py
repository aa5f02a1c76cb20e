"""Which table rows belong to which report table.

In: a Document. Out: for each section (proactive = table 2, applications = table 3, review_litigation =
table 4) the rows that belong to it, in order. A table row holding an anchor label (a header the template
prints) starts that section; a section heading in the prose (「三、收到和处理政府信息公开申请情况」) starts it
too, and a heading of a later part (「五、存在的主要问题」) ends it. Between them the section carries over
from table to table, so a table torn into pieces (page breaks, PDF conversions) stays whole.
"""

from __future__ import annotations

import re
import weakref

from pipeline.document import Document, Paragraph, Row
from pipeline.text import compact
from pipeline.vocabulary import Vocabulary

ANCHORS: dict[str, set[tuple[str, str]]] = {
    "proactive": {("heading", "article_item"), ("heading", "content_header")},
    "applications": {
        ("heading", "applicant_header"),
        ("applicant_type", "natural_person"),
        ("category", "new_received"),
    },
    "review_litigation": {("category", "reconsideration"), ("category", "litigation_direct")},
}
# Section headings of 2019+ reports, numbered or not; None ends the tables' part of the report.
_HEADINGS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"主动公开政府信息(?:的)?情况"), "proactive"),
    (re.compile(r"收到和处理政府信息公开申请"), "applications"),
    (re.compile(r"行政复议.{0,4}行政诉讼"), "review_litigation"),
    (re.compile(r"存在的主要问题|其他需要报告"), None),
)
_MAX_HEADING_CHARS = 40
_MAX_ANCHOR_CHARS = 80  # a longer cell is prose, not a table header
_ANCHOR_KINDS = ("heading", "applicant_type", "category")


def _heading_section(paragraph: Paragraph) -> tuple[bool, str | None]:
    text = compact(paragraph.text)
    if len(text) > _MAX_HEADING_CHARS:
        return False, None
    for pattern, section in _HEADINGS:
        if pattern.search(text):
            return True, section
    return False, None


def _cell_anchor(text: str, vocabulary: Vocabulary) -> str | None:
    """The section whose anchor label the cell text is, or None."""
    if not compact(text) or len(text) > _MAX_ANCHOR_CHARS:
        return None
    for section, anchors in ANCHORS.items():
        term = vocabulary.match(text, section, _ANCHOR_KINDS)
        if term and (term.kind, term.code) in anchors:
            return section
    return None


# Vocabulary -> {cell text: its anchor section or None}: reports print the same few hundred cell texts.
_anchor_memos: weakref.WeakKeyDictionary[Vocabulary, dict[str, str | None]] = weakref.WeakKeyDictionary()
_MEMO_ENTRIES = 50_000


def _anchored_section(row: Row, memo: dict[str, str | None], vocabulary: Vocabulary) -> str | None:
    for cell in row.cells:
        if cell.spanned:
            continue
        text = cell.text
        try:
            section = memo[text]
        except KeyError:
            if len(memo) >= _MEMO_ENTRIES:
                memo.clear()
            section = memo[text] = _cell_anchor(text, vocabulary)
        if section:
            return section
    return None


def rows_by_section(document: Document, vocabulary: Vocabulary) -> dict[str, list[Row]]:
    memo = _anchor_memos.get(vocabulary)
    if memo is None:
        memo = _anchor_memos[vocabulary] = {}
    sections: dict[str, list[Row]] = {}
    current: str | None = None
    for block in document.blocks:
        if isinstance(block, Paragraph):
            is_heading, section = _heading_section(block)
            if is_heading:
                current = section
            continue
        for row in block.rows:
            anchored = _anchored_section(row, memo, vocabulary)
            if anchored:
                current = anchored
            if current:
                sections.setdefault(current, []).append(row)
    return sections
