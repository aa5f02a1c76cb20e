"""Shared paths and helpers. Tests read only files inside the repository (tests/corpus, tests/samples)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
CORPUS = REPOSITORY / "tests" / "corpus"
EXPECTED = REPOSITORY / "tests" / "expected"
SAMPLES = REPOSITORY / "tests" / "samples"  # the five original samples (data/raw ships the whole corpus)
SAMPLE_STEMS = [
    "000_4c23b5825c9f94d7",
    "001_9fc1484a19f47851",
    "002_1bf41d18f1e4ab8a",
    "004_530efe4d9c71d4ab",
]


def expected(stem: str) -> dict:
    """Values a person read from the sample, cell by cell, with the line each stands on."""
    return json.loads((EXPECTED / f"{stem}.json").read_text(encoding="utf-8"))


def sample(stem: str) -> Path:
    return SAMPLES / f"{stem}.txt"


@pytest.fixture
def sample_lines():
    def read(stem: str) -> list[str]:
        return sample(stem).read_text(encoding="utf-8").split("\n")

    return read


# The corpus gold schema (tests/corpus/README.md) in vocabulary codes, as the shared scorer maps it.
GOLD_ROW_CODES = {
    "denied_law_forbidden": "denied_law_prohibited",
    "denied_three_safety_one_stability": "denied_security_stability",
    "denied_query_item": "denied_admin_query",
    "not_processed_duplicate": "not_processed_repeat",
    "not_processed_mass_repeat": "not_processed_excessive",
    "other_no_fee": "other_fee_unpaid",
    "total": "processed_total",
}
GOLD_COLUMNS = [
    "natural_person",
    "org_commercial",
    "org_research",
    "org_social",
    "org_legal_service",
    "org_other",
    "total",
]
GOLD_BLOCKS = ["reconsideration", "litigation_direct", "litigation_after_reconsideration"]
GOLD_RESULTS = ["upheld", "corrected", "other", "pending", "total"]

CellKey = tuple[str, str, str | None, str]  # (section, category, applicant_type, metric), as facts are keyed


def gold(stem: str) -> dict:
    return json.loads((CORPUS / "gold" / f"{stem}.json").read_text(encoding="utf-8"))


def gold_cells(gold_report: dict) -> dict[CellKey, int | float | None]:
    """Every table-3 and table-4 cell a person read; None where the report leaves the cell blank."""
    template = str(gold_report["template"])
    cells: dict[CellKey, int | float | None] = {}
    for row, values in (gold_report.get("table3") or {}).items():
        if values is None or (template == "2019" and row in ("other_no_correction", "other_no_fee")):
            continue
        code = GOLD_ROW_CODES.get(row, row)
        if row == "other_other":
            code = "other_total" if template == "2019" else "other_misc"
        for column, value in zip(GOLD_COLUMNS, values, strict=True):
            cells[("applications", code, column, "count")] = value
    for index, value in enumerate(gold_report.get("table4") or []):
        cells[("review_litigation", GOLD_BLOCKS[index // 5], None, GOLD_RESULTS[index % 5])] = value
    return cells


def fact_cells(report) -> dict:
    """A parsed report's facts keyed like gold_cells."""
    return {(f.section, f.category, f.applicant_type, f.metric): f for f in report.facts}
