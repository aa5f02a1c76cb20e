"""Reader for crawled web pages flattened to text: text lines -> Document.

In: the decoded lines of a crawled page: a crawler header block (标题: …, 发布时间: …), then the report on
one or a few long lines where prose and table cells run together, e.g.
`…其他1.属于国家秘密00000002.其他法律行政法规禁止公开0000000…` or `（六）其他处理0 0 0 0 0 00`.
Out: a `Document` in which tables 2, 3 and 4 are `Table`s of label cells and value cells, shaped like a
Word dump's (header rows of labels, then rows of [labels…, values…]), and all other text is `Paragraph`s,
one per source line piece. `lines` are the source lines; every cell keeps the source line it stands on.

How:
1. Labels are found by the vocabulary's own label texts and aliases (spaces, punctuation and bracketed
   notes inside a label tolerated). A table is a chain of one section's labels separated by nothing but
   runs of values, holding one of the labels the template prints in that table's header (the anchors of
   extract/sections.py). Prose breaks a chain, so 自然人 or 行政复议 mentioned in prose never start a
   table, and the pre-2019 statistics tables (other labels) give none.
2. A run of digits is cut into the cells its row needs (`candidate_splits`): every way to cut it into
   numbers (spaces are certain boundaries, no number but 0 starts with 0) is counted, and, when there are
   few enough, enumerated and filtered by the row's sums (table 3: six applicant columns = 总计; table 4:
   each block's four results = its 总计). A run with exactly as many pieces, or characters, as cells
   (`0 0 0 0 0 0 0`, `0000000`: most rows) has only that one cut, read off without counting. Rows of
   table 3 still ambiguous are decided together by the column sums (`resolve_jointly`). A split is taken
   only when it is the only one left.
3. A row that stays ambiguous keeps its raw run as the text of each of its value cells, with
   `Cell.unresolved` saying why, and a note names its line and row: nothing is guessed.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from math import prod

from pipeline.checks import OUTCOME_GROUPS
from pipeline.document import Block, Cell, Document, Paragraph, Row, Table
from pipeline.extract.common import header_columns
from pipeline.extract.sections import ANCHORS
from pipeline.extract.values import parse_value
from pipeline.text import compact
from pipeline.vocabulary import Term, Vocabulary, load_vocabulary

# Bounds of the split search. Counting the ways to cut a run is a dynamic programme whose cost grows
# with len(run) x MAX_CELL_CHARS x cells, so it is cheap for any run; the ways are listed only when there
# are at most MAX_SPLITS of them, and table 3's ambiguous rows are combined only up to MAX_COMBINATIONS.
# Each bound can only turn an answer into "unresolved", never into another value: it is safe.
# Real rows stay far below them: a zero is always a cell of its own, so a row of small counts has a few
# dozen cuts at most. No count or amount in these tables comes near 24 characters (10^20).
MAX_SPLITS = 20_000
MAX_COMBINATIONS = 20_000
MAX_CELL_CHARS = 24
MIN_TABLE_LABELS = 3  # a chain of fewer labels is a sentence naming them, not a table

TABLE_NAMES = {"proactive": "table 2", "applications": "table 3", "review_litigation": "table 4"}

Constraint = Callable[[tuple[str, ...]], bool]


# --- Cutting a run of digits into cells -------------------------------------------------------------


@dataclass(frozen=True)
class SplitSearch:
    """The ways a run of digits can be cut into a row's cells."""

    run: str
    cells: int
    possible: int  # ways to cut the run into `cells` numbers, before any constraint
    splits: tuple[tuple[str, ...], ...]  # all of them; empty when there are more than MAX_SPLITS
    kept: tuple[tuple[str, ...], ...]  # those the row's constraint keeps (all of them when it has none)

    @property
    def searched(self) -> bool:
        return self.possible <= MAX_SPLITS

    @property
    def options(self) -> tuple[tuple[str, ...], ...]:
        """The splits still possible: those the constraint keeps, or the only split there is.

        A run that can be cut only one way is what the report prints, even when its sums do not hold:
        the checks flag that later, the reader does not hide it.
        """
        return self.kept or (self.splits if self.possible == 1 else ())


_LEADING_ZERO = re.compile(r"^[+-]?0\d")


