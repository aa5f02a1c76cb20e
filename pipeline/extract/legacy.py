"""Pre-2019 reports -> `legacy` facts, from the prose and from statistics tables.

In: a `Document` (its paragraphs and tables) and the vocabulary. Out: an `Extraction` whose facts have
section `legacy`, applicant_type None, metric `count` (`amount` for money rows, in the vocabulary's unit),
`source` "table" or "prose", `raw` the table row or the sentence as printed and `line` the 1-based source
line; its errors name the line of every value that could not be read and of every prose/table conflict.

Statistics tables come in two shapes:
- real tables (`document.tables`, from a Word dump or a web page) whose rows carry legacy labels; pieces
  of a table a page break cut (nothing but page numbers between them) are one table;
- tables a crawler flattened into a prose line: a header (指标名称 计量单位 2012年度 历年累计, or 统计指标
  单位 统计数) followed by rows "label unit numbers", cells separated by spaces or not at all.
Rows are matched through the vocabulary (section `legacy`), and only the this-year column is read, never
the cumulative one. When a row's two numbers ran together ("20263542") the split is taken only when it
is certain: neither part has a leading zero and this year's part does not exceed the cumulative one; if
several splits remain, the rows that make up a total (the vocabulary's group column: the channels of
收到申请数, the answers of 申请答复数) must add up to it in both columns, with exactly one choice left.
Otherwise the fact keeps value_status "text" and an error lists the possible splits.

Prose is read with the sentence patterns below, several per indicator, in the paragraphs between two
tables joined (converters wrap sentences over lines; page numbers are left out); a statement of "none"
(未收到…申请, 暂不收费) gives 0. The first statement of an indicator wins, and a figure followed by its
share (占66%) is a part of a total, not the total.

Table facts come before prose facts: a consumer that keeps the last fact per key (the corpus scorer)
then takes the prose figure, which the hand-read gold follows where the two disagree.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from dataclasses import dataclass, field

from pipeline.document import Cell, Document, Paragraph, Table
from pipeline.extract.common import Extraction
from pipeline.extract.values import MAX_DIGITS, parse_value, to_number
from pipeline.facts import Fact
from pipeline.text import compact, is_page_number, nfkc
from pipeline.vocabulary import Term, Vocabulary

SECTION = "legacy"
_ROW_KINDS = ("category", "metric", "group", "heading")
_MONEY_TO_YUAN = {"元": 1, "万元": 10000}
_MAX_COMBINATIONS = 20000  # group-sum search: beyond this a split is left unresolved rather than guessed

# ---------------------------------------------------------------------------------------------------
# Prose phrasings: (category, patterns). Group 1 is the number, an optional group 2 its money unit;
# a pattern without groups states that the figure is zero. Patterns run on NFKC text without spaces.
_N = r"(\d+(?:\.\d+)?)"
_FILL = r"(?:共计|合计|总计|总共|共|均)?(?:为|是|达)?"
_GAP = r"[^，,。；;：:\d]"  # inside a clause, never across a number
_CHANNEL = r"(?:当面|信函|网络|网上|电子邮件|传真)"
_NOT_ABOUT_REVIEW = r"(?![^，,。；;]{0,8}(?:行政复议|行政诉讼|引起|引发))"
PROSE_PHRASINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("proactive_items", (rf"主动公开(?:了)?(?:各类)?(?:政府)?信息(?:数)?{_FILL}{_N}条",)),
    (
        "applications_received",
        (
            rf"(?:收到|受理|接到|接收)(?:了)?(?:有关|关于)?(?:政府信息公开|信息公开|依申请公开)(?:的)?{_CHANNEL}?"
            rf"申请(?:数量|数)?{_FILL}{_N}[件条个]",
            rf"收到申请数{_FILL}{_N}件",
            # 「本年度未收到政府信息公开申请」, 「因未发生政府信息公开申请」; not 「未收到…行政复议申请」
            rf"(?:未|没有)(?:收到|受理|接到|发生)(?:过)?{_GAP}{{0,20}}?(?:政府信息公开|信息公开|依申请公开)(?:的)?"
            rf"申请{_NOT_ABOUT_REVIEW}",
        ),
    ),
    (
        "applications_answered",
        (
            rf"(?:对)?(?:依)?申请(?:公开)?的?答复(?:总数|数){_FILL}{_N}[件条]",
            # 「共收到申请5件，已答复5件」: a bare 已答复/已办结 counts only after 申请 in the same sentence
            # (「共收到15564件咨询投诉件，已办结15042件」 is a hotline's workload)
            rf"申请[^。；;]*?已(?:全部)?(?:答复|办结){_FILL}{_N}[件条]",
            r"(?:不存在|没有|无|未发生)(?:政府信息)?(?:公开)?(?:申请)?(?:的)?答复(?:处理)?(?:的)?情况",
        ),
    ),
    ("applications_completed", (rf"申请办结数(?:和按时办结数)?{_FILL}{_N}件",)),
    ("granted", (rf"(?<!不)同意公开(?:答复)?(?:数)?{_FILL}{_N}[件条]",)),
    ("partial", (rf"同意部分公开(?:答复)?(?:数)?{_FILL}{_N}[件条]",)),
    (
        "denied",
        (
            rf"(?:不予公开|不同意公开|否决公开)(?:答复)?(?:数)?{_FILL}{_N}[件条]",
            r"(?:无|没有|未发生|不存在)(?:作出)?不予公开(?:政府)?(?:信息)?(?:的)?(?:答复)?(?:情况|情形)",
        ),
    ),
    (
        "not_held",
        (
            rf"(?:不属于本(?:行政)?(?:机关|单位|部门)(?:公开)?(?:范围)?|非本(?:行政)?(?:机关|单位|部门)(?:掌握)?)"
            rf"(?:的)?(?:数)?{_FILL}{_N}件",
        ),
    ),
    ("not_exist", (rf"(?:申请)?信息不存在(?:的)?(?:数)?{_FILL}{_N}件",)),
    (
        "reconsideration",
        (
            rf"行政复议(?:申请|案件|案)?(?:数量|数)?{_FILL}{_N}(?:件|起|宗)",
            rf"(?:未|没有)(?:收到|发生|接到|出现|受理)(?:过)?(?:任何)?{_GAP}{{0,24}}?行政复议",
        ),
    ),
    (
        "litigation",
        (
            rf"行政诉讼(?:案件|案)?(?:数量|数)?{_FILL}{_N}(?:件|起|宗)",
            rf"(?:未|没有)(?:收到|发生|接到|出现|受理)(?:过)?(?:任何)?{_GAP}{{0,30}}?行政诉讼",
        ),
    ),
    ("complaints", (rf"(?:举报投诉|投诉举报|举报|申诉)(?:案件|案)?(?:数量|数)?{_FILL}{_N}(?:件|起|宗)",)),
    (
        "fees",
        (
            rf"收取(?:了)?(?:的)?{_GAP}{{0,8}}?费(?:用)?(?:共计|合计|共)?(?:为)?{_N}(万元|元)",
            rf"收费(?:金额)?(?:共计|合计|共)?(?:为)?{_N}(万元|元)",
            r"(?:未|没有|不|暂不|免予|免于)(?:收取|收费)",
            rf"(?:未|没有)(?:发生|产生){_GAP}{{0,16}}?收费",
        ),
    ),
    ("applications_received.in_person", (rf"当面申请(?:数)?{_FILL}{_N}[件条]",)),
    ("applications_received.fax", (rf"(?<!、)传真申请(?:数)?{_FILL}{_N}[件条]",)),
    ("applications_received.online", (rf"(?:网络|网上)申请(?:数)?{_FILL}{_N}[件条]",)),
    ("applications_received.email", (rf"电子邮件申请(?:数)?{_FILL}{_N}[件条]",)),
    ("applications_received.letter", (rf"信函申请(?:数)?{_FILL}{_N}[件条]",)),
    ("applications_received.other", (rf"其[他它]形式申请(?:数)?{_FILL}{_N}[件条]",)),
)
_PROSE_PATTERNS = tuple((category, tuple(re.compile(p) for p in patterns)) for category, patterns in PROSE_PHRASINGS)
_SENTENCE_END = re.compile(r"[。；;！!？?]")
_DIGIT_GAP = re.compile(r"(?<=\d) (?=\d)")  # in the text with spaces
_SHARE_AFTER = re.compile(r"[，,]?占")  # 「…1687条，占66%」: a part of the total stated before it

# ---------------------------------------------------------------------------------------------------
# Flattened statistics tables. Patterns run on NFKC text with every whitespace run turned into one space.
_UNITS = ("万元", "人次", "条", "件", "元", "个", "人", "次", "篇", "项")
_UNIT = "(?:" + "|".join(_UNITS) + ")"
_COLUMN = r"(?:\d{4}\s*年\s*度?|本\s*年\s*度|本\s*期\s*实\s*际|统\s*计\s*数|(?:历\s*年|本\s*年)?\s*累\s*计(?:\s*数)?)"
_TABLE_HEADER = re.compile(
    rf"(?:指\s*标\s*名\s*称|统\s*计\s*指\s*标)\s*(?:计\s*量\s*)?单\s*位\s*(?P<columns>{_COLUMN}(?:\s*{_COLUMN})*)"
)
_HEADER_COLUMN = re.compile(_COLUMN)
_FLAT_ROW = re.compile(
    r"\s*(?:其中\s*:?\s*)?"  # 「其中：」 introduces the parts of the row above; not part of the label
    r"(?P<label>(?:\d{1,2}\s*[.、]\s*)?(?:[^\d\s(]|\([^()]*\)|\s(?=\D)){1,60}?)\s*"
    rf"(?P<unit>{_UNIT})\s*"
    r"(?P<values>\d+(?:\s+\d+)*)"
)
_ENUMERATOR = re.compile(r"^\s*(\d{1,2})\s*[.、]")
_NEXT_IS_ENUMERATED = re.compile(r"[.、]\s*\D")


@dataclass
class _StatRow:
    """One statistics-table row: its label, the this-year value (or the ways to read it), where it stands."""

    label: str
    term: Term | None
    unit: str | None  # as printed
    raw: str
    line: int
    cell: Cell | None = None  # real tables: the this-year cell
    options: list[tuple[int, int | None]] = field(default_factory=list)  # (this year, cumulative)
    problem: str = ""  # why the value cannot be read


@dataclass
class _Text:
    """Normalised text of one paragraph or of several joined, with the index in the printed text of every
    character and where each paragraph starts in it and on which line."""

    text: str
    origin: list[int]
    source: str  # the paragraphs' texts as printed, joined
    starts: list[int]  # where each paragraph starts in `source`
    lines: list[int]  # each paragraph's first line

    def line_at(self, index: int) -> int:
        at = self.origin[index] if index < len(self.origin) else len(self.source)
        paragraph = bisect.bisect_right(self.starts, at) - 1
        return self.lines[paragraph] + self.source.count("\n", self.starts[paragraph], at)

    def printed(self, start: int, end: int) -> str:
        """The original text between two normalised positions."""
        if start >= end:
            return ""
        return self.source[self.origin[start] : self.origin[end - 1] + 1].strip()


# A line no sentence runs on from (compact text): a heading (「三、依申请公开情况」, 「(一)主动公开情况」,
# 「2.答复情况」) or the report's title (「某局2017年政府信息公开工作年度报告」)
_HEADING = re.compile(
    r"(?:[一二三四五六七八九十]{1,3}、|\([一二三四五六七八九十\d]{1,3}\)|\d{1,2}[.、](?!\d))[^。；;，,]{1,30}"
    r"|[^。；;，,]{0,60}年度报告"
)


def _joined(pieces: list[tuple[_Text, list[tuple[int, int]]]]) -> tuple[_Text, list[tuple[int, int]]]:
    """Paragraphs of prose as one text (converters wrap a sentence over lines: 「其中当\n面申请 4件」), with
    their table spans and a sentence break after a heading (so a sentence's raw does not begin with it) and
    where a paragraph ending in a digit meets one starting with one, so no number runs across them
    (「…总金额为0」, 「1.…」)."""
    if len(pieces) == 1:
        return pieces[0]
    text, origin, source, starts, lines = [], [], [], [], []
    spans: list[tuple[int, int]] = []
    length = source_length = 0
    for piece, piece_spans in pieces:
        if text:
            digit_meets_digit = piece.text[:1].isdigit() and text[-1][-1:].isdigit()
            if digit_meets_digit or _HEADING.fullmatch(text[-1]):
                spans.append((length, length))
        text.append(piece.text)
        origin.extend(at + source_length for at in piece.origin)
        source.append(piece.source)
        starts.extend(at + source_length for at in piece.starts)
        lines.extend(piece.lines)
        spans.extend((start + length, end + length) for start, end in piece_spans)
        length += len(piece.text)
        source_length += len(piece.source)
    return _Text("".join(text), origin, "".join(source), starts, lines), spans


# char -> what _normalise makes of it: "" for a space (or an invisible one), else its NFKC form (remembered:
# a text has few distinct characters, and NFKC of one character is a library call)
_FOLDED: dict[str, str] = {}


def _folded(char: str) -> str:
    folded = "" if char.isspace() or char in "\u200b\u200c\u200d\u2060\ufeff" else nfkc(char)
    _FOLDED[char] = folded
    return folded


def _normalise(paragraph: Paragraph) -> tuple[_Text, _Text]:
    """The paragraph normalised twice in one pass: with every run of spaces as one space (for flattened
    tables), and without spaces (for prose)."""
    source = paragraph.text
    chars: list[str] = []  # with spaces
    origin: list[int] = []
    compact_chars: list[str] = []  # without
    compact_origin: list[int] = []
    for index, char in enumerate(source):
        folded = _FOLDED.get(char)
        if folded is None:
            folded = _folded(char)
        if len(folded) == 1:
            chars.append(folded)
            origin.append(index)
            compact_chars.append(folded)
            compact_origin.append(index)
        elif not folded:  # a space
            if chars and chars[-1] != " ":
                chars.append(" ")
                origin.append(index)
        else:
            for piece in folded:
                chars.append(piece)
                origin.append(index)
                compact_chars.append(piece)
                compact_origin.append(index)
    starts = [0, *(offset for offset, _ in paragraph.breaks)]
    lines = [paragraph.line, *(line for _, line in paragraph.breaks)]
    return (
        _Text("".join(chars), origin, source, starts, lines),
        _Text("".join(compact_chars), compact_origin, source, starts, lines),
    )


def _prose_runs(document: Document) -> list[list[Paragraph]]:
    """The paragraphs between two tables (no sentence runs over a table).

    Paragraphs a reader cut out of one source line are rejoined (a line break in a Word paragraph), and page
    numbers a converter left between the lines of a page and the next (「— 2 —」) are left out."""
    runs: list[list[Paragraph]] = [[]]
    previous = None  # the block before this one
    for block in document.blocks:
        if isinstance(block, Table):
            if runs[-1]:
                runs.append([])
        elif is_page_number(block.text):
            pass
        elif isinstance(previous, Paragraph) and previous.line == block.line and runs[-1]:
            before = runs[-1][-1]
            at = len(before.text) + 1
            breaks = (*before.breaks, *((offset + at, line) for offset, line in block.breaks))
            runs[-1][-1] = Paragraph(before.text + " " + block.text, before.line, breaks)
        else:
            runs[-1].append(block)
        previous = block
    return [run for run in runs if run]


# ---------------------------------------------------------------------------------------------------
# Reading numbers out of a row


def splits_of(digits: str, cumulative_first: bool = False) -> list[tuple[int, int]]:
    """The ways a run of digits can be this year's figure and the cumulative one, as (this year, cumulative).

    Neither part may start with 0 unless it is 0, and this year's part cannot exceed the cumulative one
    (which includes this year): '728' -> [(7, 28)], '2121' -> [(2, 121), (21, 21)].
    """
    options = []
    for cut in range(1, len(digits)):
        first, second = digits[:cut], digits[cut:]
        if any(len(part) > 1 and part.startswith("0") for part in (first, second)):
            continue
        if len(first) > MAX_DIGITS or len(second) > MAX_DIGITS:
            continue
        this_year, cumulative = (int(second), int(first)) if cumulative_first else (int(first), int(second))
        if this_year <= cumulative:
            options.append((this_year, cumulative))
    return options


def _column_layout(columns_text: str) -> tuple[int, int]:
    """(number of value columns, index of this year's column) from a flattened header."""
    names = [compact(m.group()) for m in _HEADER_COLUMN.finditer(columns_text)]
    this_year = next((i for i, name in enumerate(names) if "累计" not in name), 0)
    return len(names), this_year


def _options(numbers: list[str], n_columns: int, this_year: int) -> tuple[list[tuple[int, int | None]], str]:
    """The possible (this year, cumulative) readings of a row's numbers, or why there is none."""
    if any(len(n) > 2 * MAX_DIGITS for n in numbers):
        return [], f"a run of more than {2 * MAX_DIGITS} digits is no figure"
    if len(numbers) == n_columns:
        if any(len(n) > MAX_DIGITS for n in numbers):
            return [], f"a number of more than {MAX_DIGITS} digits is no figure"
        values = [int(n) for n in numbers]
        cumulative = values[1 - this_year] if n_columns == 2 else None
        return [(values[this_year], cumulative)], ""
    if len(numbers) == 1 and n_columns == 2:
        options = splits_of(numbers[0], cumulative_first=this_year == 1)
        if not options:
            return [], f"'{numbers[0]}' cannot be split into this year's and the cumulative figure"
        return options, ""
    return [], f"{len(numbers)} numbers for {n_columns} columns"


def _strip_enumerator(numbers: list[str], expected: str) -> tuple[list[str], bool]:
    """Remove the next row's number (「2.」) that ran into this row's digits; False when it is not there."""
    last = numbers[-1]
    if last == expected:
        return numbers[:-1], True
    if last.endswith(expected) and len(last) > len(expected):
        return [*numbers[:-1], last[: -len(expected)]], True
    return numbers, False


# ---------------------------------------------------------------------------------------------------
# Statistics tables


def flattened_tables(text: _Text, vocabulary: Vocabulary) -> tuple[list[list[_StatRow]], list[tuple[int, int]]]:
    """The statistics tables flattened into one paragraph, and their spans (so prose search skips them)."""
    tables: list[list[_StatRow]] = []
    spans: list[tuple[int, int]] = []
    for header in _TABLE_HEADER.finditer(text.text):
        if spans and header.start() < spans[-1][1]:
            continue
        n_columns, this_year = _column_layout(header["columns"])
        rows, end = _flattened_rows(text, header.end(), n_columns, this_year, vocabulary)
        if rows:
            tables.append(rows)
            spans.append((header.start(), end))
    return tables, spans


def _flattened_rows(
    text: _Text, position: int, n_columns: int, this_year: int, vocabulary: Vocabulary
) -> tuple[list[_StatRow], int]:
    rows: list[_StatRow] = []
    carried_enumerator = ""  # the digits of this row's 「2.」 that ended up in the previous row's numbers
    while match := _FLAT_ROW.match(text.text, position):
        label = match["label"].strip()
        start = match.start("label") - len(carried_enumerator)
        enumerator = carried_enumerator or (_ENUMERATOR.match(label)[1] if _ENUMERATOR.match(label) else "")
        if carried_enumerator:
            label = carried_enumerator + label
        numbers = match["values"].split()
        end = match.end()
        carried_enumerator, problem = "", ""
        if _NEXT_IS_ENUMERATED.match(text.text, end):
            expected = str(int(enumerator) + 1) if enumerator else "1"
            numbers, found = _strip_enumerator(numbers, expected)
            if found:
                carried_enumerator = expected
                end -= len(expected)
            else:
                problem = f"the next row's number is not {expected}, so its digits cannot be told from these"
        options, why = _options(numbers, n_columns, this_year) if numbers else ([], "no number")
        row = _StatRow(
            label=label,
            term=_match(label, vocabulary),
            unit=match["unit"],
            raw=text.printed(start, end),
            line=text.line_at(match.start("values")),
            options=options if not problem else [],
            problem=problem or why,
        )
        rows.append(row)
        position = end + len(carried_enumerator)
    return rows, position


def _match(label: str, vocabulary: Vocabulary) -> Term | None:
    return vocabulary.match(re.sub(r"^其中\s*[:：]?", "", label), SECTION, _ROW_KINDS)


def statistics_tables(document: Document) -> list[list[Table]]:
    """The document's real tables, those a page break cut (only page numbers between them) as one list of
    pieces: a piece may begin with the metric rows of an indicator on the page before."""
    cut_tables: list[list[Table]] = []
    joinable = False  # whether a table here would continue the last one
    for block in document.blocks:
        if isinstance(block, Table):
            if joinable:
                cut_tables[-1].append(block)
            else:
                cut_tables.append([block])
            joinable = True
        elif not is_page_number(block.text):
            joinable = False
    return cut_tables


def real_table_rows(pieces: list[Table], vocabulary: Vocabulary) -> list[_StatRow]:
    """Rows of a real statistics table (label | unit | this year [| cumulative]), perhaps cut into pieces;
    [] for other tables."""
    rows: list[_StatRow] = []
    this_year = 0  # which value column is this year's: from a header row, kept across the pieces
    for row in (row for table in pieces for row in table.rows):
        cells = [cell for cell in row.cells if not cell.spanned]
        texts = [compact(cell.text) for cell in cells]
        if any(("累计" in t) for t in texts):  # header row: which value column is this year's
            value_headers = [t for t in texts if _HEADER_COLUMN.fullmatch(t)]
            this_year = next((i for i, t in enumerate(value_headers) if "累计" not in t), 0)
            continue
        labels = [i for i, cell in enumerate(cells) if parse_value(cell.text).status == "text" and texts[i]]
        if not labels:
            continue
        label_at = labels[0]
        term = _match(cells[label_at].text, vocabulary)
        rest = cells[label_at + 1 :]
        unit = compact(rest[0].text) if rest and compact(rest[0].text) in _UNITS else None
        values = rest[1:] if unit else rest
        cell = values[this_year] if len(values) > this_year else None
        if cell is None and term is None:
            continue  # a title or note row
        rows.append(
            _StatRow(
                label=cells[label_at].text.replace("\n", ""),
                term=term,
                unit=unit,
                raw=cell.text if cell else "",
                line=cell.line if cell else cells[label_at].line,
                cell=cell,
                problem="" if cell else "no value cell",
            )
        )
    return rows if sum(1 for r in rows if r.term and r.term.kind == "category") >= 2 else []


def resolve_by_group_sums(rows: list[_StatRow]) -> None:
    """Pick the one split of run-together rows under which every total equals the sum of its parts.

    A total and its parts are read from the vocabulary's group column (the channels add up to 收到申请数);
    a group is settled only when exactly one combination of the possible splits adds up in both columns.
    """
    changed = True
    while changed:
        changed = False
        for parent in rows:
            if parent.term is None or parent.term.kind != "category":
                continue
            parts = [r for r in rows if r.term and r.term.kind == "category" and r.term.group_code == parent.term.code]
            group = [parent, *parts]
            if not parts or all(len(r.options) == 1 for r in group) or any(not r.options for r in group):
                continue
            if math.prod(len(r.options) for r in group) > _MAX_COMBINATIONS:
                continue
            fitting = [combo for combo in itertools.product(*(r.options for r in group)) if _adds_up(combo)]
            if len(fitting) == 1:
                for row, option in zip(group, fitting[0], strict=True):
                    if len(row.options) > 1:
                        row.options = [option]
                        changed = True


def _adds_up(combo: tuple[tuple[int, int | None], ...]) -> bool:
    (total, total_cumulative), parts = combo[0], combo[1:]
    if total != sum(this for this, _ in parts):
        return False
    if total_cumulative is None or any(cumulative is None for _, cumulative in parts):
        return True
    return total_cumulative == sum(cumulative for _, cumulative in parts)


def _metric_and_unit(term: Term) -> tuple[str, str]:
    return ("amount" if term.unit in _MONEY_TO_YUAN else "count"), term.unit


def _convert(value: int | float, printed_unit: str | None, unit: str) -> int | float:
    """A money figure in the vocabulary's unit (a table may print 万元 where the code counts 元)."""
    if printed_unit in _MONEY_TO_YUAN and unit in _MONEY_TO_YUAN and printed_unit != unit:
        converted = value * _MONEY_TO_YUAN[printed_unit] / _MONEY_TO_YUAN[unit]
        return int(converted) if float(converted).is_integer() else round(converted, 6)
    return value


def table_facts(rows: list[_StatRow], errors: list[str]) -> list[Fact]:
    """Facts of one table's rows; rows that cannot be read become text facts or errors, never silence."""
    facts: list[Fact] = []
    parent: str | None = None  # the category a metric row (维持具体行政行为数) belongs to
    for row in rows:
        term = row.term
        if term is None:
            errors.append(f"line {row.line}: statistics table row {row.raw!r} has no legacy label: not read")
            continue
        if term.kind in ("group", "heading"):
            continue
        if term.kind == "category":
            parent = term.code
            category, metric_code = term.code, None
        elif parent is None:
            errors.append(f"line {row.line}: statistics table row {row.raw!r} follows no indicator: not read")
            continue
        else:
            category, metric_code = parent, term.code
        metric, unit = _metric_and_unit(term)
        facts.append(_table_fact(row, category, metric_code or metric, unit, errors))
    return facts


def _table_fact(row: _StatRow, category: str, metric: str, unit: str, errors: list[str]) -> Fact:
    if row.cell is not None:  # a real table cell
        if row.cell.unresolved:
            errors.append(f"line {row.line}: {row.label}: {row.cell.unresolved}")
            return Fact(SECTION, category, None, metric, None, unit, "text", row.cell.text, row.line)
        parsed = parse_value(row.cell.text)
        value = parsed.value
        if parsed.status == "number":
            value = _convert(value, parsed.unit or row.unit, unit)
        return Fact(SECTION, category, None, metric, value, unit, parsed.status, row.cell.text, row.line)
    if len(row.options) == 1:
        value = _convert(row.options[0][0], row.unit, unit)
        return Fact(SECTION, category, None, metric, value, unit, "number", row.raw, row.line)
    if row.options:
        readings = ", ".join(f"{a}/{b}" for a, b in row.options)
        errors.append(
            f"line {row.line}: statistics table row {row.raw!r}: this year's and the cumulative figure ran "
            f"together and split as {readings}: not certain, kept as text"
        )
    else:
        errors.append(f"line {row.line}: statistics table row {row.raw!r}: {row.problem}: kept as text")
    return Fact(SECTION, category, None, metric, None, unit, "text", row.raw, row.line)


# ---------------------------------------------------------------------------------------------------
# Prose


def _sentences(text: _Text, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence bounds in the text, with the statistics tables cut out."""
    bounds: list[tuple[int, int]] = []
    pieces, begin = [], 0
    for start, end in spans:
        pieces.append((begin, start))
        begin = end
    pieces.append((begin, len(text.text)))
    for piece_start, piece_end in pieces:
        begin = piece_start
        for stop in _SENTENCE_END.finditer(text.text, piece_start, piece_end):
            bounds.append((begin, stop.end()))
            begin = stop.end()
        if begin < piece_end:
            bounds.append((begin, piece_end))
    return bounds


def _first_statement(sentence: str, patterns: tuple[re.Pattern[str], ...]) -> re.Match[str] | None:
    """The earliest match in the sentence that is a whole figure (not a share of one)."""
    best: re.Match[str] | None = None
    for pattern in patterns:
        for match in pattern.finditer(sentence):
            if _SHARE_AFTER.match(sentence, match.end()):
                continue
            if best is None or match.start() < best.start():
                best = match
            break
    return best


def prose_facts(texts: list[tuple[_Text, list[tuple[int, int]]]], vocabulary: Vocabulary) -> list[Fact]:
    """The first statement of every indicator in reading order, as prose facts."""
    facts: list[Fact] = []
    found: set[str] = set()
    for text, spans in texts:
        for begin, end in _sentences(text, spans):
            sentence = text.text[begin:end]
            for category, patterns in _PROSE_PATTERNS:
                if category in found:
                    continue
                match = _first_statement(sentence, patterns)
                if match is None:
                    continue
                term = vocabulary.term(SECTION, "category", category)
                metric, unit = _metric_and_unit(term) if term else ("count", None)
                if match.re.groups:
                    value = _number(match[1])
                    if value is None:
                        continue  # digits too long to be a figure
                    printed_unit = match[2] if match.re.groups > 1 else None
                    value = _convert(value, printed_unit, unit) if unit else value
                    at = begin + match.start(1)
                else:
                    value, at = 0, begin + match.start()
                raw = text.printed(begin, end)  # the sentence as printed, not its normalised form
                facts.append(
                    Fact(SECTION, category, None, metric, value, unit, "number", raw, text.line_at(at), "prose")
                )
                found.add(category)
    return facts


def _number(text: str) -> int | float | None:
    digits, point, fraction = text.partition(".")
    return to_number(digits, point + fraction)


# ---------------------------------------------------------------------------------------------------


def disagreements(facts: list[Fact]) -> list[str]:
    """Errors for every indicator whose prose figure differs from its table figure (both are kept)."""
    table: dict[tuple[str, str], Fact] = {}
    for fact in facts:
        if fact.source == "table" and fact.value_status == "number":
            table.setdefault((fact.category, fact.metric), fact)
    notes = []
    for fact in facts:
        other = table.get((fact.category, fact.metric))
        if fact.source == "prose" and other is not None and other.value != fact.value:
            notes.append(
                f"line {fact.line}: {fact.category}: the prose says {fact.value:g} but the statistics table "
                f"says {other.value:g} (line {other.line}, {other.raw!r}); both kept"
            )
    return notes


def extract_legacy(document: Document, vocabulary: Vocabulary) -> Extraction:
    """Every legacy indicator of a pre-2019 report: table facts first, then prose facts, then the conflicts."""
    result = Extraction()
    rows_per_table: list[list[_StatRow]] = []
    texts: list[tuple[_Text, list[tuple[int, int]]]] = []
    for pieces in statistics_tables(document):
        rows = real_table_rows(pieces, vocabulary)
        if rows:
            rows_per_table.append(rows)
    for run in _prose_runs(document):
        pieces = []
        for paragraph in run:
            spaced, compact_text = _normalise(paragraph)
            tables, spans = flattened_tables(spaced, vocabulary)
            rows_per_table.extend(tables)
            pieces.append(_prose_text(spaced, spans, compact_text))
        texts.append(_joined(pieces))
    for rows in rows_per_table:
        resolve_by_group_sums(rows)
        result.facts.extend(table_facts(rows, result.errors))
    result.facts.extend(prose_facts(texts, vocabulary))  # after the table facts: see the module docstring
    result.errors.extend(disagreements(result.facts))
    return result


def _prose_text(spaced: _Text, spans: list[tuple[int, int]], compact_text: _Text) -> tuple[_Text, list]:
    """The compact (space-free) text for prose search, and where sentences break in it: the table spans
    mapped onto it, and a break where a space stood between two digits (「…收费9999 1.5万元」: two numbers)."""
    mapped = []
    for start, end in spans:  # the same characters of the source, found by their index in it
        first = bisect.bisect_left(compact_text.origin, spaced.origin[start])
        last = bisect.bisect_right(compact_text.origin, spaced.origin[end - 1])
        mapped.append((first, last))
    for gap in _DIGIT_GAP.finditer(spaced.text):
        at = bisect.bisect_left(compact_text.origin, spaced.origin[gap.end()])
        if not any(first <= at < last for first, last in mapped):
            mapped.append((at, at))
    return compact_text, sorted(mapped)
