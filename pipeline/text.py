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


def compact(text: str) -> str:
    """NFKC and no whitespace at all: the form used to search text for phrases.

    Idempotent, so a compacted text (a narrative fact's raw) compacts to itself: taking a space out can
    bring a letter and a combining mark together (NFKC turns ´ into a space and a combining acute), and
    NFKC then joins them."""
    squeezed = _SPACES.sub("", nfkc(text))
    return squeezed if unicodedata.is_normalized("NFKC", squeezed) else nfkc(squeezed)


def label_key(text: str) -> str:
    """The key two labels share when they mean the same row or column.

    '（二）部分公开（区分处理的，只计这一情形，不计其他情形）' and '部分公开' give the same key;
    '3.危及“三安全一稳定”' gives '危及三安全一稳定'; '结 果\\n维持' gives '结果维持'.
    """
    key = compact(text)
    key = _ENUMERATOR.sub("", key, count=1)
    previous = None
    while previous != key:  # nested brackets: strip inside out
        previous = key
        key = _BRACKETED.sub("", key)
    return _NOT_WORD.sub("", key)
