"""Step 7: a built warehouse -> the trends page `report.html` and the same charts as Dagster previews.

In: an open DuckDB connection to a built warehouse (read-only is enough), reading the models `core_indicators`,
`derived_metrics`, `indicator_rankings`, `region_rollups`, `quality_findings`, `agencies` and `reports`.
Out: `render_page` -> one self-contained HTML string (inline SVG and CSS, a few lines of inline JS, no fonts or
scripts fetched: it opens offline); `chart_svgs` -> one standalone SVG string per chart; `chart_metadata` -> the
charts as Dagster markdown metadata (an `<img>` with a `data:image/svg+xml` URI, which the Dagster UI's markdown
sanitiser allows); `write_page` writes the page atomically.

What the charts compare: reports of the 2019 Regulation's templates (statistical year 2019 on), whose table 3
counts mean the same thing every year; legacy reports are left out. Regional aggregates (`reports.scope =
'regional_aggregate'`, summaries of many agencies) are never added to their parts. Blank cells are not zeros:
sums ignore them. Each chart states its year range, what it leaves out and how many reports are behind it, and
carries its numbers as a table, so the page is usable without the pictures.

The charts (`CHART_KEYS`; `CHARTS_BY_ASSET` says which asset shows which as a preview): new applications per
year stacked by province and by administrative level (region_rollups); the outcome mix per year as 100% columns
(core_indicators); the agencies with the most new applications and with the highest disclosure rate in the latest
year (indicator_rankings, derived_metrics); quality findings per check and per agency-year, each bar linking to
what failed (quality_findings).

Every query feeding a chart is a named constant below, so a renamed model column is a one-line change. A model
that is missing (or whose columns differ) turns its chart into "not available in this warehouse", never an error.
Every text drawn comes from documents (agency names), so all of it is escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb

from pipeline.sql_models import table_dependencies

FIRST_COMPARABLE_YEAR = 2019  # the 2019 Regulation's templates: table 3 counts comparable from here on
NEW_APPLICATIONS = "applications_received"  # core_indicators.indicator for 一、本年新收政府信息公开申请数量
DISCLOSURE_RATE = "disclosure_rate"  # derived_metrics.metric: (予以公开 + 部分公开) / （七）总计
MIN_PROCESSED_FOR_RATE = 10  # a rate from fewer processed applications says little: left out of the ranking
TOP_AGENCIES = 15
TOP_PROVINCES = 8  # the rest are one "other provinces" band, so colours stay tellable apart
TOP_AGENCY_YEARS = 20
MAX_FINDINGS_LISTED = 500
OUTCOMES = ("granted", "partial", "denied", "unable", "not_processed", "other")  # table 3 outcome groups

FONT_STACK = (
    "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', 'WenQuanYi Micro Hei', "
    "'Hiragino Sans GB', sans-serif"
)

OUTCOME_LABELS = {
    "granted": "granted 予以公开",
    "partial": "partial 部分公开",
    "denied": "denied 不予公开",
    "unable": "unable 无法提供",
    "not_processed": "not processed 不予处理",
    "other": "other 其他处理",
}
OUTCOME_COLOURS = {
    "granted": "#1b7837",
    "partial": "#7fbf7b",
    "denied": "#c2185b",
    "unable": "#e08214",
    "not_processed": "#8c8c8c",
    "other": "#7b6fb0",
}
LEVEL_LABELS = {
    "central": "central 中央",
    "provincial": "provincial 省级",
    "city": "city 市级",
    "county": "county 县级",
    "township": "township 乡镇街道",
    "functional_zone": "functional zone 功能区",
}
LEVEL_COLOURS = {  # dark to light down the hierarchy, but hues far enough apart to tell neighbours in a stack
    "central": "#3f007d",
    "provincial": "#1f4e79",
    "city": "#3a8fd0",
    "county": "#7fc4bd",
    "township": "#f2c14e",
    "functional_zone": "#8cbf5a",
}
UNKNOWN_COLOUR = "#bdbdbd"
CATEGORICAL = (  # Tableau 10 without its grey (grey marks "other" and "unknown"), then darker companions
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#1f3d66",
    "#a6611a",
    "#7a1f3d",
    "#2f6f6a",
    "#2e5e1f",
    "#8c6d00",
)

# ---------------------------------------------------------------------------------------------------------------
# The queries, one per chart. Parameters: $first_year, $indicator, $metric, $min_denominator, $limit.

REGION_ROLLUP_SQL = """
SELECT year, grouping, group_value, sum(value) AS value, sum(n_agencies) AS n_agencies
FROM region_rollups
WHERE series = 'core' AND indicator = $indicator AND grouping IN ('province', 'level') AND year >= $first_year
GROUP BY year, grouping, group_value
ORDER BY year, grouping, group_value
"""

# Reports behind an indicator: agency-level reports (never regional aggregates) that give it a number.
REPORTS_BEHIND_SQL = """
SELECT count(DISTINCT core.report_id)
FROM core_indicators AS core
JOIN reports ON reports.report_id = core.report_id
WHERE core.indicator IN (SELECT unnest($indicators)) AND core.year >= $first_year AND core.value IS NOT NULL
    AND coalesce(reports.scope, '') <> 'regional_aggregate'
"""

# All agency reports' sum per year: what the rollups leave out (agencies of unknown province or level) is the rest.
YEAR_TOTALS_SQL = """
SELECT core.year, sum(core.value) AS value, count(core.value) AS n_agencies
FROM core_indicators AS core
JOIN reports ON reports.report_id = core.report_id
WHERE core.indicator = $indicator AND core.year >= $first_year AND coalesce(reports.scope, '') <> 'regional_aggregate'
GROUP BY core.year
"""

AGGREGATES_LEFT_OUT_SQL = """
SELECT count(*) FROM reports
WHERE scope = 'regional_aggregate' AND year >= $first_year AND status IN ('ok', 'partial')
"""

OUTCOME_MIX_SQL = """
SELECT core.year, core.indicator, sum(core.value) AS value,
    count(DISTINCT core.report_id) FILTER (WHERE core.value IS NOT NULL) AS n_reports
FROM core_indicators AS core
JOIN reports ON reports.report_id = core.report_id
WHERE core.indicator IN (SELECT unnest($indicators)) AND core.year >= $first_year
    AND coalesce(reports.scope, '') <> 'regional_aggregate'
GROUP BY core.year, core.indicator
ORDER BY core.year, core.indicator
"""

# Agency-years whose report is a regional aggregate are left out: a summary is not an agency.
TOP_AGENCIES_BY_NEW_APPLICATIONS_SQL = """
WITH ranked AS (
    SELECT rankings.year, rankings.agency_id, rankings.value, rankings.rank_overall, rankings.agencies_ranked
    FROM indicator_rankings AS rankings
    WHERE rankings.series = 'core' AND rankings.indicator = $indicator AND rankings.year >= $first_year
        AND rankings.value IS NOT NULL
        AND NOT EXISTS (
            SELECT 1 FROM reports
            WHERE reports.agency_id = rankings.agency_id AND reports.year = rankings.year
                AND reports.scope = 'regional_aggregate'
        )
)
SELECT ranked.year, ranked.agency_id, coalesce(agencies.agency_name, ranked.agency_id) AS agency_name,
    agencies.province, ranked.value, ranked.rank_overall, ranked.agencies_ranked
