"""Properties of the readers and the parser, checked on generated inputs (hypothesis).

1. Robustness: `parse_bytes` never raises and never hits an internal error, on arbitrary bytes, arbitrary text
   in every supported encoding, and text built from report pieces (labels, digits, tabs, blank lines, HTML
   tags, pipe rows, long lines); every report has a status, a failed one has an error, and the contract is
   plain JSON with finite values. Each reader alone copes with the same, and DOCX with damaged Word files.
2. Layout invariance: on the Word-dump samples, extra blank lines between table rows, labels wrapped onto
   continuation lines, half-/full-width forms swapped in labels and spaces around values leave the facts
   (section, category, applicant type, metric, value, value status) as they were.
3. Provenance: every fact's raw text stands on the line it names (a cell spanning lines starts there; a
   prose figure's sentence covers that line), for every text-based file in the repository and under the
   mutations of property 2.
4. Determinism: the same bytes give the same contract JSON, also in another process (another hash seed).

Each property runs a few examples by default and many more under `-m slow` (the `[slow]` variants).
"""

from __future__ import annotations

import contextlib
import html
import io
import itertools
import json
import math
import os
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass
from functools import cache

import pytest
from conftest import CORPUS, REPOSITORY, SAMPLE_STEMS, sample
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.decode import UnreadableFile, decode_bytes
from pipeline.extract.values import parse_value
from pipeline.facts import ParsedReport
from pipeline.parse import parse_bytes
from pipeline.readers import UnsupportedFormat, read_document
from pipeline.readers.docx import read_docx
from pipeline.readers.flattened import read_flattened
from pipeline.readers.html import read_html
from pipeline.readers.markdown import read_markdown
from pipeline.readers.text_dump import read_text_dump
from pipeline.text import compact, is_page_number
from pipeline.vocabulary import load_vocabulary

FIXTURES = REPOSITORY / "tests" / "fixtures"
DOCX_FIXTURE = FIXTURES / "000_as_docx.docx"

# Default run: a few examples per property, well under a minute in all; `-m slow`: many more.
FAST, SLOW = 30, 500
EXAMPLES = [pytest.param(FAST, id="fast"), pytest.param(SLOW, id="slow", marks=pytest.mark.slow)]


