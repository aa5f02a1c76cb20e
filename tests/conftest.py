"""Shared paths and helpers. Tests read only files inside the repository (tests/corpus, data/raw)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
CORPUS = REPOSITORY / "tests" / "corpus"
EXPECTED = REPOSITORY / "tests" / "expected"
SAMPLES = REPOSITORY / "data" / "raw"
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