FROM ranked
LEFT JOIN agencies ON agencies.agency_id = ranked.agency_id
WHERE ranked.year = (SELECT max(year) FROM ranked)
ORDER BY ranked.value DESC, agency_name
LIMIT $limit
"""

# The rate is recomputed from numerator / denominator so its scale (share or percent) cannot be mistaken.
TOP_AGENCIES_BY_DISCLOSURE_RATE_SQL = """
WITH rates AS (
    SELECT metrics.year, metrics.agency_id, metrics.numerator, metrics.denominator,
        metrics.numerator / metrics.denominator AS rate
    FROM derived_metrics AS metrics
    WHERE metrics.metric = $metric AND metrics.year >= $first_year AND metrics.denominator >= $min_denominator
        AND metrics.numerator IS NOT NULL
        AND NOT EXISTS (
            SELECT 1 FROM reports
            WHERE reports.agency_id = metrics.agency_id AND reports.year = metrics.year
                AND reports.scope = 'regional_aggregate'
        )
)
SELECT rates.year, rates.agency_id, coalesce(agencies.agency_name, rates.agency_id) AS agency_name,
    agencies.province, rates.rate, rates.numerator, rates.denominator,
    (SELECT count(*) FROM rates AS same_year WHERE same_year.year = rates.year) AS agencies_ranked
FROM rates
LEFT JOIN agencies ON agencies.agency_id = rates.agency_id
WHERE rates.year = (SELECT max(year) FROM rates)
ORDER BY rates.rate DESC, rates.denominator DESC, agency_name
LIMIT $limit
"""

QUALITY_FINDINGS_SQL = """
SELECT findings.check_name, findings.agency_id, findings.year, findings.detail,
    coalesce(agencies.agency_name, findings.agency_id, '(agency unknown)') AS agency_name
FROM quality_findings AS findings
LEFT JOIN agencies ON agencies.agency_id = findings.agency_id
WHERE NOT findings.ok
ORDER BY agency_name, findings.year, check_name, findings.detail
"""

# Reports the checks ran on (every report read), and the years the findings concern.
QUALITY_EVALUATED_SQL = """
SELECT (SELECT count(*) FROM reports WHERE status IN ('ok', 'partial')), min(year), max(year) FROM quality_findings
"""

REPORT_COUNTS_SQL = """
SELECT count(*) FILTER (WHERE status IN ('ok', 'partial')),
    count(*) FILTER (WHERE status IN ('ok', 'partial') AND year >= $first_year),
    min(year) FILTER (WHERE status IN ('ok', 'partial')),
    max(year) FILTER (WHERE status IN ('ok', 'partial'))
FROM reports
"""

CHART_QUERIES = (
    REGION_ROLLUP_SQL,
    REPORTS_BEHIND_SQL,
    YEAR_TOTALS_SQL,
    AGGREGATES_LEFT_OUT_SQL,
    OUTCOME_MIX_SQL,
    TOP_AGENCIES_BY_NEW_APPLICATIONS_SQL,
    TOP_AGENCIES_BY_DISCLOSURE_RATE_SQL,
    QUALITY_FINDINGS_SQL,
    QUALITY_EVALUATED_SQL,
    REPORT_COUNTS_SQL,
)
# the warehouse tables the page reads, from its queries (the Dagster asset's upstream assets)
REPORT_QUERIES_READ = tuple(dict.fromkeys(name for sql in CHART_QUERIES for name in table_dependencies(sql)))

# ---------------------------------------------------------------------------------------------------------------
# What a chart is, whatever draws it.


@dataclass(frozen=True)
class DataTable:
    """The chart's numbers as rows; `row_ids` (optional, one per row) are anchors links can point at."""

    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    row_ids: tuple[str | None, ...] = ()
    caption: str = ""


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    summary: str  # one sentence: what is drawn, in which unit
    svg: str | None = None  # None when there is nothing to draw; `unavailable` says why
    tables: tuple[DataTable, ...] = ()
    notes: tuple[str, ...] = ()
    n_reports: int | None = None
    n_reports_label: str = "reports"
    years: tuple[int, int] | None = None
    unavailable: str | None = None


class ModelUnavailable(Exception):
    """A model a chart reads is missing from the warehouse, or lacks a column the chart's query names."""


@dataclass
class _Series:
    name: str
    values: list[float | None]
    colour: str
    links: list[str | None] = field(default_factory=list)
    colours: list[str] = field(default_factory=list)  # one per bar, when bars differ in colour (not in a legend)


# ---------------------------------------------------------------------------------------------------------------
# Small helpers: escaping, formatting, text widths, axis ticks.

_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def esc(text: object) -> str:
    """Text from documents, safe inside HTML and SVG (XML) text and quoted attributes."""
    return html.escape(_XML_INVALID.sub("", str(text)), quote=True)


