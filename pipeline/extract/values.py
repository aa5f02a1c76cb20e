"""Cell text -> (value, value_status, unit).

In: the text of one cell as printed. Out: `CellValue`. Blank is not zero: an empty cell is `blank`
with value None, a dash or 无 is `placeholder`, and anything that is not a number is `text`.
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
    digits = match["digits"].replace(",", "")
    if match["fraction"]:
        value: int | float = float(digits + match["fraction"])
    else:
        value = int(digits)
    if match["sign"] == "-":
        value = -value
    return CellValue(value, "number", match["unit"])


def is_value_like(raw: str) -> bool:
    """True for cells that can stand in a value column: numbers, blanks and placeholders."""
    return parse_value(raw).status != "text"
