"""Which table rows belong to which report table.

In: a Document. Out: for each section (proactive = table 2, applications = table 3, review_litigation =
table 4) the rows that belong to it, in order. A section starts at a row holding one of its anchor labels
(a header the template prints), so two tables the reader could not separate are still told apart, and a
table split over several blocks (page breaks) is joined again.
"""

from __future__ import annotations

from pipeline.document import Document, Row
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


def _anchored_section(row: Row, vocabulary: Vocabulary) -> str | None:
    for cell in row.cells:
        if cell.spanned or cell.is_empty or len(cell.text) > 80:
            continue
        for section, anchors in ANCHORS.items():
            term = vocabulary.match(cell.text, section, ("heading", "applicant_type", "category"))
            if term and (term.kind, term.code) in anchors:
                return section
    return None


def rows_by_section(document: Document, vocabulary: Vocabulary) -> dict[str, list[Row]]:
    sections: dict[str, list[Row]] = {}
    for table in document.tables:
        current: str | None = None
        for row in table.rows:
            anchored = _anchored_section(row, vocabulary)
            if anchored:
                current = anchored
            if current:
                sections.setdefault(current, []).append(row)
    return sections