@lru_cache(maxsize=1 << 16)  # rows repeat the same few short numbers; long runs must not grow it forever
def is_cell_number(text: str) -> bool:
    """True for one printed number: optional sign, no leading zero (but 0 itself), optional decimals
    and unit (`13575394432.52元`), as `parse_value` reads numbers."""
    return not _LEADING_ZERO.match(text) and parse_value(text).status == "number"


@lru_cache(maxsize=1 << 10)  # counting and listing both need them, and pieces recur across rows ("0", "10")
def _cell_ends(piece: str) -> tuple[tuple[int, ...], ...]:
    """ends[start]: every end at which piece[start:end] is one number."""
    return tuple(
        tuple(
            end
            for end in range(start + 1, min(len(piece), start + MAX_CELL_CHARS) + 1)
            if is_cell_number(piece[start:end])
        )
        for start in range(len(piece))
    )


@lru_cache(maxsize=1 << 12)  # the same pieces recur with the same number of cells, row after row
def _piece_ways(piece: str, cells: int) -> tuple[int, ...]:
    """ways[k]: the number of ways to cut the whole piece into exactly k numbers, for k up to `cells`."""
    ends = _cell_ends(piece)
    ways = [[0] * (cells + 1) for _ in range(len(piece) + 1)]
    ways[len(piece)][0] = 1
    for start in range(len(piece) - 1, -1, -1):
        here = ways[start]
        for end in ends[start]:
            after = ways[end]
            for k in range(1, cells + 1):
                here[k] += after[k - 1]
    return tuple(ways[0])


def _run_ways(pieces: list[str], piece_ways: list[tuple[int, ...]], cells: int) -> list[list[int]]:
    """ways[p][k]: the number of ways to cut pieces[p:] into exactly k numbers."""
    ways = [[0] * (cells + 1) for _ in range(len(pieces) + 1)]
    ways[len(pieces)][0] = 1
    for p in range(len(pieces) - 1, -1, -1):
        for k in range(1, cells + 1):
            ways[p][k] = sum(piece_ways[p][j] * ways[p + 1][k - j] for j in range(1, k + 1))
    return ways


def _piece_splits(piece: str, cells: int) -> list[tuple[str, ...]]:
    """Every way to cut the piece into exactly `cells` numbers, ordered by the first cell's end, then the
    next's. Each (position, cells left) is listed once and shared by every split that reaches it."""
    ends = _cell_ends(piece)
    suffixes: dict[tuple[int, int], list[tuple[str, ...]]] = {(len(piece), 0): [()]}

    def cut(start: int, k: int) -> list[tuple[str, ...]]:
        if (start, k) not in suffixes:
            fits = 0 < k <= len(piece) - start  # a cell takes a character at least
            suffixes[start, k] = (
                [(piece[start:end], *rest) for end in ends[start] for rest in cut(end, k - 1)] if fits else []
            )
        return suffixes[start, k]

    return cut(0, cells)


def _enumerate(
    pieces: list[str], piece_ways: list[tuple[int, ...]], run_ways: list[list[int]], cells: int
) -> list[tuple[str, ...]]:
    """Every split, ordered by how many cells the first piece takes, then by the first piece's cuts, then the
    next piece's. Only cuts that can still be completed are followed (the counts say which), so no list
    holds more than the splits it leads to."""
    tails: dict[tuple[int, int], list[tuple[str, ...]]] = {(len(pieces), 0): [()]}

    def across(p: int, k: int) -> list[tuple[str, ...]]:
        if (p, k) not in tails:
            tails[p, k] = [
                head + tail
                for j in range(1, k + 1)
                if piece_ways[p][j] and run_ways[p + 1][k - j]
                for head in _piece_splits(pieces[p], j)
                for tail in across(p + 1, k - j)
            ]
        return tails[p, k]

    return across(0, cells)


def _forced_splits(pieces: list[str], cells: int) -> tuple[tuple[str, ...], ...]:
    """The split of a run with exactly as many pieces, or as many characters, as cells: a cell holds at least
    one character and lies inside one piece, so this is the only cut that can fit, if its cells are numbers."""
    cut = tuple(pieces) if len(pieces) == cells else tuple("".join(pieces))
    return (cut,) if all(len(cell) <= MAX_CELL_CHARS and is_cell_number(cell) for cell in cut) else ()