def check(examples: int):
    """Hypothesis settings for one run of a property; no example database, so the repository stays clean."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# --- what every parsed report must satisfy ------------------------------------------------------------

STATUSES = ("ok", "partial", "failed")
VALUE_STATUSES = ("number", "blank", "placeholder", "text")
INTERNAL_ERROR = "internal parser error"


def parse(data: bytes) -> ParsedReport:
    return parse_bytes(data, ParsedReport(file="generated"))


def assert_well_formed(report: ParsedReport) -> None:
    assert report.status in STATUSES
    internal = [error for error in report.errors if INTERNAL_ERROR in error]
    assert not internal, internal  # a reader or extractor raised: parse.py caught it, but it is a bug
    if report.status == "failed":
        assert report.errors, "a failed report must say why"
    else:
        assert (report.status == "partial") == bool(report.errors), (report.status, report.errors)
    json.dumps(report.to_contract(), ensure_ascii=False, allow_nan=False)  # plain JSON, no NaN or infinity
    for fact in report.facts:
        assert fact.line >= 1, fact
        assert fact.value_status in VALUE_STATUSES, fact
        assert (fact.value is None) == (fact.value_status != "number"), fact
        if fact.value is not None:
            assert math.isfinite(float(fact.value)), fact  # the warehouse stores float64


# --- strategies: report pieces ------------------------------------------------------------------------

VOCABULARY = load_vocabulary()
LABELS = sorted({form for term in VOCABULARY.terms for form in (term.label, *term.aliases)})
SECTION_LABELS = {
    section: sorted({form for t in VOCABULARY.terms if t.section == section for form in (t.label, *t.aliases)})
    for section in ("proactive", "applications", "review_litigation", "legacy")
}
HEADINGS = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
    "附件1",
)
PHRASES = (
    "新收政府信息公开申请{}件",
    "上年结转政府信息公开申请{}件",
    "主动公开政府信息{}条",
    "被申请行政复议{}件",
    "行政诉讼{}件",
    "实际收取的总金额均为{}",
    "收到申请数 件 {} {}",
    "共收到政府信息公开申请{}件，已答复{}件，其中同意公开{}件",
    "收取费用{}元",
    "统计期限为自{}年1月1日",
    "本年度未收到政府信息公开申请",
)
MARKUP = (
    "<table>",
    "</table>",
    "<tr>",
    "</tr>",
    "<td>",
    "</td>",
    '<td rowspan="3">',
    '<td colspan="999999">',
    "<br>",
    "<p>",
    "</p>",
    "&nbsp;",
    "<div>",
    "<html><body>",
    "<!--",
    "-->",
    "<script>",
    "| --- | --- |",
    "|",
    "- 4 -",
    "# ",
)
SPACES = " \u00a0\u3000\u200b"

values = st.one_of(
    st.integers(0, 200).map(str),
    st.sampled_from(["", " ", "0", "\u3000\u30000", "\xa00", "-", "—", "/", "无", "+10", "-185", "1,234", "251000元"]),
    st.sampled_from(["0.5", "22.7197", "１２", "1.5万元", "3件", "x"]),
    st.integers(0, 10**30).map(str),
    st.text("0123456789", min_size=2, max_size=40),  # a row's digits run together
    st.integers(290, 4400).map(lambda n: "9" * n),  # about and beyond MAX_DIGITS and int()'s 4300 digits
    st.integers(300, 400).map(lambda n: "1" * n + ".5"),  # float() gives infinity
)
agencies = st.sampled_from(["某局", "北京市东城区城市管理指挥中心", "平潭综合实验区管委会", "X市人民政府", ""])
titles = st.builds(
    lambda agency, year, suffix: f"{agency}{year}年{suffix}",
    agencies,
    st.integers(1990, 2035),
    st.sampled_from(["政府信息公开工作年度报告", "政务公开年报", "度政府信息公开工作报告", "工作总结"]),
)
phrases = st.builds(
    lambda phrase, numbers: phrase.format(*numbers), st.sampled_from(PHRASES), st.lists(values, min_size=3, max_size=3)
)


def labels_of(section: str, kinds: tuple[str, ...]) -> list[str]:
    """The section's labels of those kinds, with their aliases, in the vocabulary's (the template's) order."""
    forms = (
        form for t in VOCABULARY.terms if t.section == section and t.kind in kinds for form in (t.label, *t.aliases)
    )
    return list(dict.fromkeys(forms))


HEADER_KINDS = ("applicant_type", "column_group", "metric", "heading")
ROW_KINDS = ("category", "group")


@st.composite
def tables(draw) -> str:
    """A table of one report section: a header row, rows of a label and values, some stray rows; laid out
    as one of the formats prints it."""
    section = draw(st.sampled_from(sorted(SECTION_LABELS)))
    header_labels, row_labels = labels_of(section, HEADER_KINDS), labels_of(section, ROW_KINDS)
    if draw(st.booleans()):  # the template's own header, in order
        header = [label for label in header_labels if draw(st.integers(0, 3))]
    else:
        header = draw(st.lists(st.sampled_from(header_labels), min_size=1, max_size=8))
    width = draw(st.one_of(st.sampled_from([7, 15, 3, 1, len(header)]), st.integers(0, 16)))
    row = st.builds(
        lambda label, vals: [label, *vals],
        st.sampled_from(row_labels),
        st.lists(values, min_size=width, max_size=width),
    )
    if draw(st.booleans()):  # the template's rows, in order, some left out
        rows = [
            [label, *draw(st.lists(values, min_size=width, max_size=width))]
            for label in row_labels
            if draw(st.integers(0, 3))
        ]
    else:
        rows = draw(st.lists(row, max_size=26))
    stray = st.lists(
        st.one_of(st.sampled_from(header_labels + row_labels), values, st.sampled_from(LABELS)), max_size=8
    )
    rows = [header, *rows, *draw(st.lists(stray, max_size=3))]
    if draw(st.integers(0, 4)) == 0:
        rows = draw(st.permutations(rows))
    layout = draw(st.sampled_from(["dump", "dump", "pipe", "html", "flat", "spaced"]))
    if layout == "dump":  # one cell per tab line, rows apart by blank lines, sometimes a wrapped label
        wrapped = st.sampled_from(["公开", "公开", "公\n开", "公\n\n开"])
        return "\n\n".join("\n".join("\t" + cell.replace("公开", draw(wrapped)) for cell in r) for r in rows)
    if layout == "pipe":
        lines = ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join([lines[0], "| --- | --- |", *lines[1:]])
    if layout == "html":
        attributes = st.sampled_from(["", "", "", ' rowspan="2"', ' colspan="3"', ' rowspan="0"', ' colspan="x"'])
        body = "".join(
            "<tr>" + "".join(f"<td{draw(attributes)}>{html.escape(cell)}</td>" for cell in r) + "</tr>\n" for r in rows
        )
        return f"<table>\n{body}</table>"
    if layout == "flat":  # a crawled page: the table on one line with prose, cells run together
        return draw(st.one_of(st.just(""), phrases)) + "".join("".join(r) for r in rows) + draw(phrases)
    return "\n".join(" ".join(r) for r in rows)  # a converter's text rows: 「行政许可 97」


noise = st.one_of(
    st.sampled_from(LABELS),
    st.sampled_from(MARKUP),
    values,
    st.just(""),
    st.text(max_size=20),
    st.text(SPACES + "\t", max_size=4),
    st.lists(st.one_of(st.sampled_from(LABELS), values), min_size=20, max_size=60).map("".join),  # a long line
)
report_lines = st.one_of(titles, st.sampled_from(HEADINGS), phrases, tables(), tables(), noise)
pieces = st.builds(
    lambda title, body: "\n".join([title, *body]),
    st.one_of(titles, titles, st.just("")),
    st.lists(report_lines, max_size=30),
)
# A crawled page: a header, then the report on one long line, prose and tables run together.
crawled = st.builds(
    lambda title, body: f"标题：{title}\n发布时间：2020-01-01\n" + "".join(body),
    titles,
    st.lists(st.one_of(phrases, phrases, tables(), st.sampled_from(HEADINGS), noise), min_size=3, max_size=12),
)
report_texts = st.one_of(pieces, pieces, crawled)
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be")


# --- 1. robustness ------------------------------------------------------------------------------------


@pytest.mark.parametrize("examples", EXAMPLES)
def test_arbitrary_bytes_give_a_report(examples):
    @check(examples)
    @given(st.one_of(st.binary(max_size=4000), st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b)))
    def prop(data):
        assert_well_formed(parse(data))

    prop()


