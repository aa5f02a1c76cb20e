"""Text normalisation for matching labels and numbers.

In: text as printed (full-width forms, ideographic and no-break spaces, wrapped labels).
Out: comparison keys. The original text is never replaced: callers keep it as `raw`.
"""

from __future__ import annotations

import re
import unicodedata

# Word and web exports pad cells with spaces of every kind: str.split() sees all of them (no-break and
# ideographic ones too, which strip(" ") would miss), but not these invisible ones.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"

# Enumerators in front of labels: 一、 / （一） / (1) / 1. / 1、 / 第一，
_ENUMERATOR = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.,]|\([一二三四五六七八九十\d]+\)|\d+[.、,)]|[一二三四五六七八九十]+是)"
)
# Notes in brackets: （区分处理的，只计这一情形，不计其他情形）, （单位：万元）
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
# Everything that is not a letter, digit or CJK character: quotes, slashes, dashes, colons.
_NOT_WORD = re.compile(r"[^\w\u3400-\u9fff]+")


def nfkc(text: str) -> str:
    """Full-width letters, digits and brackets to their ASCII forms (（一） -> (一), ０ -> 0)."""
    if text.isascii():  # ASCII is NFKC already
        return text
    if not _FOLDABLE.fullmatch(text):
        return unicodedata.normalize("NFKC", text)
    # most report text: fold it character by character, the common folds first (str.replace is far cheaper
    # than a regex substitution, which makes a Python call for every character it replaces)
    for char, folded in _COMMON_FOLDS:
        if char in text:
            text = text.replace(char, folded)
    if _UNCHANGED.fullmatch(text):
        return text
    return _FOLDING.sub(_fold, text)


# unicodedata.normalize takes hundreds of nanoseconds a character, and report text needs little of it: CJK
# ideographs and punctuation are NFKC already, and the full-width forms (，（）：０-９), the no-break and
# ideographic spaces, circled digits… each map to a fixed string. In a text made only of such characters no
# two of them interact (NFKC reorders and composes only around combining marks and Hangul jamo, none of which
# these are or map to), so its NFKC is the NFKC of each character, joined: exactly what the library returns.
_IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff"  # CJK unified ideographs: no decomposition, NFKC leaves them
_FOLD_CANDIDATES = (  # ranges whose characters are taken when they and their NFKC are inert (_is_inert)
    (0x0000, 0x00FF),  # ASCII and Latin-1 (no-break space, ·)
    (0x2010, 0x205E),  # general punctuation (— … ‰ ※)
    (0x2160, 0x217F),  # roman numerals
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # circled and bracketed digits (① ⑴ ⒈)
    (0x2500, 0x25FF),  # box drawing and geometric shapes (○ □ ■)
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。《》「」〔〕 and the ideographic space)
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF01, 0xFF64),  # full-width ASCII and half-width CJK punctuation
    (0xE000, 0xE000),  # a private-use character: compact_lines joins lines with it
)


def _is_inert(char: str) -> bool:
    """A character NFKC never combines with its neighbours: no combining mark (the second half of every
    canonical composition is one), no Hangul jamo (which compose with each other)."""
    return not unicodedata.category(char).startswith("M") and not ("\u1100" <= char <= "\u11ff")


def _character_folds() -> dict[str, str]:
    """The candidate characters that fold on their own, each with its NFKC."""
    folds: dict[str, str] = {}
    for first, last in _FOLD_CANDIDATES:
        for code in range(first, last + 1):
            char = chr(code)
            folded = unicodedata.normalize("NFKC", char)
            if _is_inert(char) and all(map(_is_inert, folded)):
                folds[char] = folded
    return folds


def _ranges(chars: list[str]) -> str:
    """The characters as the inside of a regex character class, runs of code points as ranges."""
    runs: list[list[int]] = []
    for code in sorted(map(ord, chars)):
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in runs)