def candidate_splits(run: str, cells: int, constraint: Constraint | None = None) -> SplitSearch:
    """The ways to cut `run` into `cells` numbers, and those `constraint` keeps.

    Whitespace in the run is a certain boundary; inside a piece any cut is possible as long as every cell
    is a number without a leading zero. Not listed (possible > MAX_SPLITS) when there are too many.
    """
    pieces = run.split()
    chars = sum(map(len, pieces))
    if cells < 1 or not pieces or chars > cells * MAX_CELL_CHARS:  # cannot fit: no need to count
        return SplitSearch(run, cells, 0, (), ())
    if cells in (len(pieces), chars):  # most rows: spaced cells, or one digit a cell (0000000)
        splits = _forced_splits(pieces, cells)
        possible = len(splits)
    else:
        piece_ways = [_piece_ways(piece, cells) for piece in pieces]
        run_ways = _run_ways(pieces, piece_ways, cells)
        possible = run_ways[0][cells]
        if possible > MAX_SPLITS:
            return SplitSearch(run, cells, possible, (), ())
        splits = tuple(_enumerate(pieces, piece_ways, run_ways, cells))
    kept = splits if constraint is None else tuple(split for split in splits if constraint(split))
    return SplitSearch(run, cells, possible, splits, kept)


def split_reason(search: SplitSearch, rule: str | None) -> str:
    """Why a row's split is not certain; "" when it is."""
    shown = f"digits {' '.join(search.run.split())!r}"
    if search.possible == 0:
        return f"{shown} cannot be cut into {search.cells} numbers"
    if not search.searched:
        return f"{shown} split {search.possible} ways into {search.cells} cells; too many to search"
    if len(search.options) == 1:
        return ""
    ways = f"{shown} split {search.possible} ways into {search.cells} cells"
    if rule is None:
        return f"{ways}; no constraint decides"
    if not search.kept:
        return f"{ways}; none satisfies {rule}"
    return f"{ways}; {len(search.kept)} satisfy {rule}"


@lru_cache(maxsize=1 << 12)  # a row's sums read the same few cells ("0", "1") in every split tried
def _number(cell: str) -> float:
    value = parse_value(cell).value
    return float(value) if value is not None else 0.0


def _adds_up(parts: Sequence[float], total: float) -> bool:
    return abs(sum(parts) - total) < 1e-6


def applicant_sum(columns: Sequence[str]) -> Constraint | None:
    """Table 3's row rule: the applicant columns add up to 总计 (the 法人或其他组织 subtotal stays out)."""
    if "total" not in columns:
        return None
    total_at = columns.index("total")
    parts = [i for i, code in enumerate(columns) if code not in ("total", "org_subtotal")]
    return lambda cells: _adds_up([_number(cells[i]) for i in parts], _number(cells[total_at]))


def block_sums(layout: Sequence[tuple[str, str]]) -> Constraint | None:
    """Table 4's row rule: in each block, 结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计."""
    blocks: dict[str, tuple[list[int], list[int]]] = {}
    for index, (block, metric) in enumerate(layout):
        parts, totals = blocks.setdefault(block, ([], []))
        (totals if metric == "total" else parts).append(index)
    rules = [(parts, totals[0]) for parts, totals in blocks.values() if len(totals) == 1]
    if not rules:
        return None
    return lambda cells: all(_adds_up([_number(cells[i]) for i in parts], _number(cells[t])) for parts, t in rules)


# --- Deciding ambiguous rows together ----------------------------------------------------------------


@dataclass(frozen=True)
class TableConstraint:
    """A rule over several rows of a table: `holds` gets each row's cells by row index."""

    rows: tuple[int, ...]
    holds: Callable[[Mapping[int, tuple[str, ...]]], bool]


