"""Cell text -> (value, value_status, unit).

In: the text of one cell as printed. Out: `CellValue`. Blank is not zero: an empty cell is `blank`
with value None, a dash or 无 is `placeholder`, and anything that is not a number is `text` (so is a
number too long to be any value: more than MAX_DIGITS digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.text import compact

PLACEHOLDERS = frozenset({"-", "--", "/", "//", "—", "——", "–", "－", "―", "无", "不适用", "空", "×", "x", "X"})
_NUMBER = re.compile(
    r"^(?P<sign>[+-]?)(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<fraction>\.\d+)?(?P<unit>万元|元|件|条|项|个|人次|次)?$"
)
# No value has more digits before its decimal point: float64, the warehouse's value type, overflows to
# infinity beyond about 10^308, and int() refuses strings of more than 4300 digits (a ValueError).
MAX_DIGITS = 300


@dataclass(frozen=True)
class CellValue:
    value: int | float | None
    status: str  # number | blank | placeholder | text
    unit: str | None = None  # a unit printed inside the cell (251000元)


@lru_cache(maxsize=8192)  # cells repeat endlessly ("0", "\xa00"); CellValue is immutable, so sharing is safe
def parse_value(raw: str) -> CellValue:
    text = compact(raw)
    if not text:
        return CellValue(None, "blank")
    if text in PLACEHOLDERS:
        return CellValue(None, "placeholder")
    match = _NUMBER.match(text)
    if not match:
        return CellValue(None, "text")
    value = to_number(match["digits"].replace(",", ""), match["fraction"] or "")
    if value is None:
        return CellValue(None, "text")  # too long to be a count or an amount: kept as printed
    if match["sign"] == "-":
        value = -value
    return CellValue(value, "number", match["unit"])


def to_number(digits: str, fraction: str = "") -> int | float | None:
    """The value of printed digits and an optional ".digits" fraction; None when there are too many digits
    for any value (MAX_DIGITS), so that no caller overflows or raises."""
    if len(digits) > MAX_DIGITS:
        return None
    return float(digits + fraction) if fraction else int(digits)


def is_value_like(raw: str) -> bool:
    """True for cells that can stand in a value column: numbers, blanks and placeholders."""
    return parse_value(raw).status != "text"
