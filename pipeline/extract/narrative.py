"""Figures stated in the prose of 2019+ reports -> `narrative` facts.

In: a Document's paragraphs. Out: facts of section `narrative` with `source` "prose", the sentence as
`raw` and its line. Only phrasings that say one thing are read (several per figure); a sentence the
patterns do not cover gives nothing rather than a guess. The table values stay the reference: the check
`narrative_table_agreement` compares the two and flags a contradiction.
"""

from __future__ import annotations

import bisect
import re

from pipeline.document import Document, Paragraph, Table
from pipeline.extract.common import Extraction
from pipeline.extract.values import to_number
from pipeline.facts import Fact
from pipeline.text import compact, is_page_number

_N = r"(\d+(?:\.\d+)?)"
# (category, metric, unit, patterns); a pattern's group 1 is the number, or the pattern means 0.
PHRASINGS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "proactive_items",
        "count",
        "条",
        # a short qualifier may stand between: 主动公开我区各级单位政府信息2645条
        (rf"(?:主动公开|公开|公布|发布)[^。，；\d]{{0,10}}?政府信息(?:共计|共|合计|总计)?{_N}条",),
    ),
    (
        "applications_received",
        "count",
        "件",
        (
            rf"(?:新收|收到|受理)(?:政府信息公开申请|政府信息申请公开|政府信息公开)(?:数量|数)?(?:共计|共|为)?{_N}件",
            rf"(?:新收|收到|受理)(?:各类)?(?:依申请公开|信息公开)申请(?:共计|共)?{_N}件",
            r"(?:本年度|全年|本年|今年|年内)(?:未|没有)(?:收到|受理|接到)(?:任何)?(?:政府信息公开|依申请公开|信息公开)?申请",
        ),
    ),
    (
        "applications_carried_over",
        "count",
        "件",
        (rf"上年结转(?:政府信息公开)?(?:申请)?(?:数量)?(?:为)?{_N}件",),
    ),
    (
        "reconsideration",
        "count",
        "件",
        (
            rf"(?:被申请|涉及[^。，；]{{0,12}}的|提起)?行政复议(?:案件|申请)?(?:数|数量)?(?:为|共)?{_N}件",
            rf"有{_N}件[^。，；]{{0,16}}行政复议",
        ),
    ),
    (
        "litigation",
        "count",
        "件",
        (
            rf"(?:被提起|涉及[^。，；]{{0,12}}的|提起)?行政诉讼(?:案件|案)?(?:数|数量)?(?:为|共)?{_N}件",
            rf"有{_N}件[^。，；]{{0,16}}行政诉讼",
        ),
    ),
    (
        "fees_charged",
        "amount",
        "元",
        (
            rf"实际收取的?总金额(?:均)?为{_N}",
            rf"(?:共)?收取(?:信息处理费|费用|信息处理费用)(?:共计|共)?{_N}元",
            r"未收取(?:任何)?(?:信息处理费|费用)",
            r"(?:未|没有)(?:发生|产生)(?:信息处理费|收费)",
        ),
    ),
)
_COMPILED = tuple(
    (category, metric, unit, tuple(re.compile(p) for p in patterns)) for category, metric, unit, patterns in PHRASINGS
)
_SENTENCE_END = re.compile(r"[。；;]")
_DIGIT_GAP = re.compile(r"(?<=\d)\s+(?=\d)")  # 「…申请12 3件」: two numbers, never 123


def _number(text: str) -> int | float | None:
    digits, point, fraction = text.partition(".")
    return to_number(digits, point + fraction)


def _prose(document: Document) -> tuple[str, list[int], list[int], set[int]]:
    """All prose joined (converters wrap lines mid-sentence; page numbers left out), with where each source
    line of it starts and its line, and where a sentence ends without a 。: where a table stood between two
    paragraphs, where a paragraph ending in a digit meets one starting with one (「…总金额为0」, 「1.…」), and
    where a space stood between two digits, so no number runs across them."""
    texts: list[str] = []
    offsets: list[int] = []
    lines: list[int] = []
    breaks: set[int] = set()
    length, last = 0, ""  # last: the last character of the prose so far
    for block in document.blocks:
        if isinstance(block, Table):
            breaks.add(length)
            continue
        if is_page_number(block.text):  # a converter's 「— 2 —」 between the lines of a sentence
            continue
        text = compact(block.text)
        if text[:1].isdigit() and last.isdigit():
            breaks.add(length)
        for gap in _DIGIT_GAP.finditer(block.text):  # (a web page's line break between them is a space too)
            breaks.add(length + len(compact(block.text[: gap.start()])))
        for start, line in _line_starts(block, text, length):
            offsets.append(start)
            lines.append(line)
        texts.append(text)
        length, last = length + len(text), text[-1:] or last
    return "".join(texts), offsets, lines, breaks


def _line_starts(paragraph: Paragraph, text: str, at: int) -> list[tuple[int, int]]:
    """Where each source line of a paragraph starts in the joined prose, its compact `text` starting at `at`."""
    if not paragraph.breaks:
        return [(at, paragraph.line)]
    starts, start = [], at
    for piece, line in paragraph.line_pieces():
        starts.append((start, line))
        start += len(compact(piece))
    # compacting piece by piece gives the same characters, unless NFKC joined two across a line break
    return starts if start == at + len(text) else [(at, paragraph.line)]


def extract_narrative(document: Document) -> Extraction:
    """The first statement of each figure in reading order (later mentions usually restate or break down).

    `raw` is the sentence (from the previous 。 or ； or table, so a heading before it may come along) with
    whitespace removed and full-width forms normalised; `line` is the line the number stands on.
    """
    result = Extraction()
    joined, offsets, lines, breaks = _prose(document)
    found: set[str] = set()
    begin = 0
    for end in sorted({m.end() for m in _SENTENCE_END.finditer(joined)} | breaks | {len(joined)}):
        sentence = joined[begin:end]
        for category, metric, unit, patterns in _COMPILED:
            if category in found:
                continue
            for pattern in patterns:
                match = pattern.search(sentence)
                if not match:
                    continue
                at = begin + match.start(1 if pattern.groups else 0)
                line = lines[bisect.bisect_right(offsets, at) - 1]
                value = _number(match.group(1)) if pattern.groups else 0
                if value is None:
                    continue  # digits too long to be a figure
                result.facts.append(
                    Fact("narrative", category, None, metric, value, unit, "number", sentence, line, "prose")
                )
                found.add(category)
                break
        begin = end
    return result