@pytest.mark.parametrize("examples", EXAMPLES)
def test_arbitrary_text_in_every_encoding_gives_a_report(examples):
    @check(examples)
    @given(st.text(max_size=2000), st.sampled_from(ENCODINGS))
    def prop(text, encoding):
        assert_well_formed(parse(text.encode(encoding)))

    prop()


@pytest.mark.parametrize("examples", EXAMPLES)
def test_report_like_text_gives_a_report(examples):
    @check(examples)
    @given(report_texts, st.sampled_from(ENCODINGS), st.sampled_from(["\n", "\r\n", "\r"]))
    def prop(text, encoding, newline):
        assert_well_formed(parse(text.replace("\n", newline).encode(encoding)))

    prop()


@pytest.mark.parametrize("examples", EXAMPLES)
def test_every_text_reader_copes_with_any_text(examples):
    """Each reader on its own, whatever the sniffing would have chosen: report pieces, any text, any bytes
    decoded the way pipeline.decode does (undecodable bytes replaced)."""
    texts = st.one_of(
        report_texts, st.text(max_size=500), st.binary(max_size=2000).map(lambda b: b.decode("utf-8", "replace"))
    )

    @check(examples)
    @given(texts)
    def prop(text):
        lines = re.split(r"\r\n|\r|\n", text)
        for document in (read_text_dump(lines), read_markdown(lines), read_flattened(lines)):
            assert all(block.line >= 1 for block in document.blocks)
        with contextlib.suppress(UnreadableFile):  # the one refusal the HTML reader documents
            read_html(text, "utf-8")

    prop()


