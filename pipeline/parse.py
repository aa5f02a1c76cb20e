"""One report file -> ParsedReport: decode, read, extract, check. Never raises on bad input.

In: a path. Out: `ParsedReport` with status `ok` (every expected table parsed cleanly), `partial`
(something parsed, with errors saying what did not) or `failed` (nothing usable, errors say why).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from pipeline.agencies import canonical_agency_id
from pipeline.checks import run_checks
from pipeline.decode import UnreadableFile
from pipeline.document import Document
from pipeline.extract.applications import extract_applications
from pipeline.extract.common import Extraction
from pipeline.extract.legacy import extract_legacy
from pipeline.extract.metadata import agency_key, extract_metadata
from pipeline.extract.narrative import extract_narrative
from pipeline.extract.proactive import extract_proactive
from pipeline.extract.review_litigation import extract_review_litigation
from pipeline.extract.sections import rows_by_section
from pipeline.facts import ParsedReport
from pipeline.readers import UnsupportedFormat, read_document
from pipeline.vocabulary import load_vocabulary

log = logging.getLogger(__name__)

EXTRACTORS = {
    "proactive": extract_proactive,
    "applications": extract_applications,
    "review_litigation": extract_review_litigation,
}
TABLE_NAMES = {"proactive": "table 2", "applications": "table 3", "review_litigation": "table 4"}


def parse_file(path: str | Path) -> ParsedReport:
    report = ParsedReport(file=str(path))
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        report.errors.append(f"cannot read file: {err.strerror or err}")
        return report
    return parse_bytes(data, report)


def parse_bytes(data: bytes, report: ParsedReport) -> ParsedReport:
    report.content_hash = hashlib.sha256(data).hexdigest()
    report.size_bytes = len(data)
    try:
        document = read_document(data)
    except (UnreadableFile, UnsupportedFormat) as err:
        report.errors.append(str(err))
        return report
    except Exception as err:  # a reader bug must cost this file only, never the run
        return _internal_error(report, err)
    report.reader, report.encoding = document.reader, document.encoding
    report.errors.extend(document.notes)
    try:
        _extract(document, report)
    except Exception as err:  # an extractor bug: same
        return _internal_error(report, err)
    # the canonical agency (aliases applied, region-qualified): outside the guard above, because a broken alias
    # table is the user's to fix and must stop the run with its file and line, not pass for a parser bug
    report.agency_id = canonical_agency_id(report.agency, report.year, report.region_hint)
    return report


def _internal_error(report: ParsedReport, err: Exception) -> ParsedReport:
    log.exception("%s: internal parser error", report.file)
    report.status, report.facts, report.checks = "failed", [], []
    report.errors.append(f"internal parser error (a bug, please report it with this file): {type(err).__name__}: {err}")
    return report


def _extract(document: Document, report: ParsedReport) -> None:
    vocabulary = load_vocabulary()
    metadata = extract_metadata(list(document.lines))
    report.agency = metadata.agency
    report.agency_id = agency_key(metadata.agency) if metadata.agency else None
    report.year = metadata.year
    report.scope = metadata.scope
    report.region_hint = metadata.region_hint
    report.errors.extend(metadata.errors)

    hints: set[str] = set()
    extractions: dict[str, Extraction] = {}
    for section, rows in rows_by_section(document, vocabulary).items():
        extractions[section] = EXTRACTORS[section](rows, vocabulary)
        hints |= extractions[section].template_hints

    report.template = _template(hints, report.year)
    if report.template == "legacy":
        # a pre-2019 statistics table has rows like 行政复议数 that look like table 4's labels: without
        # labels only the 2019/2021 templates print, these tables are read as legacy indicators below
        extractions = {}
    for extraction in extractions.values():
        report.facts.extend(extraction.facts)
        report.errors.extend(extraction.errors)
    if len(hints) > 1:
        report.errors.append("labels of both the 2019 and the 2021 template: template taken from table 3")
    if report.template in ("2019", "2021"):
        narrative = extract_narrative(document).facts
        report.facts.extend(narrative)
        # 「本年度未收到政府信息公开申请」: agencies with no applications often leave table 3 out
        no_applications = any(f.category == "applications_received" and f.value == 0 for f in narrative)
        for section, name in TABLE_NAMES.items():
            if section not in extractions and not (section == "applications" and no_applications):
                report.errors.append(f"{name} ({section}) not found")
    elif report.template == "legacy":
        legacy = extract_legacy(document, vocabulary)
        report.facts.extend(legacy.facts)
        report.errors.extend(legacy.errors)
        if not legacy.facts:
            report.errors.append("pre-2019 report: no indicator found in the prose or a statistics table")

    report.checks = run_checks(report.facts)
    if not report.facts and not report.agency and report.year is None:
        report.status = "failed"
        report.errors.insert(0, "no report found: neither a title nor any table of the report templates")
    elif report.errors:
        report.status = "partial"
    else:
        report.status = "ok"


def _template(hints: set[str], year: int | None) -> str | None:
    """The template the labels show; the statistical year decides only when the labels are silent."""
    if len(hints) == 1:
        return next(iter(hints))
    if hints:  # both: table 3's 其他处理 rows are the surest sign
        return "2021" if year is None or year >= 2021 else "2019"
    if year is None:
        return None
    if year >= 2021:
        return "2021"
    if year >= 2019:
        return "2019"
    return "legacy"