def resolve_jointly(
    options: Mapping[int, Sequence[tuple[str, ...]]], constraints: Sequence[TableConstraint]
) -> tuple[dict[int, tuple[str, ...]], str]:
    """The splits the table's constraints decide for rows that have several, and why the rest stay open.

    `options`: for each row that can be read, its possible splits (one for a settled row). Every
    combination of the ambiguous rows' options is tried against the constraints that involve them (a
    constraint over a row that cannot be read at all is skipped); a row is decided when exactly one of
    its options appears in the combinations that satisfy everything.
    """
    ambiguous = [row for row, opts in options.items() if len(opts) > 1]
    usable = [c for c in constraints if set(c.rows) <= options.keys() and set(c.rows) & set(ambiguous)]
    covered = [row for row in ambiguous if any(row in c.rows for c in usable)]
    if not ambiguous:
        return {}, ""
    if not covered:
        return {}, "no column sum involves these rows"
    combinations = prod(len(options[row]) for row in covered)
    if combinations > MAX_COMBINATIONS:
        return {}, f"{combinations} combinations of ambiguous rows; too many to search"
    fixed = {row: opts[0] for row, opts in options.items() if len(opts) == 1}
    chosen: dict[int, set[tuple[str, ...]]] = {row: set() for row in covered}
    satisfying = 0
    for combination in itertools.product(*(options[row] for row in covered)):
        values = fixed | dict(zip(covered, combination, strict=True))
        if all(c.holds(values) for c in usable):
            satisfying += 1
            for row, cells in zip(covered, combination, strict=True):
                chosen[row].add(cells)
    decided = {row: next(iter(cells)) for row, cells in chosen.items() if len(cells) == 1}
    if not satisfying:
        return decided, f"none of {combinations} combinations of the ambiguous rows satisfies the column sums"
    return decided, f"{satisfying} combinations of the ambiguous rows satisfy the column sums"


def column_sums(codes: Sequence[str | None], width: int, vocabulary: Vocabulary) -> list[TableConstraint]:
    """Table 3's column rules, per column: the outcome rows add up to （七）总计, and
    一 新收 + 二 上年结转 = （七）总计 + 四 结转下年度 (as pipeline/checks.py states them)."""
    first: dict[str, int] = {}
    for row, code in enumerate(codes):
        if code is not None:
            first.setdefault(code, row)
    outcomes = [
        row
        for code, row in first.items()
        if (term := vocabulary.term("applications", "category", code)) and term.group_code in OUTCOME_GROUPS
    ]
    intake = [first.get(code) for code in ("new_received", "carried_over", "processed_total", "carried_forward")]
    total = first.get("processed_total")
    rules: list[TableConstraint] = []
    for column in range(width):
        if total is not None and outcomes:
            rules.append(
                TableConstraint(
                    (*outcomes, total),
                    lambda v, c=column: _adds_up([_number(v[r][c]) for r in outcomes], _number(v[total][c])),
                )
            )
        if None not in intake:
            new, carried, processed, forward = intake
            rules.append(
                TableConstraint(
                    (new, carried, processed, forward),
                    lambda v, c=column, n=new, o=carried, p=processed, f=forward: _adds_up(
                        [_number(v[n][c]), _number(v[o][c]), -_number(v[p][c])], _number(v[f][c])
                    ),
                )
            )
    return rules


# --- Finding labels in the flattened text ------------------------------------------------------------

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), " ")