def docx_parts() -> dict[str, bytes]:
    with zipfile.ZipFile(DOCX_FIXTURE) as package:
        return {name: package.read(name) for name in package.namelist()}


def zipped(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return buffer.getvalue()


_MERGE = re.compile(rb"<w:(?:gridSpan|vMerge|hMerge|gridBefore)\b[^>]*>")
_ELEMENT = re.compile(rb"<w:(?:p|tr|tc|tbl|r|t|tcPr|trPr)\b[^>]*/?>|</w:(?:p|tr|tc|tbl|r|t|tcPr|trPr)>")


@st.composite
def damaged_docx(draw) -> bytes:
    """The DOCX fixture with damage: in its bytes, in its XML (attribute values, elements), in its parts."""
    parts = docx_parts()
    xml = parts["word/document.xml"]
    how = draw(st.sampled_from(["bytes", "values", "elements", "merges", "parts", "truncate"]))
    if how == "bytes":
        data = bytearray(zipped(parts))
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if how == "values":  # the merges of the fixture's cells, with any value
        matches = list(_MERGE.finditer(xml))
        chosen = draw(st.sets(st.integers(0, len(matches) - 1), min_size=1, max_size=20))
        tag = st.sampled_from(["gridSpan", "vMerge", "hMerge", "gridBefore"])
        value = st.sampled_from(["-1", "0", "99999999999", "1e9", "", "restart", "continue", "x", "2", "40000"])
        for index in sorted(chosen, reverse=True):
            match = matches[index]
            merge = f'<w:{draw(tag)} w:val="{draw(value)}"/>'.encode()
            xml = xml[: match.start()] + merge + xml[match.end() :]
    elif how == "elements":  # tags removed or doubled: tables without rows, cells outside rows
        matches = list(_ELEMENT.finditer(xml))
        for index in sorted(draw(st.sets(st.integers(0, len(matches) - 1), max_size=10)), reverse=True):
            match = matches[index]
            replacement = draw(st.sampled_from([b"", match.group() * 2]))
            xml = xml[: match.start()] + replacement + xml[match.end() :]
    elif how == "merges":  # merges where none belong
        merge = draw(
            st.sampled_from(
                [b"<w:vMerge/>", b'<w:gridSpan w:val="3000000"/>', b'<w:hMerge w:val="continue"/>', b"<w:vMerge/>" * 2]
            )
        )
        xml = xml.replace(b"<w:tcPr>", b"<w:tcPr>" + merge, draw(st.integers(1, 50)))
        xml = xml.replace(
            b"<w:tr>", b'<w:tr><w:trPr><w:gridBefore w:val="%d"/></w:trPr>' % draw(st.integers(0, 10**9)), 1
        )
    elif how == "parts":
        rels = draw(
            st.sampled_from([b"", b"<Relationships/>", b'<Relationships xmlns="x"><Relationship/></Relationships>'])
        )
        parts["_rels/.rels"] = rels
        if draw(st.booleans()):
            parts["word/other.xml"] = parts.pop("word/document.xml")
    else:
        xml = xml[: draw(st.integers(0, len(xml)))]
    parts["word/document.xml"] = xml
    return zipped(parts)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_damaged_word_files_give_a_report(examples):
    @check(examples)
    @given(st.one_of(damaged_docx(), damaged_docx(), st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b)))
    def prop(data):
        with contextlib.suppress(UnreadableFile, UnsupportedFormat):  # the refusals the DOCX reader documents
            read_docx(data)
        assert_well_formed(parse(data))

    prop()


# --- 2. layout invariance on the Word-dump samples ----------------------------------------------------


@dataclass(frozen=True)
class DumpLayout:
    """Where a Word dump's table rows, label cells and value cells stand (0-based line indices)."""

    lines: tuple[str, ...]
    row_starts: tuple[int, ...]  # first line of every table row but a table's first
    labels: tuple[tuple[int, ...], ...]  # the lines of each label cell: its tab line, then its continuation lines
    values: tuple[int, ...]  # tab lines of value cells (numbers, blanks, placeholders)


