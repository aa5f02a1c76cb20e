"""Report metadata from the text: agency as printed, statistical year, scope, region hint.

In: the decoded lines of a report. Out: `Metadata`. The year is the one in the title (「2021年政府信息公开
工作年度报告」), else the one of the statistics period sentence; never the signature date at the end. The region
hint is the text naming the government portal or region the report belongs to (「北京市东城区人民政府门户网站」,
「数字东城网站」, 《东城区2021年政务公开工作要点》), as printed: pipeline/agencies.py reads the place out of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.text import compact, compact_lines, nfkc

_TITLE = re.compile(
    r"^(?:(?P<year_before>(?:19|20)\d{2})年度?)?(?P<agency>.*?)(?:(?P<year_after>(?:19|20)\d{2})年度?)?"
    r"(?:政府信息公开|政务信息公开|政务公开|信息公开)(?:工作)?(?:年度)?(?:报告|年报)"
)
# crawler header blocks label the title: 「标题: 2019年X政府信息公开工作年度报告」
_CRAWLER_LABEL = re.compile(r"^(?:标题|题目|title)[:：]", re.IGNORECASE)
_TITLE_END = re.compile(r"(?:报告|年报)")
# lines before a title that are not part of it: 附件1, a converter's 正文, a Word bookmark, a site's breadcrumb
_SKIP_LINE = re.compile(
    r"^(?:附件\d*|附件[一二三四五六七八九十]+|正文|\[bookmark:[^\]]*\])$|^(?:当前位置|您的位置|您现在的位置)[:：]"
)
_PERIOD = re.compile(r"统计期限?(?:为|是)?自?((?:19|20)\d{2})年\d{1,2}月\d{1,2}日")
_TRAILING_BRACKETS = re.compile(r"^(?P<name>.+?)(?P<alias>[（(][^（）()]+[)）])$")
# 「根据…各部门…年度报告汇总/编制」 or 「汇总…各有关单位…」: a summary of many agencies, never to be summed with them
_AGGREGATE = re.compile(
    r"根据.{0,60}(?:各部门|各单位|各区|各县|各乡镇|各街道|各地区|所属部门|各相关部门|各工作部门)"
    r".{0,60}(?:年度报告|年报|情况).{0,20}(?:汇总|编制|综合)"
    r"|汇总.{0,30}各(?:有关|相关)?(?:单位|部门|区县|乡镇|街道)"
)
# the portal a report points to names its government: 「北京市东城区人民政府门户网站」, 「西城区政府网站」,
# 「“中国上海”门户网站」, 「数字东城网站」; and so does the yearly plan it implements: 《东城区2021年政务公开工作要点》
_PORTAL = re.compile(
    r"[^，。、；：,.;:!?！？（）()《》\[\]【】]{1,14}?(?:人民政府|政府)?门户网站"
    r"|[^，。、；：,.;:!?！？（）()《》\[\]【】]{2,10}?政府网站"
    r"|数字[\u4e00-\u9fff]{2}(?=网站|[“”\"]|$)"
    r"|《[^《》]{2,12}?(?=(?:19|20)\d{2}年(?:政务公开|政府信息公开)工作要点》)"
)
_PLACE_WORD = re.compile(r"[省市区县旗州]|数字|中国")  # a phrase without one of these names no place
_MAX_REGION_HINTS = 4
_MAX_TITLE_LINES = 4
_MAX_TITLE_CHARS = 80


@dataclass(frozen=True)
class Metadata:
    agency: str | None
    agency_alias: str | None  # a second name printed in brackets after the agency
    year: int | None
    year_line: int | None
    scope: str | None
    errors: tuple[str, ...]
    region_hint: str | None = None  # portal or region phrases of the text, as printed, joined by 「；」


def _title(lines: list[str]) -> tuple[re.Match[str] | None, int]:
    """The title match over the first lines; titles are often split over two or three lines."""
    candidates: list[tuple[str, int]] = []
    for number, line in enumerate(lines, start=1):
        text = compact(line)
        if not text or _SKIP_LINE.match(text):
            continue
        if len(text) > _MAX_TITLE_CHARS and not _TITLE_END.search(text):
            break
        candidates.append((_CRAWLER_LABEL.sub("", text), number))
        joined = "".join(t for t, _ in candidates[-_MAX_TITLE_LINES:])
        for start in range(len(candidates[-_MAX_TITLE_LINES:])):
            tail = "".join(t for t, _ in candidates[-_MAX_TITLE_LINES:][start:])
            match = _TITLE.match(tail)
            if match and match["agency"] and (match["year_before"] or match["year_after"]):
                return match, number
        if len(candidates) >= 12 or len(joined) > 400:
            break
    return None, 0


def agency_key(agency: str) -> str:
    """A canonical key for an agency name: NFKC, no whitespace, no bracketed notes."""
    key = compact(agency)
    key = re.sub(r"\([^()]*\)", "", key)
    return key or compact(agency)


def region_hint(lines: list[str]) -> str | None:
    """The first few phrases naming the report's portal or region, as printed, joined by 「；」; None if none.

    Phrases with a place word are kept even when the place is generic (「本市政府网站」): telling places from
    words takes the divisions table, which is pipeline/agencies.py's business."""
    phrases: list[str] = []
    for text in compact_lines(lines):
        if "网" not in text and "数" not in text and "要" not in text:
            continue  # every phrase _PORTAL finds holds 网站, 数字 or 要点: most lines need no search
        text = text.replace("“", "").replace("”", "").replace('"', "")
        if "网站" not in text and "数字" not in text and "要点" not in text:
            continue
        for match in _PORTAL.finditer(text):
            phrase = match.group().lstrip("《")
            place = re.sub(r"(?:人民政府|政府)?门户网站$|政府网站$", "", phrase)
            if phrase not in phrases and _PLACE_WORD.search(place):
                phrases.append(phrase)
            if len(phrases) == _MAX_REGION_HINTS:
                return "；".join(phrases)
    return "；".join(phrases) or None


def extract_metadata(lines: list[str]) -> Metadata:
    errors: list[str] = []
    match, title_line = _title(lines)
    agency = alias = None
    year = year_line = None
    if match:
        agency = match["agency"]
        bracketed = _TRAILING_BRACKETS.match(agency)
        if bracketed:
            agency, alias = bracketed["name"], bracketed["alias"][1:-1]
        year = int(match["year_before"] or match["year_after"])
        year_line = title_line
    else:
        errors.append("no title of the form '<agency><year>年政府信息公开工作年度报告' in the first lines")
    if year is None:
        for number, line in enumerate(lines, start=1):
            period = _PERIOD.search(nfkc(compact(line)))
            if period:
                year, year_line = int(period.group(1)), number
                break
    if year is None:
        errors.append("statistical year not found (neither in the title nor in a statistics period sentence)")
    text = compact("\n".join(lines[:200]))
    if _AGGREGATE.search(text):
        scope = "regional_aggregate"
    elif agency and agency.endswith("人民政府"):
        scope = "government"
    elif agency:
        scope = "agency"
    else:
        scope = None
    return Metadata(agency or None, alias, year, year_line, scope, tuple(errors), region_hint(lines))