class _Folding(dict):
    """str.translate table: a character's NFKC form where that is one character, else the character itself;
    filled as characters are met (a text has few distinct ones; NFKC of each is a library call)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char)
        self[code] = folded if len(folded) == 1 else char
        return self[code]


_FOLDING = _Folding()


def normalise(text: str) -> str:
    """NFKC character by character where that keeps the length (（ -> (, ２ -> 2, ideographic space ->
    space), so a position in the normalised text is the same position in the printed one."""
    return text.translate(_ZERO_WIDTH).translate(_FOLDING)


# The enumerator in front of a vocabulary label: 2. / 一、 / (二); group "digits" when it is a number.
_FORM_ENUMERATOR = re.compile(
    r"^(?:(?P<digits>\d+)[.、,)]|[一二三四五六七八九十]+[、.,]|\([一二三四五六七八九十\d]+\))"
)
# The same printed just before a found label; bare digits are left out: they may be the last value.
_ENUMERATOR_BEFORE = re.compile(r"(?:[一二三四五六七八九十]+\s*[、.,]|\(\s*[一二三四五六七八九十\d]{1,3}\s*\))\s*$")
_FORM_PARTS = re.compile(r"\([^()]*\)|\w")
# Between two characters of a label: spaces and punctuation in any print style, never a value character.
_JOIN = r"[^\w().+\-]*"
_EDGE_PUNCTUATION = r"[^\w\s().+\-]{0,3}"
_NOTE = r"\([^()]{0,80}\)"  # a bracketed part of a label: （一） in 第二十条第（一）项, （单位：万元）
_UNITS = r"万元|元|件|条|项|个|人次|次"  # those parse_value reads after a number
_RUN_CHARS = re.compile(rf"(?:[\d.+\-\s]|(?<=\d)(?:{_UNITS}))*")


def label_pattern(form: str) -> str:
    """A regex for one vocabulary label as pages print it, without its enumerator (found separately)."""
    text = normalise(form).strip()
    body = _FORM_ENUMERATOR.sub("", text, count=1).strip()
    parts = [_NOTE if part.startswith("(") else re.escape(part) for part in _FORM_PARTS.findall(body)]
    if not parts:
        return ""
    pattern = _JOIN.join(parts)
    if not re.match(r"[\w(]", body):
        pattern = _EDGE_PUNCTUATION + pattern
    if not re.search(r"[\w)]$", body):
        pattern += _EDGE_PUNCTUATION
    return pattern


@cache
def section_pattern(vocabulary: Vocabulary, section: str) -> re.Pattern[str]:
    """All labels and aliases of a section, longest first, so 其他法律行政法规禁止公开 beats 其他."""
    forms = {
        form
        for term in vocabulary.terms
        if term.section == section
        for form in (term.label, *term.aliases)
        if label_pattern(form)
    }
    ordered = sorted(forms, key=lambda form: (-len(compact(form)), form))
    return re.compile("|".join(f"(?:{label_pattern(form)})" for form in ordered))


@dataclass(frozen=True)
class Span:
    start: int
    end: int


# A note on the unit printed after a header label: 采购总金额（万元，保留四位小数）, （单位：元）
_UNIT_NOTE = re.compile(r"\s*\((?:单位[:：]?)?(?:万元|元)[^()\d]{0,12}\)")


def find_labels(text: str, pattern: re.Pattern[str]) -> list[Span]:
    """Label spans in reading order, each widened to the enumerator printed before it (一、 （二）), to
    brackets around it (a note printed as 「（本列数据的勾稽关系为…）」) and to a unit note after it."""
    spans: list[Span] = []
    for match in pattern.finditer(text):
        start, end = match.span()
        floor = spans[-1].end if spans else 0
        before = _ENUMERATOR_BEFORE.search(text, max(floor, start - 12), start)
        if before:
            start = before.start()
        if start > floor and text[start - 1] == "(" and text[end : end + 1] == ")":
            start, end = start - 1, end + 1
        elif unit_note := _UNIT_NOTE.match(text, end):
            end = unit_note.end()
        spans.append(Span(start, end))
    return spans


def is_run(gap: str) -> bool:
    """True when the text between two labels holds values only: digits, signs, decimals, units, spaces."""
    return _RUN_CHARS.fullmatch(gap) is not None


def run_end(text: str, start: int) -> int:
    """Where the run of values starting at `start` ends (trailing spaces left out)."""
    end = _RUN_CHARS.match(text, start).end()
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def label_chains(text: str, spans: list[Span]) -> list[list[Span]]:
    """Spans joined into chains: consecutive labels with nothing but values between them."""
    chains: list[list[Span]] = []
    for span in spans:
        if chains and is_run(text[chains[-1][-1].end : span.start]):
            chains[-1].append(span)
        else:
            chains.append([span])
    return chains


# --- Building the tables -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """How one table's labels read: which kinds name columns and which name rows."""

    header_kinds: tuple[str, ...]
    row_kinds: tuple[str, ...]  # () when the data row has no label (table 4)
    header_first: bool  # the column header comes only before the first row label (table 3)


SHAPES = {
    "proactive": _Shape(("metric", "heading"), ("category",), header_first=False),
    "applications": _Shape(("applicant_type", "column_group", "heading"), ("category", "group", "heading"), True),
    "review_litigation": _Shape(("category", "column_group", "metric"), (), header_first=True),
}


@dataclass
class _Label:
    start: int
    end: int
    term: Term


@dataclass
class _Draft:
    """A table row being read: its labels, and the run of values after them."""

    header: bool
    labels: list[_Label] = field(default_factory=list)
    run: tuple[int, int] | None = None  # (start, end) in the text


@dataclass
class _Source:
    """The flattened text: printed, normalised (same positions), and where each line starts."""

    printed: str
    text: str
    line_starts: list[int]

    @classmethod
    def of(cls, lines: list[str]) -> _Source:
        printed = "\n".join(lines)
        starts = [0, *(newline.end() for newline in re.finditer("\n", printed))]
        return cls(printed, normalise(printed), starts)

    def line_at(self, position: int) -> int:
        return bisect.bisect_right(self.line_starts, position)

    def label_text(self, label: _Label) -> str:
        return self.printed[label.start : label.end]


@cache  # one entry per vocabulary label
def _digit_enumerator(label: str) -> str | None:
    match = _FORM_ENUMERATOR.match(normalise(label).strip())
    return match["digits"] if match else None


def _classify(printed: str, section: str, in_rows: bool, vocabulary: Vocabulary) -> tuple[Term | None, bool]:
    """The label's term, and whether it names columns (header) rather than a row."""
    term, is_header = _classify_text(printed, section, in_rows, vocabulary)
    if term is None and normalise(printed[:1] + printed[-1:]) == "()":  # a label printed in brackets
        return _classify_text(printed[1:-1], section, in_rows, vocabulary)
    return term, is_header


def _classify_text(printed: str, section: str, in_rows: bool, vocabulary: Vocabulary) -> tuple[Term | None, bool]:
    shape = SHAPES[section]
    if not (shape.header_first and in_rows):
        term = vocabulary.match(printed, section, shape.header_kinds)
        if term:
            return term, True
    if shape.row_kinds:
        term = vocabulary.match(printed, section, shape.row_kinds)
        if term:
            return term, False
    return None, False


def _starts_header_row(draft: _Draft, term: Term, vocabulary: Vocabulary, section: str) -> bool:
    """A flattened header is its rows one after another: a label starts the next row when it repeats
    one of the current row (table 4's results under each block) or names a child of a parent column
    in it (商业企业 under 法人或其他组织)."""
    codes = {label.term.code for label in draft.labels}
    parents = {code for code in codes if vocabulary.kind_of(section, code) == "column_group"}
    return term.code in codes or term.group_code in parents


def _attach_run(drafts: list[_Draft], text: str, start: int, end: int) -> None:
    """The values between `start` and `end` end the current data row (or form one without a label)."""
    piece = text[start:end]
    if not piece.strip():
        return
    start, end = start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip())
    if not drafts or drafts[-1].header or drafts[-1].run is not None:
        drafts.append(_Draft(header=False))
    drafts[-1].run = (start, end)