@cache
def dump_layout(stem: str) -> DumpLayout:
    lines = tuple(sample(stem).read_text(encoding="utf-8").split("\n"))
    row_starts, labels, values = [], [], []
    for table in read_text_dump(list(lines)).tables:
        row_starts += [row.line - 1 for row in table.rows[1:]]
        for row in table.rows:
            for cell in row.cells:
                at = cell.line - 1
                if parse_value(cell.text).status != "text":
                    values.append(at)
                    continue
                spanned = [at]  # continuation lines: the next non-blank lines, one per further line of text
                for _ in cell.text.split("\n")[1:]:
                    spanned.append(next(i for i in range(spanned[-1] + 1, len(lines)) if lines[i].strip()))
                labels.append(tuple(spanned))
    return DumpLayout(lines, tuple(row_starts), tuple(labels), tuple(values))


def fact_multiset(report: ParsedReport) -> Counter:
    return Counter((f.section, f.category, f.applicant_type, f.metric, f.value, f.value_status) for f in report.facts)


@cache
def baseline(stem: str) -> tuple[Counter, str]:
    report = parse(sample(stem).read_bytes())
    return fact_multiset(report), report.status


# Half-width and full-width forms of the same character (NFKC folds the full-width one onto the other).
_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {"、": "､", "。": "｡", "「": "｢", "」": "｣"}
_WIDTH |= {wide: narrow for narrow, wide in _WIDTH.items()}
PADDING = st.text(" \u00a0\u3000", max_size=3)
MAX_FRAGMENT = 20  # what a Word dump wraps onto a line of its own: a short piece of a label (text_dump.py)


def swap_widths(draw, text: str) -> str:
    positions = [i for i, char in enumerate(text) if char in _WIDTH]
    if not positions:
        return text
    chosen = draw(st.sets(st.sampled_from(positions)))
    return "".join(_WIDTH[char] if i in chosen else char for i, char in enumerate(text))


def wrap(draw, text: str) -> list[str]:
    """A one-line label cut into its tab line and one to three continuation lines, as Word dumps a cell of
    several paragraphs (or lines): every piece holds text, a continuation is short, and one blank line
    may stand before it (「（三）不予」, 「」, 「公开」)."""
    cuts = sorted(draw(st.sets(st.integers(1, len(text) - 1), min_size=1, max_size=3)))
    pieces = [text[start:end] for start, end in itertools.pairwise([0, *cuts, len(text)])]
    if not all(compact(piece) for piece in pieces) or any(len(compact(p)) > MAX_FRAGMENT for p in pieces[1:]):
        return ["\t" + text]
    lines = ["\t" + pieces[0]]
    for piece in pieces[1:]:
        lines += [""] * draw(st.integers(0, 1)) + [piece]
    return lines


@st.composite
def relaid(draw, stem: str, kinds: frozenset[str]) -> list[str]:
    """The sample with some of its rows, labels and values laid out differently; the same report."""
    layout = dump_layout(stem)
    out = [[line] for line in layout.lines]
    if "widths" in kinds:
        for cell in draw(st.sets(st.sampled_from(layout.labels), min_size=1)):
            for at in cell:
                out[at] = [swap_widths(draw, out[at][0])]
    if "spaces" in kinds:
        for at in draw(st.sets(st.sampled_from(layout.values), min_size=1)):
            out[at] = ["\t" + draw(PADDING) + out[at][0][1:] + draw(PADDING)]
    if "wraps" in kinds:
        one_line = [cell[0] for cell in layout.labels if len(cell) == 1 and len(compact(layout.lines[cell[0]])) >= 4]
        for at in draw(st.sets(st.sampled_from(one_line), min_size=1, max_size=12)):
            out[at] = wrap(draw, out[at][0][1:])
    if "blank_lines" in kinds:
        for at in draw(st.sets(st.sampled_from(layout.row_starts), min_size=1, max_size=15)):
            out[at] = [""] * draw(st.integers(1, 3)) + out[at]
    return [line for lines in out for line in lines]


