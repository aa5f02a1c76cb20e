"""Table 2 (主动公开政府信息情况) rows -> `proactive` facts.

The table is a run of small tables, one per article item (第二十条第（一）项 …), each with a header row
(信息内容 | measures) and rows of categories. Measures are read from each header; the 2019 and 2021
templates measure different things and keep their own metric codes. Rows under 其他对外管理服务事项
(2019) become `other_admin_service.<code>`; an unknown sub-row gets a code derived from its label.
"""

from __future__ import annotations

import hashlib

from pipeline.document import Row
from pipeline.extract.common import Extraction, describe, fit_values, make_fact, split_row
from pipeline.text import label_key
from pipeline.vocabulary import Vocabulary

SECTION = "proactive"
KINDS = ("category", "metric", "heading")


def extract_proactive(rows: list[Row], vocabulary: Vocabulary) -> Extraction:
    result = Extraction()
    metrics: list[str] = []
    parent: str | None = None  # the category whose sub-rows follow (其他对外管理服务事项)
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        split = split_row(row, vocabulary, SECTION, KINDS)
        header_metrics = [t.code for t in split.terms if t.kind == "metric"]
        if header_metrics:
            metrics = header_metrics
            for code in metrics:
                templates = vocabulary.term(SECTION, "metric", code).templates
                if len(templates) == 1:  # a measure only one template prints tells the template
                    result.template_hints.update(templates)
            continue
        categories = [t for t in split.terms if t.kind == "category"]
        if not split.values or not any(not c.is_empty for c in split.values):
            if categories:
                parent = categories[-1].code
            continue
        if split.unmatched and parent == "other_admin_service":
            label = split.unmatched[-1].text
            code = f"other_admin_service.x{hashlib.sha1(label_key(label).encode()).hexdigest()[:6]}"
        elif split.unmatched or not categories:
            result.errors.append(f"line {split.line}: table 2 row label not recognised: {describe(split.labels)}")
            continue
        else:
            code = categories[-1].code
            if not code.startswith("other_admin_service."):
                parent = code
        if not metrics:
            result.errors.append(f"line {split.line}: table 2 row {code} before any header row; left out")
            continue
        values = fit_values(split.values, len(metrics))
        if values is None:
            result.errors.append(
                f"line {split.line}: table 2 row {code} has {len(split.values)} value cells for "
                f"{len(metrics)} measures; left out: {describe(split.values)}"
            )
            continue
        for metric, cell in zip(metrics, values, strict=True):
            if (code, metric) in seen:
                result.errors.append(
                    f"line {cell.line}: table 2 {code}/{metric} appears again (first at line "
                    f"{seen[(code, metric)]}); the repeat is left out"
                )
                continue
            seen[(code, metric)] = cell.line
            unit = vocabulary.term(SECTION, "metric", metric).unit or None
            result.facts.append(make_fact(SECTION, code, None, metric, cell, unit))
    if not result.facts and not result.errors:
        result.errors.append(f"line {rows[0].line}: table 2 has no recognisable data rows")
    return result