def _drafts(source: _Source, chain: list[Span], section: str, vocabulary: Vocabulary) -> list[_Draft]:
    """The chain read as header rows (labels) and data rows (labels, then a run of values)."""
    drafts: list[_Draft] = []
    in_rows = False
    previous_end = chain[0].start
    for span in chain:
        term, is_header = _classify(source.printed[span.start : span.end], section, in_rows, vocabulary)
        if term is None:
            break  # a label of the section that cannot stand here: the table ends before it
        start = span.start
        number = _digit_enumerator(term.label)
        enumerator = re.search(rf"{number}\s*[.、,]\s*$", source.text[previous_end:start]) if number else None
        if enumerator:  # 「00000002.其他法律…」: the 2. is the label's, the digits before it the run's
            start = previous_end + enumerator.start()
        _attach_run(drafts, source.text, previous_end, start)
        label = _Label(start, span.end, term)
        if is_header:
            if drafts and drafts[-1].header and not _starts_header_row(drafts[-1], term, vocabulary, section):
                drafts[-1].labels.append(label)
            else:
                drafts.append(_Draft(header=True, labels=[label]))
        else:
            in_rows = True
            if drafts and not drafts[-1].header and drafts[-1].run is None:
                drafts[-1].labels.append(label)
            else:
                drafts.append(_Draft(header=False, labels=[label]))
        previous_end = span.end
    _attach_run(drafts, source.text, previous_end, run_end(source.text, previous_end))
    if not SHAPES[section].row_kinds:  # table 4: one data row, after which the table is over
        first_data = next((i for i, d in enumerate(drafts) if not d.header), len(drafts))
        drafts = drafts[: first_data + 1]
    return drafts