KINDS = ("blank_lines", "wraps", "widths", "spaces")
RELAYOUTS = [pytest.param(frozenset({kind}), id=kind) for kind in KINDS] + [pytest.param(frozenset(KINDS), id="all")]


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize("kinds", RELAYOUTS)
@pytest.mark.parametrize("stem", SAMPLE_STEMS)
def test_layout_changes_leave_the_facts_as_they_were(stem, kinds, examples):
    facts, status = baseline(stem)

    @check(examples)
    @given(relaid(stem, kinds))
    def prop(lines):
        data = "\n".join(lines).encode("utf-8")
        report = parse(data)
        assert fact_multiset(report) == facts
        assert (report.status, report.errors) == (status, [])  # the samples parse cleanly, and still do
        assert_well_formed(report)
        assert_provenance(data, report)

    prop()


# --- 3. provenance ------------------------------------------------------------------------------------

# Markup and what a browser does not show (scripts, styles, comments), line breaks kept.
_HIDDEN = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<[^>]*>", re.DOTALL | re.IGNORECASE)
_WHITESPACE = re.compile(r"[\s\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff]+")


def shown_lines(text: str) -> list[str]:
    """A web page's lines as shown: markup taken out (its line breaks kept), entities resolved."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [html.unescape(line) for line in _HIDDEN.sub(lambda m: "\n" * m.group().count("\n"), text).split("\n")]


def spaced(text: str) -> str:
    return _WHITESPACE.sub(" ", text)


def starts_on(raw: str, lines: list[str], line: int, squash) -> bool:
    """The raw text stands on the line, or starts there and goes on over the next lines."""
    here = squash(lines[line - 1])
    following = squash("\n".join(lines[line - 1 : line + 40]))
    at = following.find(squash(raw).strip())
    return 0 <= at < len(here)


def compacted(lines: list[str]) -> tuple[str, list[int]]:
    """The lines compacted as one text, and where each line ends in it."""
    pieces = [compact(line) for line in lines]
    text, ends = "".join(pieces), list(itertools.accumulate(map(len, pieces)))
    if not unicodedata.is_normalized("NFKC", text):  # a line starts with a combining mark: NFKC joins it on
        ends, text = [len(compact(text[:end])) for end in ends], compact(text)
    return text, ends


def covers(raw: str, text: str, ends: list[int], line: int) -> bool:
    """A prose figure: its sentence, compacted, runs over the stated line (the one its number stands on)."""
    wanted = compact(raw)
    first = ends[line - 2] if line > 1 else 0  # where the stated line starts in the compacted text
    start = text.find(wanted)
    while start != -1:
        if start < ends[line - 1] and start + len(wanted) > first:
            return True
        start = text.find(wanted, start + 1)
    return False


def holds_figure(line: str, value: int | float) -> bool:
    """The line prints the number: as it is, or in 万元 where the fact counts 元 (or the reverse)."""
    printed = [float(number) for number in re.findall(r"\d+(?:\.\d+)?", compact(line))]
    return any(math.isclose(number, scaled) for number in printed for scaled in (value, value / 1e4, value * 1e4))


def assert_provenance(data: bytes, report: ParsedReport) -> None:
    """Every fact's raw text is where its line says (text-based readers only: DOCX lines are paragraph
    ordinals). A table cell's text starts on its line. A prose figure's sentence (its raw) runs over its
    line, in the prose as the reader kept it (a converter's page numbers inside a sentence are not), and
    that line holds the figure's number."""
    if report.reader in (None, "docx"):
        return
    source = decode_bytes(data)
    if report.reader == "html":
        lines = shown_lines(source.text)
        prose_lines = lines
        squash = compact  # a browser joins lines between CJK characters: compare without any whitespace
    else:
        lines = source.lines
        kept = {paragraph.line for paragraph in read_document(data).paragraphs if not is_page_number(paragraph.text)}
        prose_lines = [line if number in kept else "" for number, line in enumerate(lines, start=1)]
        squash = spaced
    prose = compacted(prose_lines) if any(fact.source == "prose" for fact in report.facts) else ("", [])
    for fact in report.facts:
        assert 1 <= fact.line <= len(lines), fact
        if fact.source == "prose":
            assert covers(fact.raw, *prose, fact.line), (fact, lines[fact.line - 1])
            if fact.value:
                assert holds_figure(lines[fact.line - 1], fact.value), (fact, lines[fact.line - 1])
        elif compact(fact.raw):
            assert starts_on(fact.raw, lines, fact.line, squash), (fact, lines[fact.line - 1])


TEXT_FILES = sorted(
    [path for path in (CORPUS / "raw").iterdir() if path.is_file()]
    + [FIXTURES / "000_as_html.html"]
    + [sample(stem) for stem in [*SAMPLE_STEMS, "003_f0f104a3575faaf0"]],
    key=lambda path: path.name,
)


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda path: path.name)
def test_every_fact_stands_on_its_line(path):
    data = path.read_bytes()
    report = parse(data)
    assert report.facts and report.reader != "docx"
    assert_provenance(data, report)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_every_fact_of_report_like_text_stands_on_its_line(examples):
    @check(examples)
    @given(report_texts, st.sampled_from(["\n", "\r\n"]))
    def prop(text, newline):
        data = text.replace("\n", newline).encode("utf-8")
        assert_provenance(data, parse(data))

    prop()


