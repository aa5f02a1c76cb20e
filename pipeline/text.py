"""Text normalisation for matching labels and numbers.

In: text as printed (full-width forms, ideographic and no-break spaces, wrapped labels).
Out: comparison keys. The original text is never replaced: callers keep it as `raw`.
"""

from __future__ import annotations

import re
import unicodedata

# Word and web exports pad cells with these; str.split() alone misses none of them, but strip(" ") would.
_SPACES = re.compile(r"[\s\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff]+")

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
    return unicodedata.normalize("NFKC", text)


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
        key = _SPACES.sub("", text)
    else:
        squeezed = _SPACES.sub("", unicodedata.normalize("NFKC", text))
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