@dataclass(frozen=True)
class _Layout:
    """What a data row holds: how many value cells, and the sums they obey."""

    cells: int
    rule: Constraint | None = None
    rule_name: str | None = None


def _label_cells(source: _Source, draft: _Draft) -> list[Cell]:
    return [Cell(source.label_text(label), source.line_at(label.start)) for label in draft.labels]


def _applications_layout(header_rows: list[Row], vocabulary: Vocabulary) -> _Layout:
    """Columns as the printed header names them; without a usable header, the template's columns in the
    vocabulary's order, as extract/applications.py then reads them (and says so)."""
    columns = header_columns(header_rows, vocabulary, "applications", "applicant_type")
    if not columns or any(vocabulary.kind_of("applications", code) == "column_group" for code in columns):
        columns = [code for code in vocabulary.codes("applications", "applicant_type") if code != "org_subtotal"]
    return _Layout(len(columns), applicant_sum(columns), "the applicant columns adding up to 总计")


def _review_layout(header_rows: list[Row], drafts: list[_Draft], vocabulary: Vocabulary) -> _Layout | None:
    blocks = header_columns(header_rows, vocabulary, "review_litigation", "category")
    printed_metrics = [label.term.code for d in drafts if d.header for label in d.labels if label.term.kind == "metric"]
    metrics = list(dict.fromkeys(printed_metrics))
    if not blocks or not metrics or any(vocabulary.kind_of("review_litigation", b) == "column_group" for b in blocks):
        return None
    layout = [(block, metric) for block in blocks for metric in metrics]
    return _Layout(len(layout), block_sums(layout), "each block's results adding up to its 总计")


def _layouts(source: _Source, drafts: list[_Draft], section: str, vocabulary: Vocabulary) -> list[_Layout | None]:
    """The layout of every draft's values: one for the whole table (3, 4), per sub-table header (2)."""
    header_rows = [Row(tuple(_label_cells(source, d))) for d in drafts if d.header]
    if section == "applications":
        return [_applications_layout(header_rows, vocabulary)] * len(drafts)
    if section == "review_litigation":
        return [_review_layout(header_rows, drafts, vocabulary)] * len(drafts)
    layouts: list[_Layout | None] = []
    current: _Layout | None = None
    for draft in drafts:
        if draft.header:
            metrics = [label for label in draft.labels if label.term.kind == "metric"]
            current = _Layout(len(metrics)) if metrics else current
        layouts.append(current)
    return layouts


def _row_code(draft: _Draft) -> str | None:
    """The table-3 row a data row is (as the extractor reads it): its last label's category or group."""
    if not draft.labels:
        return None
    term = draft.labels[-1].term
    if term.kind == "category":
        return term.code
    return f"{term.code}_subtotal" if term.kind == "group" else None


def _value_cells(source: _Source, run: tuple[int, int], split: tuple[str, ...]) -> list[Cell]:
    """The split's cells as printed, each on the line where it starts."""
    cells, position = [], run[0]
    for value in split:
        while source.text[position].isspace():
            position += 1
        end = position + len(value)  # the split is of the normalised run, which keeps every position
        cells.append(Cell(source.printed[position:end], source.line_at(position)))
        position = end
    return cells


@dataclass(frozen=True)
class _Built:
    table: Table | None
    start: int
    end: int
    notes: tuple[str, ...]