# --- 4. determinism -----------------------------------------------------------------------------------


@pytest.mark.parametrize("examples", EXAMPLES)
def test_the_same_bytes_give_the_same_contract(examples):
    sources = st.one_of(
        report_texts.map(str.encode),
        st.sampled_from(SAMPLE_STEMS)
        .flatmap(lambda stem: relaid(stem, frozenset(KINDS)))
        .map(lambda lines: "\n".join(lines).encode()),
    )

    @check(examples)
    @given(sources)
    def prop(data):
        first = json.dumps(parse(data).to_contract(), ensure_ascii=False)
        assert json.dumps(parse(data).to_contract(), ensure_ascii=False) == first

    prop()


def test_another_process_with_another_hash_seed_gives_the_same_contracts():
    """Set and dict order must not leak into the output: two interpreters, two string-hash seeds."""
    paths = [*TEXT_FILES, DOCX_FIXTURE]
    script = (
        "import json, sys\n"
        "from pipeline.parse import parse_file\n"
        "print(json.dumps([parse_file(p).to_contract() for p in sys.argv[1:]], ensure_ascii=False))\n"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, *map(str, paths)],
            cwd=REPOSITORY,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])) == len(paths)


# --- text normalisation -------------------------------------------------------------------------------


@pytest.mark.parametrize("examples", EXAMPLES)
def test_compact_is_idempotent(examples):
    """A narrative fact's raw is compacted text: compacting it again must give it back."""

    @check(examples * 10)
    @given(st.text())
    def prop(text):
        assert compact(compact(text)) == compact(text)

    prop()


# --- regressions: the minimal examples of what the properties found ---------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "\t自然人\n\t总计\n\n\t本年新收\n\t" + "9" * 4301 + "\n\t1\n",  # int() refuses more than 4300 digits
        "\t自然人\n\t总计\n\n\t本年新收\n\t" + "1" * 400 + ".5\n\t1\n",  # float() gives infinity
        "某局2021年政府信息公开工作年度报告\n新收政府信息公开申请" + "9" * 4301 + "件。\n",
        "某局2021年政府信息公开工作年度报告\n新收政府信息公开申请" + "1" * 400 + ".5件。\n",
        "某局2015年政府信息公开工作年度报告\n主动公开政府信息" + "9" * 4301 + "条。\n",
        "某局2015年政府信息公开工作年度报告\n统计指标 单位 统计数 收到申请数 件 "
        + "9" * 4301
        + " 主动公开政府信息数 条 1\n",
        "某局2015年政府信息公开工作年度报告\n指标名称 计量单位 2012年度 历年累计 收到申请数 件 " + "9" * 4301 + "1\n",
    ],
    ids=["cell", "cell-decimal", "narrative", "narrative-decimal", "legacy-prose", "legacy-table", "legacy-split"],
)
def test_a_number_too_long_for_any_value_is_kept_as_text_not_a_crash(text):
    assert_well_formed(parse(text.encode()))