_FOLDS = _character_folds()
_FOLDABLE = re.compile(f"[{_IDEOGRAPHS}{_ranges(list(_FOLDS))}]*")
_UNCHANGED = re.compile(f"[{_IDEOGRAPHS}{_ranges([char for char, folded in _FOLDS.items() if folded == char])}]*")
_FOLDING = re.compile(f"[{_ranges([char for char, folded in _FOLDS.items() if folded != char])}]")
# the characters Chinese text folds most often: no-break and ideographic spaces, full-width punctuation
_COMMON_FOLDS = tuple((char, _FOLDS[char]) for char in "\u00a0\u3000，（）：；！？")


def _fold(match: re.Match[str]) -> str:
    return _FOLDS[match.group()]


# Cell texts and labels repeat endlessly ("0", "自然人", "\xa00"): their keys are remembered. Only short texts
# (prose is seldom seen twice), and the memo is emptied when full, so memory stays bounded in long runs.
_MEMO_CHARS = 64
_MEMO_ENTRIES = 50_000
_compact_memo: dict[str, str] = {}
_label_key_memo: dict[str, str] = {}


def compact(text: str) -> str:
    """NFKC and no whitespace at all: the form used to search text for phrases.

    Idempotent, so a compacted text (a narrative fact's raw) compacts to itself: taking a space out can
    bring a letter and a combining mark together (NFKC turns ´ into a space and a combining acute), and
    NFKC then joins them."""
    key = _compact_memo.get(text)
    if key is not None:
        return key
    if text.isascii():  # ASCII is NFKC already: only the spaces go
        key = "".join(text.split())
    else:
        squeezed = "".join(nfkc(text).split())
        for invisible in _INVISIBLE:
            if invisible in squeezed:
                squeezed = squeezed.replace(invisible, "")
        key = squeezed if unicodedata.is_normalized("NFKC", squeezed) else nfkc(squeezed)
    if len(text) <= _MEMO_CHARS:
        if len(_compact_memo) >= _MEMO_ENTRIES:
            _compact_memo.clear()
        _compact_memo[text] = key
    return key


# Joins lines for compact_lines: a private-use character, which NFKC leaves alone and never combines with a
# neighbour, and which is no space, so NFKC and the space removal work on each line as if it stood alone.
_LINE_JOIN = "\ue000"


def compact_lines(lines: list[str] | tuple[str, ...]) -> list[str]:
    """[compact(line) for line in lines], with one normalisation of the whole text instead of one per line."""
    joined = _LINE_JOIN.join(lines)
    if joined.count(_LINE_JOIN) != max(len(lines) - 1, 0):  # the character is in the text itself
        return [compact(line) for line in lines]
    return compact(joined).split(_LINE_JOIN) if lines else []


def label_key(text: str) -> str:
    """The key two labels share when they mean the same row or column.

    '（二）部分公开（区分处理的，只计这一情形，不计其他情形）' and '部分公开' give the same key;
    '3.危及“三安全一稳定”' gives '危及三安全一稳定'; '结 果\\n维持' gives '结果维持'.
    """
    key = _label_key_memo.get(text)
    if key is not None:
        return key
    key = _label_key(text)
    if len(text) <= _MEMO_CHARS:
        if len(_label_key_memo) >= _MEMO_ENTRIES:
            _label_key_memo.clear()
        _label_key_memo[text] = key
    return key


def _label_key(text: str) -> str:
    key = compact(text)
    key = _ENUMERATOR.sub("", key, count=1)
    previous = None
    while previous != key:  # nested brackets: strip inside out
        previous = key
        key = _BRACKETED.sub("", key)
    return _NOT_WORD.sub("", key)


# A page number a converter left on a line of its own (compact text): 「3」, 「— 4 —」, 「第2页共9页」, 「2/9」
_PAGE_NUMBER = re.compile(r"[-—–―~]*第?\d{1,3}页?(?:/\d{1,3}|共\d{1,3}页)?[-—–―~]*")


def is_page_number(line: str) -> bool:
    """True for a line that is only a page number."""
    return len(line) < 40 and _PAGE_NUMBER.fullmatch(compact(line)) is not None
