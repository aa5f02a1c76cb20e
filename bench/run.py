#!/usr/bin/env python3
"""Benchmark: parse throughput per format, end-to-end build and refresh, SQL model times. Prints figures.

    .venv/bin/python bench/run.py --reports N [--formats text,html,docx,markdown,flattened] [--work DIR]
    ./dev bench --reports N …      (installs the `bench` dependency group first: pandas, for a reference)

A script that measures, not a test: nothing is asserted. Stages, each on synthetic reports from
bench/generate.py (same seed, same bytes):

- parse: per format, `--parse-sample` reports (default: N, at most 2,000) of that format alone, parsed with
  `pipeline.parse.parse_file` in this process (single core: CPU seconds of this process) and by a pool of one
  process per core (all cores: wall seconds); reports/s and MB/s of each. References on the same files: the
  floor (read the bytes, hash them as the parser does, and decode: text to str, DOCX unzipped and its XML
  parsed), and for HTML `pandas.read_html` and a plain lxml table walk (what a user would write instead; they
  produce bare tables, no facts, no checks).
- build: N reports of the chosen formats in one raw folder, then `python -m pipeline build --raw R --warehouse W`
  as a subprocess (wall seconds and peak RSS of its whole process tree, sampled from /proc); then the same build
  again with nothing changed (refresh_noop), then again after rewriting 1% of the files with other numbers
  (the generator's reports of the same agencies drawn with another seed; refresh_1pct).
- models: a copy of the built warehouse, every sql/*.sql model's statement run and timed in dependency order.
- profile (not run unless named in `--stages`; after build): pyinstrument profiles, as text, of where the time
  goes: the single-core parse of `--profile-sample` reports of each format (in this process), and the build
  command's main process in a 1% refresh (another 1% rewritten) and in a cold build into a new warehouse. The
  build's parse workers are separate processes, not in its profile: the parse profiles show them. Profiling
  slows what it samples a little; the timed figures come from the other stages.

Prints a table, writes it and the figures (and the profiles) to bench/results/ (file named for N, the
machine's core count and `--label`, default "dev": rename or label a run "final" only on a quiet machine), and
prints, as its last line, one JSON object with every figure (keys name what they measure, units in the names).

The corpus goes to a temporary folder under /tmp, removed at the end. With `--work DIR` it goes to DIR and is
kept, with each finished stage's figures in DIR/stages.json: run the same command again to resume after a
failure or an interruption (finished stages are not run again; `--redo STAGE` runs one anyway).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from bench.generate import ALL_FORMATS, Options, _plan, agency_reports, generate_corpus  # noqa: E402

RESULTS_DIR = REPOSITORY / "bench" / "results"
STAGES = ("parse", "build", "models")  # the default
ALL_STAGES = (*STAGES, "profile")
DEFAULT_PARSE_SAMPLE = 2000
REFRESH_SHARE = 0.01
REFRESH_SEED_OFFSET = 1_000_003  # the rewritten reports draw their numbers from seed + this
PROFILE_SEED_OFFSET = 2_000_003  # the profiled refresh: seed + this + how many were profiled before
DEFAULT_PROFILE_SAMPLE = 500
PROFILE_INTERVAL_S = 0.001
INSTALL_HINT = (
    "pandas is not installed, so the pandas.read_html reference is skipped; install the bench dependency group "
    "with `.venv/bin/uv sync --frozen --group bench` (or run `./dev bench`, which does it)"
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the corpora -----------------------------------------------------------------------------------


def _files(folder: Path) -> list[Path]:
    """The report files under a generated folder, in name order."""
    return sorted(p for p in folder.rglob("*") if p.is_file())


def ensure_corpus(folder: Path, n: int, seed: int, formats: tuple[str, ...], workers: int) -> float:
    """Generate n reports into folder unless a finished generation with the same parameters is there.

    The folder holds report files only: the manifest and the stamp saying it is finished lie beside it."""
    stamp = folder.with_name(f"{folder.name}.generated.json")
    wanted = {"reports": n, "seed": seed, "formats": list(formats)}
    if stamp.exists() and folder.exists() and json.loads(stamp.read_text()) == wanted:
        return 0.0
    stamp.unlink(missing_ok=True)
    if folder.exists():
        shutil.rmtree(folder)
    log(f"generating {n} reports ({','.join(formats)}) into {folder}")
    manifest = generate_corpus(folder, n, seed=seed, formats=formats, workers=workers)
    manifest.path.replace(folder.with_name(f"{folder.name}.expected.jsonl"))
    stamp.write_text(json.dumps(wanted))
    return manifest.seconds


# --- parse throughput ------------------------------------------------------------------------------


def _parse_chunk(paths: list[str]) -> int:
    from pipeline.parse import parse_file

    for path in paths:
        parse_file(path)
    return len(paths)


def _read_floor(path: Path) -> None:
    """What any reader pays: the bytes, their hash (the parser keeps it) and the decoded content."""
    from lxml import etree

    from pipeline.decode import decode_bytes

    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            etree.fromstring(package.read("word/document.xml"))
    else:
        decode_bytes(data).lines  # noqa: B018 - splitting into lines is part of decoding for the text readers


def _timed_cpu(paths: Sequence[Path], work: Callable[[Path], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of this process doing `work` on every path."""
    for path in paths[: min(5, len(paths))]:  # imports, compiled patterns, memo tables
        work(path)
    cpu, wall = time.process_time(), time.perf_counter()
    for path in paths:
        work(path)
    return time.process_time() - cpu, time.perf_counter() - wall


