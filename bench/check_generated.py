#!/usr/bin/env python3
"""Parse a generated corpus with the project's parser and compare every value with expected.jsonl.

    python bench/check_generated.py --dir DIR [--formats text,html] [--show 30] [--workers N]

Prints, per format, how many expected values the parser recovered (metadata, table 2/3/4 cells, narrative
and legacy figures, the cells that must stay unresolved, the rule findings that must fail), then the first
mismatches: file, what, expected, what the parser gave and why (its errors). Facts the parser gives that the
file does not state are listed as `extra`. Exit status 1 when anything differs: the generated corpus is a
regression test, and the parser must recover every generated value.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from pipeline.parse import parse_file  # noqa: E402

COLUMNS = ("natural_person", "org_commercial", "org_research", "org_social", "org_legal_service", "org_other", "total")
BLOCKS = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
RESULTS = ("upheld", "corrected", "other", "pending", "total")
CHECKED_RULES = (
    "intake_balance",
    "outcome_sum",
    "applicant_sum",
    "review_block_sum",
    "narrative_table_agreement",
    "legacy_prose_table_agreement",
)
TABLE_SECTIONS = ("proactive", "applications", "review_litigation")


@dataclass
class Mismatch:
    file: str
    format: str
    section: str
    what: str
    expected: object
    got: object
    errors: list[str] = field(default_factory=list)

    def show(self) -> str:
        line = f"{self.file} [{self.format}] {self.section} {self.what}: expected {self.expected!r}, got {self.got}"
        if self.errors:
            line += "\n      parser errors: " + " | ".join(e[:160] for e in self.errors[:3])
        return line


@dataclass
class Result:
    """One file compared: (section -> [recovered, total]) and what differed."""

    file: str
    format: str
    counts: dict[str, list[int]] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)
    extras: list[Mismatch] = field(default_factory=list)

    def tally(self, section: str, ok: bool) -> None:
        counts = self.counts.setdefault(section, [0, 0])
        counts[0] += ok
        counts[1] += 1


def _close(a: object, b: object) -> bool:
    return isinstance(a, int | float) and isinstance(b, int | float) and abs(a - b) < 1e-6


def _shown(fact) -> str:
    if fact is None:
        return "nothing"
    return f"{fact.value!r} ({fact.value_status}, raw {fact.raw[:40]!r}, line {fact.line})"


def compare(entry: dict, directory: Path) -> Result:
    """Every expected value of one generated file against what the parser gives."""
    report = parse_file(directory / entry["file"])
    result = Result(entry["file"], entry["format"])

    def miss(section: str, what: str, expected: object, got: object) -> None:
        result.mismatches.append(
            Mismatch(entry["file"], entry["format"], section, what, expected, got, list(report.errors))
        )

    def check(section: str, what: str, ok: bool, expected: object, got: object) -> None:
        result.tally(section, ok)
        if not ok:
            miss(section, what, expected, got)

    agency = "".join((report.agency or "").split())
    check("metadata", "agency", agency == entry["agency"], entry["agency"], report.agency)
    check("metadata", "year", report.year == entry["year"], entry["year"], report.year)
    check("metadata", "template", report.template == entry["template"], entry["template"], report.template)
    check("metadata", "scope", report.scope == entry["scope"], entry["scope"], report.scope)

    cells = {}
    for fact in report.facts:
        if fact.section in TABLE_SECTIONS:
            cells.setdefault((fact.section, fact.category, fact.applicant_type, fact.metric), fact)
    expected_keys: set[tuple] = set()
    unresolved = set(entry.get("unresolved", ()))

    def cell(section: str, key: tuple, expected: object, name: str, marker: str) -> None:
        expected_keys.add(key)
        fact = cells.get(key)
        if marker in unresolved:  # run-together digits with several splits: kept as text, never guessed
            ok = fact is not None and fact.value_status == "text" and fact.value is None
            check(section, name, ok, "unresolved (text)", _shown(fact))
        elif expected is None:  # a blank cell
            ok = fact is not None and fact.value_status == "blank"
            check(section, name, ok, "blank", _shown(fact))
        else:
            ok = fact is not None and fact.value_status == "number" and _close(fact.value, expected)
            check(section, name, ok, expected, _shown(fact))

    if "table3" in entry:
        if entry["table3"] is None:
            rows = [f for f in report.facts if f.section == "applications"]
            check("table3", "omitted table (no facts)", not rows, "no table-3 facts", f"{len(rows)} facts")
        else:
            for row, values in entry["table3"].items():
                for column, value in zip(COLUMNS, values, strict=True):
                    key = ("applications", row, column, "count")
                    cell("table3", key, value, f"{row}/{column}", f"t3/{row}/{COLUMNS.index(column)}")
        for i, value in enumerate(entry["table4"]):
            key = ("review_litigation", BLOCKS[i // 5], None, RESULTS[i % 5])
            cell("table4", key, value, f"{BLOCKS[i // 5]}/{RESULTS[i % 5]}", f"t4/{i}")
        for name, value in entry["table2"].items():
            category, metric = name.split("/")
            cell("table2", ("proactive", category, None, metric), value, name, f"t2/{name}")
        narrative = {}
        for fact in report.facts:
            if fact.section == "narrative":
                narrative.setdefault(fact.category, fact)
        for category, value in entry["narrative"].items():
            fact = narrative.get(category)
            ok = fact is not None and _close(fact.value, value)
            check("narrative", category, ok, value, _shown(fact))
        for category, fact in narrative.items():
            if category not in entry["narrative"]:
                result.extras.append(
                    Mismatch(entry["file"], entry["format"], "narrative", category, None, _shown(fact))
                )
    if "legacy" in entry:
        legacy: dict[tuple[str, str, str], object] = {}
        for fact in report.facts:
            if fact.section == "legacy":
                legacy.setdefault((fact.source, fact.category, fact.metric), fact)
        for source, section in (("table", "legacy_table"), ("prose", "legacy_prose")):
            wanted = entry["legacy"][source]
            for code, value in wanted.items():
                category, _, metric = code.partition("/")
                fact = legacy.get((source, category, metric)) if metric else None
                if fact is None and not metric:
                    fact = legacy.get((source, category, "count")) or legacy.get((source, category, "amount"))
                ok = fact is not None and fact.value_status == "number" and _close(fact.value, value)
                check(section, code, ok, value, _shown(fact))
            for (fact_source, category, metric), fact in legacy.items():
                code = category if metric in ("count", "amount") else f"{category}/{metric}"
                if fact_source == source and code not in wanted:
                    result.extras.append(Mismatch(entry["file"], entry["format"], section, code, None, _shown(fact)))
    for key, fact in cells.items():
        if key not in expected_keys and not (entry.get("table3") is None and key[0] == "applications"):
            name = "/".join(str(part) for part in key[1:] if part)
            result.extras.append(Mismatch(entry["file"], entry["format"], key[0], name, None, _shown(fact)))

    failed = set()
    for finding in report.checks:
        if finding.name in CHECKED_RULES and not finding.ok:
            at = finding.column if finding.name in ("intake_balance", "outcome_sum", "review_block_sum") else None
            failed.add((finding.name, at or finding.category))
    wanted_failures = {tuple(v) for v in entry["violations"]}
    for finding in sorted(wanted_failures | failed, key=str):
        ok = finding in wanted_failures and finding in failed
        expected = "fails" if finding in wanted_failures else "passes"
        got = "fails" if finding in failed else "passes or not evaluated"
        check("checks", f"{finding[0]} at {finding[1]}", ok, expected, got)
    return result


def _compare_chunk(job: tuple[list[dict], str]) -> list[Result]:
    entries, directory = job
    return [compare(entry, Path(directory)) for entry in entries]


def _chunks(entries: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def check_corpus(directory: Path, formats: set[str] | None = None, workers: int = 1) -> Iterator[Result]:
    """Results of every file of the corpus (in manifest order), parsed by `workers` processes."""
    with (directory / "expected.jsonl").open(encoding="utf-8") as manifest:
        entries = (json.loads(line) for line in manifest)
        entries = (e for e in entries if formats is None or e["format"] in formats)
        jobs = ((chunk, str(directory)) for chunk in _chunks(entries, 25))
        if workers > 1:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
            with multiprocessing.get_context(method).Pool(workers) as pool:
                for results in pool.imap(_compare_chunk, jobs):
                    yield from results
        else:
            for job in jobs:
                yield from _compare_chunk(job)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, required=True, help="a folder written by bench/generate.py")
    parser.add_argument("--formats", default="", help="only these formats (comma-separated)")
    parser.add_argument("--show", type=int, default=30, help="how many mismatches to list")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    formats = {f.strip() for f in args.formats.split(",") if f.strip()} or None
    started = time.perf_counter()
    per_format: dict[str, Counter] = {}
    per_section: dict[str, Counter] = {}
    mismatches: list[Mismatch] = []
    extras: list[Mismatch] = []
    why: Counter = Counter()
    for result in check_corpus(args.dir, formats, args.workers):
        stats = per_format.setdefault(result.format, Counter())
        stats["files"] += 1
        stats["clean files"] += not result.mismatches and not result.extras
        for section, (recovered, total) in result.counts.items():
            stats["recovered"] += recovered
            stats["values"] += total
            per_section.setdefault(section, Counter()).update(recovered=recovered, values=total)
        mismatches += result.mismatches
        extras += result.extras
        for m in result.mismatches + result.extras:
            why[(m.format, m.section, m.what.split("/")[0] if m.section != "checks" else m.what.split(" at ")[0])] += 1
    seconds = time.perf_counter() - started
    print(f"{'format':<10} {'files':>6} {'clean':>6} {'values':>9} {'recovered':>9} {'share':>8}")
    total = Counter()
    for fmt, stats in sorted(per_format.items()):
        total.update(stats)
        share = stats["recovered"] / stats["values"] if stats["values"] else 1.0
        print(
            f"{fmt:<10} {stats['files']:>6} {stats['clean files']:>6} {stats['values']:>9} "
            f"{stats['recovered']:>9} {share:>8.2%}"
        )
    share = total["recovered"] / total["values"] if total["values"] else 1.0
    print(
        f"{'all':<10} {total['files']:>6} {total['clean files']:>6} {total['values']:>9} "
        f"{total['recovered']:>9} {share:>8.2%}   ({seconds:.1f} s)"
    )
    print("\nby section: " + ", ".join(f"{s} {c['recovered']}/{c['values']}" for s, c in sorted(per_section.items())))
    print(f"extra facts (given by the parser, not stated by the file): {len(extras)}")
    if why:
        print("\nmismatches by (format, section, what):")
        for (fmt, section, what), count in why.most_common(40):
            print(f"  {count:>6}  {fmt:<10} {section:<13} {what}")
    for title, items in (("mismatches", mismatches), ("extra facts", extras)):
        if items:
            print(f"\nfirst {min(args.show, len(items))} {title} of {len(items)}:")
            for item in items[: args.show]:
                print("  " + item.show())
    return 1 if mismatches or extras else 0


if __name__ == "__main__":
    sys.exit(main())