def fmt_count(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def fmt_share(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def text_width(text: str, size: float) -> float:
    """Approximate rendered width: CJK characters are a full em, Latin ones a bit over half."""
    return sum(size * (1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6) for ch in text)


def clip_text(text: str, size: float, width: float) -> str:
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def nice_ticks(maximum: float, count: int = 5, integer: bool = True) -> list[float]:
    """0, step, 2*step … up to the first tick at or above maximum, step a 1/2/2.5/5 multiple of a power of 10."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1.0, step if float(step).is_integer() else math.ceil(step))
    n = math.ceil(maximum / step - 1e-9)
    return [i * step for i in range(n + 1)]


def _text_colour(fill: str) -> str:
    red, green, blue = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "#111" if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "#fff"


def anchor(*parts: object) -> str:
    """An id safe in HTML and URLs for an agency-year (agency ids come from documents)."""
    return "q-" + hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:12]


def _years_text(span: tuple[int, int]) -> str:
    return f"{'year' if span[0] == span[1] else 'years'} {span_text(span)}"


def _count_text(count: int, label: str) -> str:
    """'1 report', '3 reports', '1 report checked': the label is written in the plural."""
    first, _, rest = label.partition(" ")
    if count == 1 and first.endswith("s"):
        first = first[:-1]
    return f"{count} {first}{' ' + rest if rest else ''}"


def year_span(years: Sequence[int]) -> tuple[int, int] | None:
    return (min(years), max(years)) if years else None


def span_text(span: tuple[int, int] | None) -> str:
    if span is None:
        return "no years"
    return str(span[0]) if span[0] == span[1] else f"{span[0]}–{span[1]}"


# ---------------------------------------------------------------------------------------------------------------
# SVG drawing.

FONT_SIZE = 12
LEGEND_SWATCH = 11
LEGEND_ROW = 18


def _svg_open(width: float, height: float, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" font-family="{FONT_STACK}" font-size="{FONT_SIZE}">',
        f"<title>{esc(title)}</title><desc>{esc(description)}</desc>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#fff"/>',
    ]


def _legend(parts: list[str], series: Sequence[_Series], x: float, y: float, width: float) -> None:
    for index, item in enumerate(series):
        top = y + index * LEGEND_ROW
        parts.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{LEGEND_SWATCH}" height="{LEGEND_SWATCH}" fill="{item.colour}" '
            'stroke="#555" stroke-width="0.5"/>'
        )
        label = clip_text(item.name, FONT_SIZE, width - LEGEND_SWATCH - 6)
        parts.append(
            f'<text x="{x + LEGEND_SWATCH + 6:.1f}" y="{top + LEGEND_SWATCH - 1:.1f}" fill="#222">'
            f"<title>{esc(item.name)}</title>{esc(label)}</text>"
        )


def stacked_columns_svg(
    categories: Sequence[str],
    series: Sequence[_Series],
    *,
    title: str,
    description: str,
    y_label: str,
    unit: str,
    percent: bool = False,
) -> str:
    """Vertical stacked columns, one per category (year); `percent` draws each column as shares of its total."""
    legend_width = max(150.0, min(230.0, max(text_width(s.name, FONT_SIZE) for s in series) + LEGEND_SWATCH + 12))
    plot_left, plot_top_base, plot_bottom_margin = 72.0, 16.0, 46.0
    column_slot = max(44.0, min(90.0, 520.0 / max(1, len(categories))))
    plot_width = column_slot * len(categories)
    width = plot_left + plot_width + 24 + legend_width + 8
    plot_height = 250.0
    plot_top = plot_top_base + 10  # room for the totals above the columns
    height = max(plot_top + plot_height + plot_bottom_margin, plot_top + len(series) * LEGEND_ROW + 10)
    parts = _svg_open(width, height, title, description)
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0] if percent else nice_ticks(max(totals, default=0))
    top_value = ticks[-1] or 1.0

    def y_of(value: float) -> float:
        return plot_top + plot_height - plot_height * value / top_value

    for tick in ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{plot_left:.1f}" x2="{plot_left + plot_width:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{"#888" if tick == 0 else "#e3e3e3"}" stroke-width="1"/>'
        )
        label = f"{tick:.0%}" if percent else fmt_count(tick)
        parts.append(f'<text x="{plot_left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{label}</text>')
    middle = plot_top + plot_height / 2
    parts.append(
        f'<text transform="translate(16 {middle:.1f}) rotate(-90)" text-anchor="middle" fill="#222">'
        f"{esc(y_label)}</text>"
    )
    bar_width = column_slot * 0.62
    for index, category in enumerate(categories):
        x = plot_left + column_slot * index + (column_slot - bar_width) / 2
        total = totals[index]
        base = 0.0
        for item in series:
            value = item.values[index]
            if not value or total <= 0:
                continue
            share = value / total
            amount = share if percent else value
            y_top, y_bottom = y_of(base + amount), y_of(base)
            tip = f"{category} · {item.name}: {fmt_count(value)} {unit}" + (f" ({fmt_share(share)})" if percent else "")
            parts.append(
                f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_width:.1f}" height="{max(0.0, y_bottom - y_top):.1f}" '
                f'fill="{item.colour}" stroke="#fff" stroke-width="0.6"><title>{esc(tip)}</title></rect>'
            )
            if percent and y_bottom - y_top >= 14 and bar_width >= 30:
                parts.append(
                    f'<text x="{x + bar_width / 2:.1f}" y="{(y_top + y_bottom) / 2 + 4:.1f}" text-anchor="middle" '
                    f'font-size="10" fill="{_text_colour(item.colour)}" pointer-events="none">'
                    f"{fmt_share(share, 0)}</text>"
                )
            base += amount
        centre = x + bar_width / 2
        if total > 0:
            above = fmt_count(total) + (f" {unit}" if percent else "")
            parts.append(
                f'<text x="{centre:.1f}" y="{y_of(1.0 if percent else total) - 5:.1f}" text-anchor="middle" '
                f'font-size="10" fill="#333">{esc(above)}</text>'
            )
        else:  # a year whose reports all say 0 is not a year without reports
            reported = any(item.values[index] is not None for item in series)
            parts.append(
                f'<text x="{centre:.1f}" y="{y_of(0) - 5:.1f}" text-anchor="middle" font-size="10" fill="#999">'
                f"{esc(f'0 {unit}' if reported else 'no data')}</text>"
            )
        parts.append(
            f'<text x="{centre:.1f}" y="{plot_top + plot_height + 16:.1f}" text-anchor="middle" fill="#222">'
            f"{esc(category)}</text>"
        )
    parts.append(
        f'<text x="{plot_left + plot_width / 2:.1f}" y="{plot_top + plot_height + 38:.1f}" text-anchor="middle" '
        'fill="#222">statistical year</text>'
    )
    legend_x = plot_left + plot_width + 24
    _legend(parts, list(reversed(series)), legend_x, plot_top, legend_width)  # top-down like the stack
    parts.append("</svg>")
    return "\n".join(parts)


def horizontal_bars_svg(
    labels: Sequence[str],
    series: Sequence[_Series],
    *,
    title: str,
    description: str,
    x_label: str,
    unit: str,
    percent: bool = False,
    annotations: Sequence[str] | None = None,
    label_tips: Sequence[str] | None = None,
) -> str:
    """Horizontal bars, one per label, stacked when several series; `annotations` are drawn after each bar.

    A series' `links` (one per label) make its segments links, e.g. to the rows of a table on the same page.
    """
    label_width = min(300.0, max(text_width(label, FONT_SIZE) for label in labels) + 10)
    annotation_width = max((text_width(a, 10) for a in annotations or ()), default=0) + 40
    bar_area = 380.0
    show_legend = len(series) > 1
    legend_width = (
        max(150.0, min(230.0, max(text_width(s.name, FONT_SIZE) for s in series) + LEGEND_SWATCH + 12))
        if show_legend
        else 0.0
    )
    row, left = 22.0, 8 + label_width
    plot_top = 10.0
    plot_height = row * len(labels)
    width = left + bar_area + annotation_width + legend_width + 8
    height = max(plot_top + plot_height + 50, plot_top + len(series) * LEGEND_ROW + 10)
    parts = _svg_open(width, height, title, description)
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    ticks = nice_ticks(1.0 if percent else max(totals, default=0), integer=not percent)
    if percent:
        ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
    top_value = ticks[-1] or 1.0

    def x_of(value: float) -> float:
        return left + bar_area * value / top_value

    for tick in ticks:
        x = x_of(tick)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{plot_top:.1f}" y2="{plot_top + plot_height:.1f}" '
            f'stroke="{"#888" if tick == 0 else "#e3e3e3"}" stroke-width="1"/>'
        )
        label = f"{tick:.0%}" if percent else fmt_count(tick)
        parts.append(
            f'<text x="{x:.1f}" y="{plot_top + plot_height + 15:.1f}" text-anchor="middle" fill="#444">{label}</text>'
        )
    parts.append(
        f'<text x="{left + bar_area / 2:.1f}" y="{plot_top + plot_height + 36:.1f}" text-anchor="middle" '
        f'fill="#222">{esc(x_label)}</text>'
    )
    bar_height = row * 0.68
    for index, label in enumerate(labels):
        y = plot_top + row * index + (row - bar_height) / 2
        tip = label_tips[index] if label_tips else label
        shown = clip_text(label, FONT_SIZE, label_width - 10)
        parts.append(
            f'<text x="{left - 6:.1f}" y="{y + bar_height / 2 + 4:.1f}" text-anchor="end" fill="#222">'
            f"<title>{esc(tip)}</title>{esc(shown)}</text>"
        )
        base = 0.0
        for item in series:
            value = item.values[index]
            if not value:
                continue
            x0, x1 = x_of(base), x_of(base + value)
            value_text = fmt_share(value) if percent else f"{fmt_count(value)} {unit}"
            segment_tip = f"{tip} · {item.name}: {value_text}" if show_legend else f"{tip}: {value_text}"
            rect = (
                f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(0.0, x1 - x0):.1f}" height="{bar_height:.1f}" '
                f'fill="{item.colours[index] if item.colours else item.colour}" stroke="#fff" stroke-width="0.6">'
                f"<title>{esc(segment_tip)}</title></rect>"
            )
            link = item.links[index] if item.links else None
            parts.append(f'<a href="{esc(link)}">{rect}</a>' if link else rect)
            base += value
        after = annotations[index] if annotations else (fmt_share(base) if percent else fmt_count(base))
        parts.append(
            f'<text x="{x_of(base) + 5:.1f}" y="{y + bar_height / 2 + 4:.1f}" font-size="10" fill="#333">'
            f"{esc(after)}</text>"
        )
    if show_legend:
        _legend(parts, series, left + bar_area + annotation_width, plot_top, legend_width)
    parts.append("</svg>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# Reading the warehouse.


def _relations(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute(
        "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views() WHERE NOT internal"
    ).fetchall()
    return {name for (name,) in rows}


def _require(connection: duckdb.DuckDBPyConnection, *models: str) -> None:
    missing = sorted(set(models) - _relations(connection))
    if missing:
        raise ModelUnavailable(f"not available in this warehouse: the model(s) {', '.join(missing)} are missing")


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, **params: object) -> list[tuple]:
    try:
        return connection.execute(sql, params).fetchall()
    except (duckdb.CatalogException, duckdb.BinderException) as err:
        first_line = str(err).splitlines()[0]
        raise ModelUnavailable(f"not available in this warehouse: {first_line}") from err


def _aggregates_note(connection: duckdb.DuckDBPyConnection) -> str:
    (left_out,) = _rows(connection, AGGREGATES_LEFT_OUT_SQL, first_year=FIRST_COMPARABLE_YEAR)[0]
    return (
        f"Regional aggregates (reports summarising many agencies) are left out, never added to their parts: "
        f"{left_out} such report(s) from {FIRST_COMPARABLE_YEAR} on."
    )


def _comparability_note() -> str:
    return (
        f"Reports from {FIRST_COMPARABLE_YEAR} on only (the 2019 Regulation's templates); earlier reports count "
        "differently. Blank cells are not zeros: sums ignore them."
    )


def _reports_behind(connection: duckdb.DuckDBPyConnection, indicators: Sequence[str]) -> int:
    (count,) = _rows(connection, REPORTS_BEHIND_SQL, indicators=list(indicators), first_year=FIRST_COMPARABLE_YEAR)[0]
    return int(count)


def _guarded(key: str, title: str, summary: str, build) -> Chart:
    try:
        return build()
    except ModelUnavailable as reason:
        return Chart(key=key, title=title, summary=summary, unavailable=str(reason))


# ---------------------------------------------------------------------------------------------------------------
# The charts.


def _region_charts(connection: duckdb.DuckDBPyConnection) -> list[Chart]:
    province_title = "New applications per year, by province"
    level_title = "New applications per year, by administrative level"
    summary = "一、本年新收政府信息公开申请数量 (new applications received), summed over agencies, in 件."

    def build() -> list[Chart]:
        _require(connection, "region_rollups", "core_indicators", "reports")
        rows = _rows(connection, REGION_ROLLUP_SQL, indicator=NEW_APPLICATIONS, first_year=FIRST_COMPARABLE_YEAR)
        totals = {
            year: (value, n)
            for year, value, n in _rows(
                connection, YEAR_TOTALS_SQL, indicator=NEW_APPLICATIONS, first_year=FIRST_COMPARABLE_YEAR
            )
        }
        n_reports = _reports_behind(connection, [NEW_APPLICATIONS])
        notes_common = (_comparability_note(), _aggregates_note(connection))
        charts = []
        for grouping, title, key in (
            ("province", province_title, "applications_by_province"),
            ("level", level_title, "applications_by_level"),
        ):
            data = [row for row in rows if row[1] == grouping]
            years = sorted(
                {row[0] for row in data} | {year for year, (value, _) in totals.items() if value is not None}
            )
            span = year_span(years)
            if not years:
                charts.append(Chart(key, title, summary, n_reports=n_reports, unavailable=_no_data("applications")))
                continue
            categories = list(range(span[0], span[1] + 1))
            values: dict[str | None, dict[int, float | None]] = {}
            for year, _, group, value, _ in data:
                values.setdefault(group, {})[year] = value
            unknown = _unknown_band(values, totals)
            if unknown:
                values[None] = unknown
            notes = list(notes_common)
            if grouping == "province":
                series, table = _province_series(values, categories)
                if len(table) - (None in values) > TOP_PROVINCES:
                    notes.append(
                        f"The {TOP_PROVINCES} provinces with the most applications are drawn apart, the rest as one "
                        "band; the table lists every province."
                    )
            else:
                series, table = _level_series(values, categories)
            if None in values:
                notes.append(f"Agencies whose {grouping} is unknown (agencies table) are drawn as “unknown”.")
            svg = stacked_columns_svg(
                [str(year) for year in categories],
                series,
                title=title,
                description=f"{summary} {span_text(span)}.",
                y_label="new applications (件)",
                unit="件",
            )
            table_rows = [
                (name, *[fmt_count(by_year.get(year)) for year in categories], fmt_count(_sum(by_year.values())))
                for name, by_year in table
            ]
            table_rows.append(
                ("agencies counted", *[fmt_count(totals.get(year, (None, None))[1]) for year in categories], "")
            )
            charts.append(
                Chart(
                    key=key,
                    title=title,
                    summary=summary,
                    svg=svg,
                    tables=(
                        DataTable(
                            columns=(grouping, *map(str, categories), "all years"),
                            rows=tuple(table_rows),
                            caption="new applications (件); – = no figure",
                        ),
                    ),
                    notes=tuple(notes),
                    n_reports=n_reports,
                    years=span,
                )
            )
        return charts

    try:
        return build()
    except ModelUnavailable as reason:
        return [
            Chart("applications_by_province", province_title, summary, unavailable=str(reason)),
            Chart("applications_by_level", level_title, summary, unavailable=str(reason)),
        ]


def _unknown_band(values: dict, totals: dict[int, tuple]) -> dict[int, float]:
    """Per year, what the agency reports add up to beyond the named groups: agencies of unknown region or level."""
    band = {}
    for year, (total, _) in totals.items():
        grouped = _sum(by_year.get(year) for by_year in values.values()) or 0.0
        if total is not None and total - grouped > 1e-9:
            band[year] = total - grouped
    return band


def _sum(values) -> float | None:
    numbers = [v for v in values if v is not None]
    return sum(numbers) if numbers else None


def _province_series(values: dict, categories: list[int]):
    def total(group) -> float:
        return _sum(values[group].values()) or 0.0

    named = sorted((g for g in values if g is not None), key=lambda g: (-total(g), g))
    top, rest = named[:TOP_PROVINCES], named[TOP_PROVINCES:]
    series = [
        _Series(group, [values[group].get(year) for year in categories], CATEGORICAL[i % len(CATEGORICAL)])
        for i, group in enumerate(top)
    ]
    if rest:
        series.append(
            _Series(
                f"other provinces ({len(rest)})",
                [_sum(values[g].get(year) for g in rest) for year in categories],
                "#9d9d9d",
            )
        )
    if None in values:
        series.append(_Series("unknown province", [values[None].get(year) for year in categories], UNKNOWN_COLOUR))
    table = [(g, values[g]) for g in named] + ([("unknown", values[None])] if None in values else [])
    return series, table


def _level_series(values: dict, categories: list[int]):
    order = [level for level in LEVEL_LABELS if level in values]
    others = sorted(g for g in values if g is not None and g not in LEVEL_LABELS)
    series = [
        _Series(LEVEL_LABELS[level], [values[level].get(year) for year in categories], LEVEL_COLOURS[level])
        for level in order
    ]
    series += [
        _Series(g, [values[g].get(year) for year in categories], CATEGORICAL[i % len(CATEGORICAL)])
        for i, g in enumerate(others)
    ]
    if None in values:
        series.append(_Series("unknown level", [values[None].get(year) for year in categories], UNKNOWN_COLOUR))
    table = [(LEVEL_LABELS[g], values[g]) for g in order] + [(g, values[g]) for g in others]
    table += [("unknown", values[None])] if None in values else []
    return series, table


def _no_data(what: str) -> str:
    return f"No {what} figures from {FIRST_COMPARABLE_YEAR} on in this warehouse."


def outcome_mix_chart(connection: duckdb.DuckDBPyConnection) -> Chart:
    key, title = "outcome_mix", "How applications were answered, per year"
    summary = "Share of each outcome of table 3 （七）总计 (applications processed), per statistical year, in %."

    def build() -> Chart:
        _require(connection, "core_indicators", "reports")
        rows = _rows(connection, OUTCOME_MIX_SQL, indicators=list(OUTCOMES), first_year=FIRST_COMPARABLE_YEAR)
        n_reports = _reports_behind(connection, OUTCOMES)
        years = sorted({row[0] for row in rows})
        if not years:
            return Chart(key, title, summary, n_reports=n_reports, unavailable=_no_data("outcome"))
        span = year_span(years)
        categories = list(range(span[0], span[1] + 1))
        by_outcome: dict[str, dict[int, float | None]] = {outcome: {} for outcome in OUTCOMES}
        reports_per_year: dict[int, int] = {}
        for year, indicator, value, n in rows:
            by_outcome[indicator][year] = value
            reports_per_year[year] = max(reports_per_year.get(year, 0), int(n))
        series = [
            _Series(OUTCOME_LABELS[o], [by_outcome[o].get(y) for y in categories], OUTCOME_COLOURS[o]) for o in OUTCOMES
        ]
        svg = stacked_columns_svg(
            [str(year) for year in categories],
            series,
            title=title,
            description=f"{summary} {span_text(span)}.",
            y_label="share of applications processed",
            unit="件",
            percent=True,
        )
        totals = {y: _sum(by_outcome[o].get(y) for o in OUTCOMES) for y in categories}
        table_rows = []
        for outcome in OUTCOMES:
            cells = []
            for year in categories:
                value, total = by_outcome[outcome].get(year), totals[year]
                share = value / total if value is not None and total else None
                cells.append(f"{fmt_count(value)} ({fmt_share(share)})" if value is not None else "–")
            table_rows.append((OUTCOME_LABELS[outcome], *cells))
        table_rows.append(("all outcomes", *[fmt_count(totals[y]) for y in categories]))
        table_rows.append(("reports with outcomes", *[fmt_count(reports_per_year.get(y)) for y in categories]))
        return Chart(
            key=key,
            title=title,
            summary=summary,
            svg=svg,
            tables=(
                DataTable(
                    columns=("outcome", *map(str, categories)),
                    rows=tuple(table_rows),
                    caption="applications (件) and share of the year's processed applications",
                ),
            ),
            notes=(
                _comparability_note(),
                _aggregates_note(connection),
                "Shares are of the outcomes' sum (the six groups), which equals （七）总计 where a report adds up; "
                "the figure above each column is that sum.",
            ),
            n_reports=n_reports,
            years=span,
        )

    return _guarded(key, title, summary, build)


def top_agencies_by_new_applications_chart(connection: duckdb.DuckDBPyConnection) -> Chart:
    key, title = "top_agencies_new_applications", "Agencies with the most new applications"
    summary = "一、本年新收政府信息公开申请数量 (new applications received) in the latest year, in 件."

    def build() -> Chart:
        _require(connection, "indicator_rankings", "agencies", "reports")
        rows = _rows(
            connection,
            TOP_AGENCIES_BY_NEW_APPLICATIONS_SQL,
            indicator=NEW_APPLICATIONS,
            first_year=FIRST_COMPARABLE_YEAR,
            limit=TOP_AGENCIES,
        )
        if not rows:
            return Chart(key, title, summary, unavailable=_no_data("new-application"))
        year, ranked = rows[0][0], rows[0][6]
        names = [row[2] for row in rows]
        labels = _distinct_labels(names, [row[1] for row in rows])
        svg = horizontal_bars_svg(
            labels,
            [_Series("new applications", [row[4] for row in rows], "#4e79a7")],
            title=f"{title}, {year}",
            description=f"{summary} Top {len(rows)} of {ranked} agencies, {year}.",
            x_label=f"new applications in {year} (件)",
            unit="件",
            label_tips=[
                f"{name} ({province or 'province unknown'})"
                for name, province in zip(names, _col(rows, 3), strict=True)
            ],
        )
        return Chart(
            key=key,
            title=f"{title}, {year}",
            summary=summary,
            svg=svg,
            tables=(
                DataTable(
                    columns=("rank", "agency", "province", f"new applications {year} (件)"),
                    rows=tuple((row[5], row[2], row[3] or "–", fmt_count(row[4])) for row in rows),
                ),
            ),
            notes=(
                f"Statistical year {year}, the latest with a ranking; top {len(rows)} of {ranked} agencies ranked.",
                "Agency-years whose report is a regional aggregate are left out: a summary is not an agency.",
            ),
            n_reports=len(rows),
            years=(year, year),
        )

    return _guarded(key, title, summary, build)


def top_agencies_by_disclosure_rate_chart(connection: duckdb.DuckDBPyConnection) -> Chart:
    key, title = "top_agencies_disclosure_rate", "Agencies with the highest disclosure rate"
    summary = "Disclosure rate = (予以公开 + 部分公开) / （七）总计 (granted + partial over processed), in %."

    def build() -> Chart:
        _require(connection, "derived_metrics", "agencies", "reports")
        rows = _rows(
            connection,
            TOP_AGENCIES_BY_DISCLOSURE_RATE_SQL,
            metric=DISCLOSURE_RATE,
            first_year=FIRST_COMPARABLE_YEAR,
            min_denominator=MIN_PROCESSED_FOR_RATE,
            limit=TOP_AGENCIES,
        )
        if not rows:
            return Chart(
                key,
                title,
                summary,
                unavailable=(
                    f"No agency processed {MIN_PROCESSED_FOR_RATE} or more applications in a year from "
                    f"{FIRST_COMPARABLE_YEAR} on: no rate to rank."
                ),
            )
        year, ranked = rows[0][0], rows[0][7]
        names = [row[2] for row in rows]
        svg = horizontal_bars_svg(
            _distinct_labels(names, [row[1] for row in rows]),
            [_Series("disclosure rate", [row[4] for row in rows], "#59a14f")],
            title=f"{title}, {year}",
            description=f"{summary} Top {len(rows)} of {ranked} agencies, {year}.",
            x_label=f"disclosure rate in {year} (%)",
            unit="%",
            percent=True,
            annotations=[f"{fmt_share(row[4])}  ({fmt_count(row[5])} of {fmt_count(row[6])})" for row in rows],
            label_tips=names,
        )
        return Chart(
            key=key,
            title=f"{title}, {year}",
            summary=summary,
            svg=svg,
            tables=(
                DataTable(
                    columns=("agency", "province", "rate", "granted + partial (件)", "processed (件)"),
                    rows=tuple((r[2], r[3] or "–", fmt_share(r[4]), fmt_count(r[5]), fmt_count(r[6])) for r in rows),
                ),
            ),
            notes=(
                f"Statistical year {year}; agencies that processed fewer than {MIN_PROCESSED_FOR_RATE} applications "
                f"are left out (a rate from a handful says little); top {len(rows)} of {ranked} agencies.",
                "Agency-years whose report is a regional aggregate are left out.",
            ),
            n_reports=len(rows),
            years=(year, year),
        )

    return _guarded(key, title, summary, build)


def _col(rows: Sequence[tuple], index: int) -> list:
    return [row[index] for row in rows]


def _distinct_labels(
    names: Sequence[str], ids: Sequence[str], suffixes: Sequence[str] = (), width: float = 290
) -> list[str]:
    """Agency names as bar labels, clipped to `width` but never their suffix (a year); two agencies of one name
    get their ids appended."""
    agencies_named: dict[str, set] = {}
    for name, agency_id in zip(names, ids, strict=True):
        agencies_named.setdefault(name, set()).add(agency_id)
    labels = []
    for index, (name, agency_id) in enumerate(zip(names, ids, strict=True)):
        tail = (f" [{agency_id}]" if len(agencies_named[name]) > 1 else "") + (suffixes[index] if suffixes else "")
        labels.append(clip_text(name, FONT_SIZE, width - text_width(tail, FONT_SIZE)) + tail)
    return labels


def quality_charts(connection: duckdb.DuckDBPyConnection) -> list[Chart]:
    by_check_title = "Quality-check findings, by check"
    by_year_title = "Agency-years with the most quality-check findings"
    summary = (
        "Rows of quality_findings (ok = false): an agency-year a quality model flags, or a parser rule a report breaks."
    )

    def build() -> list[Chart]:
        _require(connection, "quality_findings", "agencies")
        rows = _rows(connection, QUALITY_FINDINGS_SQL)
        (evaluated, first, last) = _rows(connection, QUALITY_EVALUATED_SQL)[0]
        span = (first, last) if first is not None else None
        if not rows:
            message = (
                f"No findings: every check passed on the {evaluated} report(s) read."
                if evaluated
                else "No reports were read, so no quality check ran."
            )
            return [
                Chart("quality_by_check", by_check_title, summary, n_reports=evaluated, unavailable=message),
                Chart("quality_by_agency_year", by_year_title, summary, n_reports=evaluated, unavailable=message),
            ]
        notes = (
            f"{len(rows)} finding(s) about {span_text(span)}, from the checks on {evaluated} report(s) read; every "
            "template and scope is checked (regional aggregates too).",
        )
        checks = sorted({row[0] for row in rows}, key=lambda c: (-sum(r[0] == c for r in rows), str(c)))
        colours = {check: CATEGORICAL[i % len(CATEGORICAL)] for i, check in enumerate(checks)}
        per_check = [(check, sum(r[0] == check for r in rows)) for check in checks]
        by_check_svg = horizontal_bars_svg(
            [str(check) for check, _ in per_check],
            [_Series("findings", [n for _, n in per_check], "#e15759", colours=[colours[c] for c, _ in per_check])],
            title=by_check_title,
            description=f"{summary} {span_text(span)}.",
            x_label="findings",
            unit="findings",
        )
        by_check_chart = Chart(
            key="quality_by_check",
            title=by_check_title,
            summary=summary,
            svg=by_check_svg,
            tables=(DataTable(columns=("check", "findings"), rows=tuple((c, n) for c, n in per_check)),),
            notes=notes,
            n_reports=evaluated,
            n_reports_label="reports checked",
            years=span,
        )
        agency_years: dict[tuple, dict[str, int]] = {}
        names: dict[tuple, str] = {}
        for check, agency_id, year, _, name in rows:
            agency_years.setdefault((agency_id, year), {}).setdefault(check, 0)
            agency_years[(agency_id, year)][check] += 1
            names[(agency_id, year)] = name
        worst = sorted(agency_years, key=lambda k: (-sum(agency_years[k].values()), names[k], k[1] or 0))
        shown = worst[:TOP_AGENCY_YEARS]
        years = [f" · {k[1] if k[1] is not None else 'year unknown'}" for k in shown]
        # the name gives way, never the year
        labels = _distinct_labels([names[k] for k in shown], [k[0] for k in shown], years)
        links = [f"#{anchor(*k)}" for k in shown]
        by_year_svg = horizontal_bars_svg(
            labels,
            [_Series(str(c), [agency_years[k].get(c) for k in shown], colours[c], links) for c in checks],
            title=by_year_title,
            description=f"{summary} {span_text(span)}.",
            x_label="findings",
            unit="findings",
            label_tips=[names[k] + y for k, y in zip(shown, years, strict=True)],
        )
        # the table lists the worst agency-years first, so the bars' link targets are among the rows listed
        position = {k: i for i, k in enumerate(worst)}
        listed = sorted(rows, key=lambda r: (position[(r[1], r[2])], str(r[0]), r[3] or ""))[:MAX_FINDINGS_LISTED]
        seen: set[tuple] = set()
        row_ids = []
        for row in listed:
            key = (row[1], row[2])
            row_ids.append(None if key in seen else anchor(*key))
            seen.add(key)
        caption = "every finding" if len(rows) <= MAX_FINDINGS_LISTED else f"the first {len(listed)} of {len(rows)}"
        by_year_chart = Chart(
            key="quality_by_agency_year",
            title=by_year_title,
            summary=summary,
            svg=by_year_svg,
            tables=(
                DataTable(
                    columns=("agency", "year", "check", "what failed"),
                    rows=tuple((r[4], r[2] if r[2] is not None else "–", r[0], r[3] or "") for r in listed),
                    row_ids=tuple(row_ids),
                    caption=f"Findings ({caption}), the agency-years with the most first; the bars link here.",
                ),
            ),
            notes=(
                *notes,
                f"The {len(shown)} agency-years with the most findings of {len(agency_years)} with any; "
                "click a bar for what failed.",
            ),
            n_reports=evaluated,
            n_reports_label="reports checked",
            years=span,
        )
        return [by_check_chart, by_year_chart]

    try:
        return build()
    except ModelUnavailable as reason:
        return [
            Chart("quality_by_check", by_check_title, summary, unavailable=str(reason)),
            Chart("quality_by_agency_year", by_year_title, summary, unavailable=str(reason)),
        ]


def build_charts(connection: duckdb.DuckDBPyConnection, keys: Sequence[str] | None = None) -> list[Chart]:
    """The charts of the page (all, or those of `keys`), in page order; a chart whose data is missing says why
    instead of a picture. Only the queries of the charts asked for run (a model's preview needs one or two)."""
    builders: tuple[tuple[tuple[str, ...], Callable[[duckdb.DuckDBPyConnection], list[Chart]]], ...] = (
        (("applications_by_province", "applications_by_level"), _region_charts),
        (("outcome_mix",), lambda c: [outcome_mix_chart(c)]),
        (("top_agencies_new_applications",), lambda c: [top_agencies_by_new_applications_chart(c)]),
        (("top_agencies_disclosure_rate",), lambda c: [top_agencies_by_disclosure_rate_chart(c)]),
        (("quality_by_check", "quality_by_agency_year"), quality_charts),
    )
    wanted = set(CHART_KEYS if keys is None else keys)
    return [
        chart
        for produced, builder in builders
        if wanted & set(produced)
        for chart in builder(connection)
        if chart.key in wanted
    ]


CHART_KEYS = (
    "applications_by_province",
    "applications_by_level",
    "outcome_mix",
    "top_agencies_new_applications",
    "top_agencies_disclosure_rate",
    "quality_by_check",
    "quality_by_agency_year",
)

# Which asset shows which chart as a preview (for the lead's wiring in definitions.py).
CHARTS_BY_ASSET = {
    "region_rollups": ("applications_by_province", "applications_by_level"),
    "core_indicators": ("outcome_mix",),
    "indicator_rankings": ("top_agencies_new_applications",),
    "derived_metrics": ("top_agencies_disclosure_rate",),
    "quality_findings": ("quality_by_check", "quality_by_agency_year"),
}


# ---------------------------------------------------------------------------------------------------------------
# The page.

PAGE_CSS = f"""
:root {{ color-scheme: light; }}
body {{ font-family: {FONT_STACK}; margin: 0; background: #f6f6f4; color: #1a1a1a; line-height: 1.45; }}
header, main, footer {{ max-width: 1280px; margin: 0 auto; padding: 0 20px; }}
header {{ padding-top: 18px; }}
h1 {{ font-size: 1.5rem; margin: 0.4em 0 0.2em; }}
h2 {{ font-size: 1.15rem; margin: 0 0 0.2em; }}
.lede, .meta {{ color: #444; margin: 0.2em 0; }}
.banner {{ background: #fff4e5; border: 1px solid #f0b46a; padding: 10px 14px; border-radius: 6px; }}
nav ul {{ padding-left: 1.2em; columns: 2; margin: 0.4em 0; }}
section.chart {{ background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 14px 18px;
  margin: 18px 0; }}
.chart-body {{ display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }}
.chart-body figure {{ margin: 0; flex: 0 1 auto; max-width: 100%; overflow-x: auto; }}
.chart-body svg {{ max-width: 100%; height: auto; display: block; }}
.chart-body details {{ flex: 1 1 320px; min-width: 280px; max-height: 460px; overflow: auto; }}
.unavailable {{ color: #7a4b00; background: #fff8ec; padding: 8px 12px; border-radius: 4px; }}
ul.notes {{ color: #444; font-size: 0.9rem; margin: 6px 0 0; padding-left: 1.2em; }}
summary {{ cursor: pointer; color: #1f4e8c; }}
table {{ border-collapse: collapse; font-size: 0.85rem; margin-top: 6px; }}
caption {{ text-align: left; color: #555; font-size: 0.8rem; padding-bottom: 4px; }}
th, td {{ border-bottom: 1px solid #e5e5e5; padding: 3px 8px; text-align: right; vertical-align: top; }}
th:first-child, td:first-child, td.text {{ text-align: left; }}
thead th {{ background: #f0f0ee; position: sticky; top: 0; }}
tr:target td {{ background: #fff2a8; }}
footer {{ color: #666; font-size: 0.8rem; padding-bottom: 24px; }}
"""

# Opening a link's target inside a closed <details> (the findings table) opens that <details> first.
PAGE_SCRIPT = """
function showTarget() {
  var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (!target) return;
  var box = target.closest('details');
  if (box) box.open = true;
  target.scrollIntoView({block: target.tagName === 'TR' ? 'center' : 'start'});
}
window.addEventListener('hashchange', showTarget);
document.addEventListener('DOMContentLoaded', showTarget);
"""


def _table_html(table: DataTable) -> str:
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in table.columns)
    body = []
    for index, row in enumerate(table.rows):
        row_id = table.row_ids[index] if index < len(table.row_ids) else None
        cells = []
        for position, value in enumerate(row):
            text = "–" if value is None else str(value)
            if position == 0:
                cells.append(f'<th scope="row">{esc(text)}</th>')
            else:
                numeric = isinstance(value, int | float) or re.fullmatch(r"[–\d,.%() ]+", text) is not None
                cells.append(f"<td{'' if numeric else ' class=text'}>{esc(text)}</td>")
        row_attribute = f' id="{esc(row_id)}"' if row_id else ""
        body.append(f"<tr{row_attribute}>{''.join(cells)}</tr>")
    caption = f"<caption>{esc(table.caption)}</caption>" if table.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _chart_html(chart: Chart) -> str:
    parts = [f'<section class="chart" id="{esc(chart.key)}" data-chart="{esc(chart.key)}">']
    parts.append(f"<h2>{esc(chart.title)}</h2>")
    parts.append(f'<p class="meta">{esc(chart.summary)}')
    if chart.years or chart.n_reports is not None:
        facts = []
        if chart.years:
            facts.append(_years_text(chart.years))
        if chart.n_reports is not None:
            facts.append(_count_text(chart.n_reports, chart.n_reports_label))
        parts.append(f" <strong>{esc(', '.join(facts))}</strong>.")
    parts.append("</p>")
    if chart.unavailable:
        parts.append(f'<p class="unavailable" data-unavailable="1">{esc(chart.unavailable)}</p>')
    else:
        parts.append('<div class="chart-body">')
        parts.append(f"<figure>{chart.svg}</figure>")
        parts.append("<details><summary>Data table (the numbers drawn)</summary>")
        parts.extend(_table_html(table) for table in chart.tables)
        parts.append("</details></div>")
    if chart.notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{esc(note)}</li>" for note in chart.notes) + "</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _warehouse_summary(connection: duckdb.DuckDBPyConnection) -> tuple[str, str | None]:
    """One line on what the warehouse holds, and a banner when there is nothing to compare."""
    if "reports" not in _relations(connection):
        return "This warehouse has no reports table.", "This warehouse has no reports: there is nothing to chart."
    parsed, comparable, first, last = connection.execute(
        REPORT_COUNTS_SQL, {"first_year": FIRST_COMPARABLE_YEAR}
    ).fetchone()
    line = (
        f"{parsed} report(s) read ({span_text((first, last) if first is not None else None)}), "
        f"{comparable} of them from {FIRST_COMPARABLE_YEAR} on."
    )
    if not parsed:
        return line, "This warehouse has no reports: there is nothing to chart."
    if not comparable:
        return line, (
            f"No reports from {FIRST_COMPARABLE_YEAR} on: the application charts compare the 2019 Regulation's "
            "templates only, so they are empty."
        )
    return line, None


def render_page(
    connection: duckdb.DuckDBPyConnection, generated_at: datetime | None = None, charts: list[Chart] | None = None
) -> str:
    """The whole trends page as one self-contained HTML string (`charts`: build_charts' result, if at hand)."""
    charts = build_charts(connection) if charts is None else charts
    summary, banner = _warehouse_summary(connection)
    stamp = (generated_at or datetime.now()).strftime("%Y-%m-%d %H:%M")
    toc = "".join(f'<li><a href="#{esc(c.key)}">{esc(c.title)}</a></li>' for c in charts)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>Government information disclosure: trends</title>",
            f"<style>{PAGE_CSS}</style>",
            f"<script>{PAGE_SCRIPT}</script>",
            "</head>",
            "<body>",
            "<header>",
            "<h1>Government information disclosure: trends <small>政府信息公开工作年度报告</small></h1>",
            f'<p class="lede">{esc(summary)} Built {esc(stamp)} from the warehouse; every figure is as printed in '
            "the reports (findings are flagged, never fixed).</p>",
            f'<p class="banner" role="status" data-empty="1">{esc(banner)}</p>' if banner else "",
            f'<nav aria-label="charts"><ul>{toc}</ul></nav>',
            "</header>",
            "<main>",
            *(_chart_html(chart) for chart in charts),
            "</main>",
            "<footer>Drawn offline from the warehouse by pipeline/report_page.py: no scripts or fonts are fetched. "
            "Hover a bar for its figure; each chart's numbers are in its data table.</footer>",
            "</body>",
            "</html>",
        ]
    )