def build_table(source: _Source, chain: list[Span], section: str, vocabulary: Vocabulary) -> _Built:
    """One table from its chain of labels: rows of label and value cells, each run split when certain."""
    name = TABLE_NAMES[section]
    drafts = _drafts(source, chain, section, vocabulary)
    line = source.line_at(chain[0].start)
    layouts = _layouts(source, drafts, section, vocabulary)
    data = [i for i, d in enumerate(drafts) if not d.header and d.run is not None]
    if not data:
        return _Built(None, chain[0].start, chain[0].start, ())
    if any(layouts[i] is None for i in data):
        note = f"line {line}: {name} labels found, but no column header that says how to read its values"
        return _Built(None, chain[0].start, chain[0].start, (note,))

    searches: dict[int, SplitSearch] = {}
    for i in data:
        layout = layouts[i]
        searches[i] = candidate_splits(source.text[slice(*drafts[i].run)], layout.cells, layout.rule)
    options = {i: search.options for i, search in searches.items() if search.options}
    decided = {i: opts[0] for i, opts in options.items() if len(opts) == 1}
    joint_reason = ""
    if section == "applications":
        codes = [_row_code(d) if i in searches else None for i, d in enumerate(drafts)]
        jointly, joint_reason = resolve_jointly(options, column_sums(codes, layouts[data[0]].cells, vocabulary))
        decided |= jointly

    rows, notes = [], []
    for i, draft in enumerate(drafts):
        cells = _label_cells(source, draft)
        if draft.run is not None and i in decided:
            cells += _value_cells(source, draft.run, decided[i])
        elif draft.run is not None:
            search, layout = searches[i], layouts[i]
            reason = split_reason(search, layout.rule_name)
            if len(options.get(i, ())) > 1 and joint_reason:
                reason += f"; {joint_reason}"
            run_text = source.printed[slice(*draft.run)]
            run_line = source.line_at(draft.run[0])
            cells += [Cell(run_text, run_line, unresolved=reason)] * max(layout.cells, 1)
            label = "".join(source.label_text(draft.labels[-1]).split()) if draft.labels else "(no label)"
            notes.append(f"line {run_line}: {name} row {label}: {reason}; its values are kept as text")
        rows.append(Row(tuple(cells)))
    last = drafts[-1]
    end = last.run[1] if last.run is not None else last.labels[-1].end
    return _Built(Table(tuple(rows)), chain[0].start, end, tuple(notes))


def _is_anchor(printed: str, section: str, vocabulary: Vocabulary) -> bool:
    term = vocabulary.match(printed, section, ("heading", "applicant_type", "category"))
    return term is not None and (term.kind, term.code) in ANCHORS[section]


def table_chain(source: _Source, section: str, vocabulary: Vocabulary) -> list[Span] | None:
    """The section's table: its longest chain of labels that holds one of the section's anchors."""
    spans = find_labels(source.text, section_pattern(vocabulary, section))
    anchored = [
        chain
        for chain in label_chains(source.text, spans)
        if len(chain) >= MIN_TABLE_LABELS
        and any(_is_anchor(source.printed[s.start : s.end], section, vocabulary) for s in chain)
    ]
    return max(anchored, key=len, default=None)


def _paragraphs(source: _Source, start: int, end: int) -> list[Paragraph]:
    """The prose between tables, one paragraph per piece of a source line."""
    paragraphs, position = [], start
    for piece in source.printed[start:end].split("\n"):
        text = piece.strip()
        if text:
            paragraphs.append(Paragraph(text, source.line_at(position + len(piece) - len(piece.lstrip()))))
        position += len(piece) + 1
    return paragraphs


def read_flattened(lines: list[str], encoding: str | None = None) -> Document:
    vocabulary = load_vocabulary()
    source = _Source.of(lines)
    built: list[_Built] = []
    notes: list[str] = []
    for section in SHAPES:
        chain = table_chain(source, section, vocabulary)
        if chain is None:
            continue
        table = build_table(source, chain, section, vocabulary)
        notes.extend(table.notes)
        if table.table is not None:
            built.append(table)
    blocks: list[Block] = []
    position = 0
    for table in sorted(built, key=lambda t: t.start):
        if table.start < position:  # two sections' chains overlap: keep the first, say so
            notes.append(f"line {source.line_at(table.start)}: a table overlaps the one before it; left as prose")
            continue
        blocks += _paragraphs(source, position, table.start)
        blocks.append(table.table)
        position = table.end
    blocks += _paragraphs(source, position, len(source.printed))
    return Document(blocks=tuple(blocks), lines=tuple(lines), reader="flattened", encoding=encoding, notes=tuple(notes))
