"""The warehouse tables made straight from parsed reports in Python, with no cache and no DuckDB: the oracle
the cached, incremental load (pipeline/load.py) is compared with, and a quick way to fill a fixture database."""

from __future__ import annotations

import pyarrow as pa

from pipeline.facts import CHECK_RESULTS_SCHEMA, FACTS_SCHEMA, REPORTS_SCHEMA, ParsedReport


def report_tables(reports: list[tuple[str, ParsedReport]]) -> dict[str, pa.Table]:
    """The warehouse tables straight from parsed reports, with no cache and no DuckDB: the oracle of the load."""
    facts: dict[str, list] = {name: [] for name in FACTS_SCHEMA.names}
    checks: dict[str, list] = {name: [] for name in CHECK_RESULTS_SCHEMA.names}
    rows: dict[str, list] = {name: [] for name in REPORTS_SCHEMA.names}
    for rid, report in reports:
        for fact in report.facts:
            for name, value in (
                ("report_id", rid),
                ("agency", report.agency),
                ("agency_id", report.agency_id),
                ("year", report.year),
                ("template", report.template),
                ("section", fact.section),
                ("category", fact.category),
                ("applicant_type", fact.applicant_type),
                ("metric", fact.metric),
                ("value", None if fact.value is None else float(fact.value)),
                ("unit", fact.unit),
                ("value_status", fact.value_status),
                ("raw", fact.raw),
                ("line", fact.line),
                ("source", fact.source),
            ):
                facts[name].append(value)
        for check in report.checks:
            for name in CHECK_RESULTS_SCHEMA.names:
                checks[name].append(rid if name == "report_id" else getattr(check, name))
        for name, value in (
            ("report_id", rid),
            ("path", report.file),
            ("content_hash", report.content_hash),
            ("size_bytes", report.size_bytes),
            ("encoding", report.encoding),
            ("reader", report.reader),
            ("agency", report.agency),
            ("agency_id", report.agency_id),
            ("year", report.year),
            ("template", report.template),
            ("scope", report.scope),
            ("status", report.status),
            ("n_facts", len(report.facts)),
            ("n_failed_checks", report.failed_checks),
            ("errors", list(report.errors)),
            ("region_hint", report.region_hint),
        ):
            rows[name].append(value)
    return {
        "facts": pa.Table.from_pydict(facts, schema=FACTS_SCHEMA),
        "reports": pa.Table.from_pydict(rows, schema=REPORTS_SCHEMA),
        "check_results": pa.Table.from_pydict(checks, schema=CHECK_RESULTS_SCHEMA),
    }