def write_page(connection: duckdb.DuckDBPyConnection, path: str | Path, charts: list[Chart] | None = None) -> Path:
    """Render the page and write it to `path` atomically (a reader never sees half a page)."""
    path = Path(path)
    page = render_page(connection, charts=charts)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(page)
    os.replace(temporary, path)
    return path


# ---------------------------------------------------------------------------------------------------------------
# Standalone SVGs and Dagster previews.


def chart_svgs(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """One standalone SVG per chart that has data (title drawn in it), keyed by chart key."""
    svgs = {}
    for chart in build_charts(connection):
        if chart.svg:
            svgs[chart.key] = _with_heading(chart)
    return svgs


def _with_heading(chart: Chart) -> str:
    """Put the chart's title and its facts above the drawing, so the SVG stands alone."""
    facts = ", ".join(
        part
        for part in (
            _years_text(chart.years) if chart.years else "",
            _count_text(chart.n_reports, chart.n_reports_label) if chart.n_reports is not None else "",
        )
        if part
    )
    heading = f"{chart.title} ({facts})" if facts else chart.title
    svg = chart.svg or ""
    width_match = re.search(r'width="(\d+)" height="(\d+)"', svg)
    width, height = (int(width_match.group(1)), int(width_match.group(2))) if width_match else (800, 400)
    width = max(width, int(text_width(heading, 15)) + 20)
    body = svg[svg.index(">") + 1 : svg.rindex("</svg>")]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 28}" '
        f'viewBox="0 0 {width} {height + 28}" role="img" font-family="{FONT_STACK}" font-size="{FONT_SIZE}">'
        f'<rect width="{width}" height="{height + 28}" fill="#fff"/>'
        f'<text x="8" y="19" font-size="15" font-weight="bold" fill="#111">{esc(heading)}</text>'
        f'<g transform="translate(0 28)">{body}</g></svg>'
    )


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def chart_metadata(
    connection: duckdb.DuckDBPyConnection,
    keys: Sequence[str] | None = None,
    page_path: str | Path | None = None,
    charts: list[Chart] | None = None,
) -> dict[str, dg.MetadataValue]:
    """Charts as Dagster metadata: `chart/<key>` -> markdown with the chart as an image, its notes below.

    The Dagster UI renders markdown metadata through react-markdown with rehype-sanitize, whose schema in
    dagster-webserver adds `data` to the allowed `src` protocols, so `![title](data:image/svg+xml;base64,…)`
    shows the picture. `keys` picks charts (see CHARTS_BY_ASSET); `page_path` adds a `report_page` path entry;
    `charts` are build_charts' result, if at hand.
    """
    metadata: dict[str, dg.MetadataValue] = {}
    for chart in build_charts(connection, keys) if charts is None else charts:
        if chart.svg:
            title = chart.title.replace("[", "(").replace("]", ")")
            lines = [f"![{title}]({svg_data_uri(_with_heading(chart))})", ""]
        else:
            lines = [f"**{chart.title}**: {chart.unavailable}", ""]
        lines += [f"- {note}" for note in chart.notes]
        metadata[f"chart/{chart.key}"] = dg.MetadataValue.md("\n".join(lines))
    if page_path is not None:
        metadata["report_page"] = dg.MetadataValue.path(str(page_path))
    return metadata