def test_parse_value_reads_up_to_300_digits():
    assert (parse_value("9" * 300).status, parse_value("9" * 301).status) == ("number", "text")
    assert (parse_value("1" * 400 + ".5").value, parse_value("1" * 400 + ".5").status) == (None, "text")


def test_a_damaged_gridspan_or_gridbefore_does_not_fill_the_memory():
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    cell = '<w:tc><w:tcPr><w:gridSpan w:val="999999999"/></w:tcPr><w:p><w:r><w:t>A</w:t></w:r></w:p></w:tc>'
    row = f'<w:tr><w:trPr><w:gridBefore w:val="999999999"/></w:trPr>{cell}</w:tr>'
    document = f'<w:document xmlns:w="{w}"><w:body><w:tbl>{row}</w:tbl></w:body></w:document>'
    (table,) = read_docx(zipped({"word/document.xml": document.encode()})).tables
    assert len(table.rows[0].cells) <= 2000


def test_compact_joins_a_letter_and_the_combining_mark_a_space_kept_apart():
    assert compact("A´") == compact(compact("A´")) == "Á"


def prose_figures(text: str) -> list[tuple[str, int | float | None, str, int]]:
    return [(f.category, f.value, f.raw, f.line) for f in parse(text.encode()).facts if f.source == "prose"]


def test_a_narrative_sentence_ends_at_a_table():
    text = "某局2019年政府信息公开工作年度报告\n新收政府信息公开申请0件\n\t1.信访举报投诉类申请\n\n\t0\n\n后面的文字"
    assert prose_figures(text) == [
        ("applications_received", 0, "某局2019年政府信息公开工作年度报告新收政府信息公开申请0件", 2)
    ]


def test_a_narrative_figure_does_not_run_into_the_digits_of_the_next_line():
    text = "某局2021年政府信息公开工作年度报告\n实际收取总金额为0\n1.信访举报投诉类申请"
    assert prose_figures(text) == [("fees_charged", 0, "某局2021年政府信息公开工作年度报告实际收取总金额为0", 2)]


def test_a_legacy_sentence_does_not_run_over_a_table_on_its_line():
    row = "一、本年新收政府信息公开申请数量0000000二、上年结转政府信息公开申请数量0000000"
    table = "申请人情况自然人法人或其他组织商业企业科研机构社会公益组织法律服务机构其他总计" + row
    text = (
        f"某局2017年政府信息公开工作年度报告\n本年度主动公开政府信息5条，{table}收到政府信息公开申请3件。{'其他' * 200}"
    )
    assert read_document(text.encode()).reader == "flattened"
    assert prose_figures(text) == [
        ("proactive_items", 5, "本年度主动公开政府信息5条，", 2),
        ("applications_received", 3, "收到政府信息公开申请3件。", 2),
    ]


@pytest.mark.parametrize("year", [2016, 2021])  # legacy prose, narrative
@pytest.mark.parametrize("gap", ["\n", " "])  # a web page's line break shows as a space
def test_a_space_between_two_numbers_keeps_them_apart(year, gap):
    page = (
        f"<html><body><div><p>某局{year}年政府信息公开工作年度报告</p>\n"
        f"<p>收到政府信息公开申请12{gap}3件。</p></div></body></html>"
    )
    assert read_document(page.encode()).reader == "html"
    assert [value for category, value, _, _ in prose_figures(page) if category == "applications_received"] == []


@pytest.mark.parametrize("year", [2016, 2021])  # legacy prose, narrative
def test_a_prose_figure_in_a_web_paragraph_over_several_lines_points_to_the_line_of_its_number(year):
    page = (
        f"<html><body><div><p>某局{year}年政府信息公开工作年度报告</p>\n"
        "<p>本年度情况如下：\n本单位全年\n收到政府信息公开申请3件，\n主动公开政府信息5条。</p></div></body></html>"
    )
    assert {(category, line) for category, _, _, line in prose_figures(page)} == {
        ("applications_received", 4),
        ("proactive_items", 5),
    }