def _pool_wall(paths: Sequence[Path], processes: int) -> float:
    chunk = max(1, min(50, len(paths) // (processes * 4) or 1))
    chunks = [[str(p) for p in paths[i : i + chunk]] for i in range(0, len(paths), chunk)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    started = time.perf_counter()
    with multiprocessing.get_context(method).Pool(processes) as pool:
        done = sum(pool.imap_unordered(_parse_chunk, chunks))
    assert done == len(paths)
    return time.perf_counter() - started


def _html_references(paths: Sequence[Path]) -> dict[str, float]:
    """pandas.read_html and a plain lxml table walk on the decoded pages: CPU ms per report."""
    from lxml import etree

    from pipeline.decode import decode_bytes

    figures: dict[str, float] = {}
    texts = [decode_bytes(p.read_bytes()).text for p in paths]

    def lxml_tables(text: str) -> list[list[list[str]]]:
        root = etree.fromstring(text.encode("utf-8", "surrogatepass"), etree.HTMLParser(encoding="utf-8"))
        if root is None:
            return []
        return [
            [[" ".join("".join(cell.itertext()).split()) for cell in row if cell.tag in ("td", "th")] for row in rows]
            for rows in (table.iter("tr") for table in root.iter("table"))
        ]

    references: list[tuple[str, Callable[[str], object]]] = [("html_lxml_tables_ms_per_report", lxml_tables)]
    try:
        import pandas

        def read_html(text: str) -> object:
            try:
                return pandas.read_html(io.StringIO(text), flavor="lxml")
            except ValueError:  # "No tables found": a page whose tables it cannot read
                return []

        references.append(("html_pandas_read_html_ms_per_report", read_html))
    except ImportError:
        log(INSTALL_HINT)
        figures["html_pandas_read_html_ms_per_report"] = None  # type: ignore[assignment]
    for key, function in references:
        for text in texts[:5]:
            function(text)
        cpu = time.process_time()
        for text in texts:
            function(text)
        figures[key] = round((time.process_time() - cpu) / len(texts) * 1000, 3)
    return figures


def stage_parse(work: Path, formats: tuple[str, ...], sample: int, seed: int, cores: int) -> dict:
    figures: dict = {"parse_sample_reports_per_format": sample}
    total_files = total_bytes = 0
    total_cpu = total_wall_all = total_floor = 0.0
    for fmt in formats:
        folder = work / "parse" / fmt
        ensure_corpus(folder, sample, seed, (fmt,), cores)
        paths = _files(folder)
        size = sum(p.stat().st_size for p in paths)
        log(f"parse {fmt}: {len(paths)} files, {size / 1e6:.1f} MB: single core")
        from pipeline.parse import parse_file

        cpu, wall = _timed_cpu(paths, parse_file)
        log(f"parse {fmt}: all {cores} cores")
        wall_all = _pool_wall(paths, cores)
        floor_cpu, _ = _timed_cpu(paths, _read_floor)
        figures.update(
            {
                f"parse_{fmt}_ms_per_report": round(cpu / len(paths) * 1000, 3),
                f"parse_{fmt}_reports_per_s_per_core": round(len(paths) / cpu, 1),
                f"parse_{fmt}_mb_per_s_per_core": round(size / 1e6 / cpu, 2),
                f"parse_{fmt}_wall_s_single_process": round(wall, 2),
                f"parse_{fmt}_reports_per_s_all_cores": round(len(paths) / wall_all, 1),
                f"parse_{fmt}_mb_per_s_all_cores": round(size / 1e6 / wall_all, 2),
                f"read_floor_{fmt}_ms_per_report": round(floor_cpu / len(paths) * 1000, 3),
                f"files_{fmt}_kb_mean": round(size / len(paths) / 1000, 1),
            }
        )
        if fmt == "html":
            log("html references: lxml table walk, pandas.read_html")
            references = _html_references(paths)
            figures.update(references)
            if references.get("html_pandas_read_html_ms_per_report"):
                figures["parse_html_vs_pandas_read_html_time_ratio"] = round(
                    figures["parse_html_ms_per_report"] / references["html_pandas_read_html_ms_per_report"], 3
                )
        total_files, total_bytes = total_files + len(paths), total_bytes + size
        total_cpu, total_wall_all, total_floor = total_cpu + cpu, total_wall_all + wall_all, total_floor + floor_cpu
    figures.update(
        {
            "parse_reports_per_s_per_core": round(total_files / total_cpu, 1),
            "parse_mb_per_s_per_core": round(total_bytes / 1e6 / total_cpu, 2),
            "parse_reports_per_s_all_cores": round(total_files / total_wall_all, 1),
            "parse_mb_per_s_all_cores": round(total_bytes / 1e6 / total_wall_all, 2),
            "parse_single_core_s": round(total_cpu, 2),
            "read_floor_s": round(total_floor, 2),
        }
    )
    return figures


# --- build and refresh -----------------------------------------------------------------------------


def _process_tree(root: int) -> list[int]:
    """The process and its descendants, from the parent ids in /proc/*/stat (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])  # after "pid (comm) state"
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, ()))
    return tree


def _tree_rss_kb(root: int) -> tuple[int, int]:
    """(sum of VmRSS, largest VmHWM) over a process and its descendants, in kB."""
    total = largest = 0
    for pid in _process_tree(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
            elif line.startswith("VmHWM:"):
                largest = max(largest, int(line.split()[1]))
    return total, largest


def run_build(raw: Path, warehouse: Path, log_file: Path, python_arguments: Sequence[str] = ()) -> dict:
    """Run the build command (or python with other arguments, e.g. the build under a profiler); wall seconds,
    peak RSS of the process tree, exit status, its summary line."""
    default = ("-m", "pipeline", "build", "--raw", str(raw), "--warehouse", str(warehouse))
    command = [sys.executable, *(python_arguments or default)]
    peak = [0, 0]
    with log_file.open("ab") as output:
        output.write(f"\n$ {' '.join(command)}\n".encode())
        output.flush()
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPOSITORY, stdout=output, stderr=subprocess.STDOUT)
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                total, largest = _tree_rss_kb(process.pid)
                peak[0], peak[1] = max(peak[0], total), max(peak[1], largest)
                stop.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        status = process.wait()
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
    lines = log_file.read_text(errors="replace").splitlines()
    summary = next((line for line in reversed(lines) if line.startswith("build:")), "")
    return {
        "s": round(seconds, 2),
        "peak_rss_mb": round(peak[0] / 1024, 1),
        "max_process_rss_mb": round(peak[1] / 1024, 1),
        "ok": status == 0,
        "summary": summary,
    }


def rewrite_share(
    raw: Path, n: int, seed: int, formats: tuple[str, ...], share: float, content_seed: int | None = None
) -> int:
    """Rewrite about `share` of the reports: whole agencies, every `step`-th one, regenerated with another seed
    (same agency and years, other numbers and layout; by default seed + REFRESH_SEED_OFFSET). Returns how many
    files were written."""
    plans = _plan(n, seed, formats)
    wanted = max(1, round(n * share))
    agencies = math.ceil(wanted / (n / len(plans)))  # agencies report n / len(plans) years on average
    step = max(1, len(plans) // agencies)  # spread over the corpus
    written = 0
    for plan in plans[::step]:
        if written >= wanted:
            break
        other_seed = seed + REFRESH_SEED_OFFSET if content_seed is None else content_seed
        for name, data, _ in agency_reports(plan, other_seed, formats, Options()):
            target = raw / name
            stem = target.name.split("_", 1)[0]
            for old in target.parent.glob(f"{stem}_*"):  # the format (extension) may have changed
                if old != target:
                    old.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written += 1
    return written


def _rewrite_generated(raw: Path, n: int, seed: int, formats: tuple[str, ...], content_seed: int | None = None) -> int:
    """rewrite_share on the generated corpus, which then is no longer what its stamp says: a rerun of the stage
    generates it again (else its refresh would rewrite files with the bytes they already hold)."""
    raw.with_name(f"{raw.name}.generated.json").unlink(missing_ok=True)
    return rewrite_share(raw, n, seed, formats, REFRESH_SHARE, content_seed)


def stage_build(work: Path, n: int, seed: int, formats: tuple[str, ...], cores: int) -> dict:
    raw, warehouse, log_file = work / "raw", work / "warehouse", work / "build.log"
    generate_s = ensure_corpus(raw, n, seed, formats, cores)
    if warehouse.exists():  # a resumed stage starts from an empty warehouse: a cold build
        shutil.rmtree(warehouse)
    size = sum(p.stat().st_size for p in _files(raw))
    figures: dict = {"build_reports": n, "build_raw_mb": round(size / 1e6, 1)}
    if generate_s:
        figures["generate_s"] = round(generate_s, 1)
    for key, prepare in (
        ("build", None),
        ("refresh_noop", None),
        ("refresh_1pct", lambda: _rewrite_generated(raw, n, seed, formats)),
    ):
        if prepare:
            figures[f"{key}_files_rewritten"] = prepare()
        log(f"{key}: python -m pipeline build --raw {raw} --warehouse {warehouse} (log: {log_file})")
        result = run_build(raw, warehouse, log_file)
        log(f"{key}: {result['s']} s, peak RSS {result['peak_rss_mb']} MB, ok={result['ok']} {result['summary']}")
        figures.update({f"{key}_s" if name == "s" else f"{key}_{name}": value for name, value in result.items()})
        if not result["ok"]:
            log(f"{key} failed: see {log_file}; the stages after it are skipped")
            break
    figures["build_reports_per_s"] = round(n / figures["build_s"], 1) if figures.get("build_ok") else None
    figures["peak_rss_mb"] = max(figures.get(f"{k}_peak_rss_mb", 0) for k in ("build", "refresh_noop", "refresh_1pct"))
    return figures


# --- SQL models ------------------------------------------------------------------------------------


def stage_models(work: Path) -> dict:
    import duckdb

    from pipeline.sql_models import load_models

    database = work / "warehouse" / "warehouse.duckdb"
    if not database.exists():
        raise SystemExit(f"no warehouse at {database}: the build stage must run first")
    copy = work / "models-copy.duckdb"
    shutil.copyfile(os.path.realpath(database), copy)
    figures: dict = {}
    total = 0.0
    try:
        with duckdb.connect(str(copy)) as connection:
            for model in load_models():
                started = time.perf_counter()
                connection.execute(model.sql)
                seconds = time.perf_counter() - started
                (rows,) = connection.execute(f'SELECT count(*) FROM "{model.name}"').fetchone()
                figures[f"model_{model.name}_s"] = round(seconds, 3)
                figures[f"model_{model.name}_rows"] = rows
                total += seconds
                log(f"model {model.name}: {seconds:.3f} s, {rows} rows")
    finally:
        copy.unlink(missing_ok=True)
    figures["models_total_s"] = round(total, 3)
    return figures


# --- profiles --------------------------------------------------------------------------------------


def _profile_text(profiler: object) -> str:
    return profiler.output_text(unicode=True, color=False)


def stage_profile(
    work: Path, n: int, seed: int, formats: tuple[str, ...], parse_sample: int, sample: int, cores: int
) -> dict:
    """pyinstrument profiles (text files in DIR/profiles/) of the parse of each format and of the build
    command's main process in a 1% refresh and in a cold build; their wall seconds (profiled)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit("pyinstrument is not installed: run `./dev bench` (or `.venv/bin/uv sync`)") from None
    from pipeline.parse import parse_file

    raw, warehouse, log_file = work / "raw", work / "warehouse", work / "build.log"
    if not (warehouse / "warehouse.duckdb").exists():
        raise SystemExit(f"no warehouse in {warehouse}: the build stage must run first")
    folder = work / "profiles"
    folder.mkdir(exist_ok=True)
    figures: dict = {"profile_parse_sample_reports_per_format": sample}
    for fmt in formats:
        corpus = work / "parse" / fmt
        ensure_corpus(corpus, parse_sample, seed, (fmt,), cores)  # the parse stage's files
        paths = _files(corpus)[:sample]
        for path in paths[:5]:  # imports, compiled patterns, memo tables: not what a long run pays
            parse_file(path)
        log(f"profile: parse {fmt}, {len(paths)} reports")
        profiler = Profiler(interval=PROFILE_INTERVAL_S)
        profiler.start()
        for path in paths:
            parse_file(path)
        profiler.stop()
        (folder / f"parse-{fmt}.txt").write_text(_profile_text(profiler), encoding="utf-8")
        figures[f"profile_parse_{fmt}_ms_per_report"] = round(profiler.last_session.duration / len(paths) * 1000, 3)

    earlier = len(list(folder.glob("refresh-1pct*.txt")))  # each profiled refresh rewrites other content
    content_seed = seed + PROFILE_SEED_OFFSET + earlier
    figures["profile_refresh_1pct_files_rewritten"] = _rewrite_generated(raw, n, seed, formats, content_seed)
    cold = work / "profile-warehouse"
    shutil.rmtree(cold, ignore_errors=True)
    for key, target in (("refresh_1pct", warehouse), ("build", cold)):
        out = folder / f"{key.replace('_', '-')}.txt"
        command = [
            *("-m", "pyinstrument", "--renderer", "text", "--unicode", "--no-color", "--outfile", str(out)),
            *("--interval", str(PROFILE_INTERVAL_S), "-m", "pipeline", "build", "--raw", str(raw)),
            *("--warehouse", str(target)),
        ]
        log(f"profile: {key}: pipeline build under pyinstrument (log: {log_file})")
        result = run_build(raw, target, log_file, command)
        log(f"profile: {key}: {result['s']} s, ok={result['ok']} -> {out}")
        figures[f"profile_{key}_s"] = result["s"]
        figures[f"profile_{key}_ok"] = result["ok"]
    shutil.rmtree(cold, ignore_errors=True)
    figures["profile_files"] = sorted(path.name for path in folder.glob("*.txt"))
    return figures


# --- the report ------------------------------------------------------------------------------------


def table(figures: dict, formats: tuple[str, ...]) -> str:
    """The figures as Markdown tables, for a person."""
    out = [
        f"# Benchmark: {figures['reports']} reports, {figures['cpu_count']} cores ({figures['label']})",
        "",
        f"{figures['started']}, Python {figures['python']}, {figures['machine']}; load average at start "
        f"{figures['load_average_start']}, at end {figures.get('load_average_end')}",
    ]
    if "parse_reports_per_s_per_core" in figures:
        out += [
            "",
            f"## Parse ({figures['parse_sample_reports_per_format']} reports per format; single core = CPU time of "
            "one process, all cores = wall time of a pool)",
            "",
            "| format | KB/file | ms/report | reports/s/core | MB/s/core | reports/s all cores | MB/s all cores "
            "| floor ms/report |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for fmt in formats:
            if f"parse_{fmt}_ms_per_report" in figures:
                out.append(
                    f"| {fmt} | {figures[f'files_{fmt}_kb_mean']} | {figures[f'parse_{fmt}_ms_per_report']} "
                    f"| {figures[f'parse_{fmt}_reports_per_s_per_core']} | {figures[f'parse_{fmt}_mb_per_s_per_core']} "
                    f"| {figures[f'parse_{fmt}_reports_per_s_all_cores']} "
                    f"| {figures[f'parse_{fmt}_mb_per_s_all_cores']} | {figures[f'read_floor_{fmt}_ms_per_report']} |"
                )
        out.append(
            f"| all | | | {figures['parse_reports_per_s_per_core']} | {figures['parse_mb_per_s_per_core']} "
            f"| {figures['parse_reports_per_s_all_cores']} | {figures['parse_mb_per_s_all_cores']} "
            f"| read_floor_s {figures['read_floor_s']} (parse {figures['parse_single_core_s']} s) |"
        )
        if "html_lxml_tables_ms_per_report" in figures:
            pandas_ms = figures.get("html_pandas_read_html_ms_per_report")
            out += [
                "",
                "HTML references on the same files (CPU ms per report, bare tables, no facts): "
                f"lxml table walk {figures['html_lxml_tables_ms_per_report']}, pandas.read_html "
                + (
                    f"{pandas_ms} (parser / read_html = {figures['parse_html_vs_pandas_read_html_time_ratio']})"
                    if pandas_ms
                    else "not measured (pandas not installed)"
                ),
            ]
    if "build_s" in figures:
        out += [
            "",
            f"## Build ({figures['build_reports']} reports, {figures['build_raw_mb']} MB, "
            "`python -m pipeline build` as a subprocess)",
            "",
            "| run | wall s | peak RSS MB (process tree) | largest process MB | ok | summary |",
            "|---|---|---|---|---|---|",
        ]
        for key in ("build", "refresh_noop", "refresh_1pct"):
            if f"{key}_s" in figures:
                label = key + (f" ({figures['refresh_1pct_files_rewritten']} files)" if key == "refresh_1pct" else "")
                out.append(
                    f"| {label} | {figures[f'{key}_s']} | {figures[f'{key}_peak_rss_mb']} "
                    f"| {figures[f'{key}_max_process_rss_mb']} | {figures[f'{key}_ok']} | {figures[f'{key}_summary']} |"
                )
    if "profile_files" in figures:
        parsed = ", ".join(
            f"{fmt} {figures[f'profile_parse_{fmt}_ms_per_report']} ms/report"
            for fmt in formats
            if f"profile_parse_{fmt}_ms_per_report" in figures
        )
        out += [
            "",
            "## Profiles (pyinstrument, text; files `…-profile-<name>` beside this one)",
            "",
            f"- parse, {figures['profile_parse_sample_reports_per_format']} reports per format, profiled: {parsed}",
            f"- 1% refresh ({figures['profile_refresh_1pct_files_rewritten']} files), profiled: "
            f"{figures['profile_refresh_1pct_s']} s; cold build, profiled: {figures['profile_build_s']} s",
            f"- files: {', '.join(figures['profile_files'])}",
        ]
    models = [k for k in figures if k.startswith("model_") and k.endswith("_s")]
    if models:
        out += [
            "",
            "## SQL models (DuckDB, on a copy of the built warehouse)",
            "",
            "| model | s | rows |",
            "|---|---|---|",
        ]
        for key in sorted(models, key=lambda k: -figures[k]):
            name = key[len("model_") : -len("_s")]
            out.append(f"| {name} | {figures[key]} | {figures.get(f'model_{name}_rows')} |")
        out.append(f"| total | {figures['models_total_s']} | |")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--reports", type=int, default=1000, help="N: reports of the build (default 1000; 10000, 100000)"
    )
    parser.add_argument("--formats", default=",".join(ALL_FORMATS), help="comma-separated: " + ",".join(ALL_FORMATS))
    parser.add_argument(
        "--stages",
        default=",".join(STAGES),
        help=f"comma-separated: {','.join(ALL_STAGES)} (default: {','.join(STAGES)})",
    )
    parser.add_argument(
        "--parse-sample",
        type=int,
        default=None,
        help=f"reports per format for parse (default: N, at most {DEFAULT_PARSE_SAMPLE})",
    )
    parser.add_argument(
        "--profile-sample",
        type=int,
        default=DEFAULT_PROFILE_SAMPLE,
        help=f"reports per format the profile stage parses (default {DEFAULT_PROFILE_SAMPLE})",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--work", type=Path, default=None, help="keep the corpora here; rerun to resume (default: a temporary folder)"
    )
    parser.add_argument("--redo", action="append", default=[], choices=ALL_STAGES, help="run a finished stage again")
    parser.add_argument(
        "--label", default="dev", help='results file label (default "dev"; "final" only on a quiet machine)'
    )
    parser.add_argument("--no-save", action="store_true", help="print only; write nothing to bench/results/")
    args = parser.parse_args(argv)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    stages = tuple(s.strip() for s in args.stages.split(",") if s.strip())
    if unknown := [f for f in formats if f not in ALL_FORMATS] + [s for s in stages if s not in ALL_STAGES]:
        parser.error(f"unknown formats or stages: {unknown}")
    cores = os.cpu_count() or 1
    sample = args.parse_sample or min(args.reports, DEFAULT_PARSE_SAMPLE)

    temporary = args.work is None
    work = Path(tempfile.mkdtemp(prefix="bench-run-", dir="/tmp")) if temporary else args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    state_file = work / "stages.json"
    parameters = {"reports": args.reports, "formats": list(formats), "seed": args.seed, "parse_sample": sample}
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    if state.get("parameters") != parameters:
        state = {"parameters": parameters, "stages": {}}
    figures: dict = {
        "reports": args.reports,
        "formats": ",".join(formats),
        "seed": args.seed,
        "cpu_count": cores,
        "label": args.label,
        "started": datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
        "load_average_start": round(os.getloadavg()[0], 2),
    }
    log(f"work folder {work}; stages {','.join(stages)}; {cores} cores; load average {figures['load_average_start']}")
    runners: dict[str, Callable[[], dict]] = {
        "parse": lambda: stage_parse(work, formats, sample, args.seed, cores),
        "build": lambda: stage_build(work, args.reports, args.seed, formats, cores),
        "models": lambda: stage_models(work),
        "profile": lambda: stage_profile(
            work, args.reports, args.seed, formats, sample, min(args.profile_sample, sample), cores
        ),
    }
    failed = False
    for stage in stages:
        if stage in state["stages"] and stage not in args.redo:
            log(f"{stage}: finished before, figures reused (--redo {stage} to run it again)")
        else:
            started = time.perf_counter()
            try:
                state["stages"][stage] = runners[stage]()
            except (Exception, SystemExit) as err:  # report what was measured; keep the corpora to resume
                log(f"{stage} stage failed: {type(err).__name__}: {err}")
                failed = True
                break
            state["stages"][stage][f"stage_{stage}_s"] = round(time.perf_counter() - started, 1)
            state_file.write_text(json.dumps(state, indent=1))
        figures.update(state["stages"][stage])
    figures["load_average_end"] = round(os.getloadavg()[0], 2)

    report = table(figures, formats)
    print(report)
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        stem = f"{args.reports}-reports-{cores}-cores-{args.label}-{datetime.now():%Y%m%d-%H%M%S}"
        (RESULTS_DIR / f"{stem}.md").write_text(report, encoding="utf-8")
        (RESULTS_DIR / f"{stem}.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")
        for name in figures.get("profile_files", ()):
            shutil.copyfile(work / "profiles" / name, RESULTS_DIR / f"{stem}-profile-{name}")
        log(f"wrote {RESULTS_DIR / stem}.md and .json")
    if failed or not temporary:
        log(f"corpora kept in {work}: run the same command with --work {work} to resume")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
