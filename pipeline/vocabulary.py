"""The canonical vocabulary as data.

In: vocabulary.csv (one row per code: section, kind, code, template label, group, unit, templates,
aliases, core indicator, core note). Out: `Vocabulary`, which matches printed labels to codes. The parser,
the warehouse table `vocabulary` (read by the SQL models) and the README all come from this one file.
`core_indicator` says which harmonised series (sql/core_indicators.sql) a fact code feeds, `core_note` why
its meaning differs, if it does; `{metric}` in an indicator stands for the fact's metric (`count` -> `total`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.text import label_key

VOCABULARY_CSV = Path(__file__).with_name("vocabulary.csv")

# kind: category / applicant_type / metric name fact codes; group, column_group and heading are labels
# that structure a table (a group's label row, a parent column, a header cell) but carry no values.
_CACHED_LABEL_CHARS = 64  # labels are short; long cell texts are prose and not worth remembering
_MEMO_ENTRIES = 50_000  # remembered labels per (section, kinds)
KINDS = ("category", "applicant_type", "metric", "group", "column_group", "heading")


@dataclass(frozen=True)
class Term:
    section: str
    kind: str
    code: str
    label: str
    group_code: str
    unit: str
    templates: tuple[str, ...]
    aliases: tuple[str, ...]
    core_indicator: str = ""  # the harmonised series this code feeds (sql/core_indicators.sql), if any
    core_note: str = ""  # how its meaning differs from the 2019+ template's, where it does

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k for k in map(label_key, (self.label, *self.aliases)) if k))


class Vocabulary:
    def __init__(self, terms: list[Term]):
        self.terms = tuple(terms)
        self._by_code = {(t.section, t.kind, t.code): t for t in terms}
        # (section, kinds) -> {printed label: term or None}
        self._matches: dict[tuple[str, tuple[str, ...]], dict[str, Term | None]] = {}
        self._exact: dict[tuple[str, str], list[Term]] = {}
        for term in terms:
            for key in term.keys:
                self._exact.setdefault((term.section, key), []).append(term)
        # section -> (key, terms) of the keys a longer label may contain, in the order of `_exact`
        self._contained: dict[str, list[tuple[str, list[Term]]]] = {}
        for (section, key), matching in self._exact.items():
            if len(key) >= 2:
                self._contained.setdefault(section, []).append((key, matching))

    def term(self, section: str, kind: str, code: str) -> Term | None:
        return self._by_code.get((section, kind, code))

    def kind_of(self, section: str, code: str) -> str | None:
        for kind in KINDS:
            if (section, kind, code) in self._by_code:
                return kind
        return None

    def codes(self, section: str, kind: str) -> list[str]:
        return [t.code for t in self.terms if t.section == section and t.kind == kind]

    def match(self, text: str, section: str, kinds: tuple[str, ...]) -> Term | None:
        """The term a printed label means, or None.

        An exact key match wins; otherwise the longest known label contained in the printed one
        (so '1.属于国家秘密的' still matches, and '其他' never beats '其他法律行政法规禁止公开').
        """
        # Reports print the same few hundred labels over and over: remember every answer.
        if len(text) > _CACHED_LABEL_CHARS:
            return self._match(label_key(text), section, kinds)
        memo = self._matches.get((section, kinds))
        if memo is None:
            memo = self._matches[(section, kinds)] = {}
        try:
            return memo[text]
        except KeyError:
            pass
        if len(memo) >= _MEMO_ENTRIES:  # bounded in long runs: odd texts (titles, numbers) come and go
            memo.clear()
        term = memo[text] = self._match(label_key(text), section, kinds)
        return term

    def _match(self, key: str, section: str, kinds: tuple[str, ...]) -> Term | None:
        if not key:
            return None
        for term in self._exact.get((section, key), ()):
            if term.kind in kinds:
                return term
        best: tuple[int, Term] | None = None
        for term_key, terms in self._contained.get(section, ()):
            if term_key not in key:
                continue
            for term in terms:
                if term.kind in kinds and (best is None or len(term_key) > best[0]):
                    best = (len(term_key), term)
        return best[1] if best else None


@cache
def load_vocabulary(path: Path = VOCABULARY_CSV) -> Vocabulary:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    terms = []
    for number, row in enumerate(rows, start=2):
        if row["kind"] not in KINDS:
            raise ValueError(f"{path}:{number}: unknown kind {row['kind']!r} (expected one of {KINDS})")
        terms.append(
            Term(
                section=row["section"],
                kind=row["kind"],
                code=row["code"],
                label=row["label"],
                group_code=row["group_code"],
                unit=row["unit"],
                templates=tuple(row["templates"].split()),
                aliases=tuple(a for a in row["aliases"].split("|") if a),
                core_indicator=row["core_indicator"],
                core_note=row["core_note"],
            )
        )
    return Vocabulary(terms)


def vocabulary_markdown(vocabulary: Vocabulary) -> str:
    """The vocabulary as Markdown tables, one per section: the documentation is generated, never edited."""
    out = [
        "# Vocabulary",
        "",
        "Generated from `pipeline/vocabulary.csv` by `python -m pipeline vocabulary`; do not edit by hand.",
        "`kind`: category, applicant_type and metric are fact codes; group, column_group and heading are",
        "labels that structure a table but carry no values of their own.",
        "`core indicator`: the harmonised series (`core_indicators` model) the code feeds; `{metric}` stands for",
        "the fact's metric (`count` -> `total`); `core note`: how the code's meaning differs, where it does.",
    ]
    for section in dict.fromkeys(t.section for t in vocabulary.terms):
        out += [
            "",
            f"## {section}",
            "",
            "| kind | code | label | group | unit | templates | aliases | core indicator | core note |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for t in vocabulary.terms:
            if t.section == section:
                cells = (
                    t.kind,
                    f"`{t.code}`",
                    t.label,
                    t.group_code,
                    t.unit,
                    " ".join(t.templates),
                    "、".join(t.aliases),
                    f"`{t.core_indicator}`" if t.core_indicator else "",
                    t.core_note,
                )
                out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
