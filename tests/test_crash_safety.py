"""The published warehouse survives crashes and concurrent readers: proved with real processes.

`python -m pipeline build` runs as a subprocess and is SIGKILLed while it lists, parses, writes Parquet, builds
DuckDB and publishes. After every kill the previous warehouse must be byte-identical and readable, nothing
half-written may show in the warehouse folder (leftovers only in its hidden areas), no process of the build may
survive, and the next build must give exactly the tables of an uninterrupted build of the same raw folder.
Readers in other processes keep their snapshot across a refresh; two builds at once both end consistent; the
Dagster UI runs beside a CLI build without holding the database and listens on 127.0.0.1 only.

Default run: one kill while parsing; the publish step killed at each of its file operations; taking over a
folder of the flat layout; a partial run; the publish lock; stale staging clean-up; three readers.
`-m slow`: twelve kills across every phase (some at seeded random moments), two builds at once (free, and
meeting at the lock), the Dagster UI beside a CLI build.
Everything waits by polling with generous timeouts (a 2-core machine, a Dagster import of several seconds).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, REPOSITORY, SAMPLES

from pipeline.definitions import JOB_NAME, build_definitions
from pipeline.parse import parse_file
from pipeline.warehouse import DATABASE_FILE, PARQUET_TABLES, Warehouse, WarehouseBusy, parquet_name, parquet_scan

PUBLISHED_DATA = {DATABASE_FILE, *(parquet_name(name) for name in PARQUET_TABLES)}  # facts/: a folder of partitions
PUBLISHED = set(Warehouse.PUBLISHED_FILES)  # a whole build's: the data and the trends page report.html
TIMEOUT = 600  # seconds for anything that runs a build: generous, a loaded 2-core machine is slow
VOLATILE_TABLES: set[str] = set()  # tables whose content may differ between two builds of the same files


# --- raw folders -------------------------------------------------------------------------------------------

STEMS, BRANCHES = "甲乙丙丁戊己庚辛壬癸", "子丑寅卯辰巳午未申酉戌亥"


def make_raw_folder(folder: Path, copies: int, first: int = 0) -> Path:
    """Every sample and corpus report `copies` times, each copy's agency renamed (甲子…) so contents differ."""
    folder.mkdir(parents=True)
    templates = {path.name: path for path in sorted(SAMPLES.glob("*.txt"))}
    templates.update({path.name: path for path in sorted((CORPUS / "raw").iterdir()) if path.is_file()})
    for name, path in sorted(templates.items()):
        text = path.read_bytes().decode("utf-8")
        agency = parse_file(path).agency
        for copy in range(first, first + copies):
            tag = STEMS[copy % 10] + BRANCHES[copy // 10 % 12]
            renamed = agency is not None and agency in text
            edited = text.replace(agency, tag + agency, 1) if renamed else f"{text}\n{tag}\n"
            (folder / f"c{copy:03d}_{name}").write_text(edited, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> dict[str, Path]:
    """Two different raw folders (108 and 90 files): a build of either takes a few seconds."""
    root = tmp_path_factory.mktemp("raw")
    return {"a": make_raw_folder(root / "a", copies=6), "b": make_raw_folder(root / "b", copies=5, first=60)}


def in_process_build(raw_dir: Path, warehouse_dir: Path) -> None:
    defs = build_definitions(raw_dir, warehouse_dir)
    result = defs.resolve_job_def(JOB_NAME).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert result.success


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Callable[[Path], dict]:
    """The tables of an uninterrupted build of a raw folder (built once per folder, in process)."""
    cache: dict[Path, dict] = {}

    def tables_of(raw_dir: Path) -> dict:
        if raw_dir not in cache:
            folder = tmp_path_factory.mktemp("reference")
            in_process_build(raw_dir, folder)
            cache[raw_dir] = table_digests(folder)
        return cache[raw_dir]

    return tables_of


# --- what the warehouse folder holds -----------------------------------------------------------------------


def visible_state(folder: Path) -> dict[str, str]:
    """SHA-256 of every visible entry of the warehouse folder (a folder: of its files' names and bytes): what
    analysts and their tools open."""
    return {path.name: content_digest(path) for path in sorted(folder.iterdir()) if not path.name.startswith(".")}


def content_digest(path: Path) -> str:
    if not path.is_dir():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for file in sorted(path.rglob("*")):
        if file.is_file():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def hidden_leftovers(folder: Path) -> list[str]:
    """The hidden entries (staging, versions…), two levels deep, for the record."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") and path.name != ".publish.lock":
            found.append(path.name + ("/" if path.is_dir() and not path.is_symlink() else ""))
            if path.is_dir() and not path.is_symlink():
                found.extend(f"{path.name}/{child.name}" for child in sorted(path.iterdir()))
    return found


def staging_folders(folder: Path) -> set[str]:
    root = folder / ".staging"
    return {path.name for path in root.iterdir() if path.is_dir()} if root.is_dir() else set()


def row_counts(folder: Path) -> dict[str, int]:
    with duckdb.connect(str(folder / DATABASE_FILE), read_only=True) as connection:
        names = [row[0] for row in connection.sql("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {name: connection.sql(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in names}


def table_digests(folder: Path) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the ordered rows of every table: equal digests, equal contents."""
    digests = {}
    with duckdb.connect(str(folder / DATABASE_FILE), read_only=True) as connection:
        names = [row[0] for row in connection.sql("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        for name in names:
            if name in VOLATILE_TABLES:
                continue
            rows = connection.sql(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall()
            digests[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return digests


def assert_parquet_matches_database(folder: Path) -> None:
    """The Parquet files and the database are of the same build."""
    with duckdb.connect(str(folder / DATABASE_FILE), read_only=True) as connection:
        for name in PARQUET_TABLES:
            columns = ", ".join(f'"{row[0]}"' for row in connection.sql(f'DESCRIBE "{name}"').fetchall())
            in_database = connection.sql(f'SELECT {columns} FROM "{name}" ORDER BY ALL').fetchall()
            source = parquet_scan(folder.resolve() / ".current", name)
            in_parquet = connection.sql(f"SELECT {columns} FROM {source} ORDER BY ALL").fetchall()
            assert in_parquet == in_database, f"{parquet_name(name)} is not the database's {name}"


# --- processes -----------------------------------------------------------------------------------------------


def build_env() -> dict[str, str]:
    """The caller's environment without a Dagster instance or pipeline folders of its own."""
    drop = {"DAGSTER_HOME", "PIPELINE_RAW_DIR", "PIPELINE_WAREHOUSE_DIR"}
    return {key: value for key, value in os.environ.items() if key not in drop}


class Build:
    """`python -m pipeline build` in a session of its own; its stderr is collected line by line as it comes."""

    def __init__(self, raw_dir: Path, warehouse_dir: Path) -> None:
        command = [sys.executable, "-m", "pipeline", "build", "--raw", str(raw_dir), "--warehouse", str(warehouse_dir)]
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env=build_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def saw(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def wait_until(self, condition: Callable[[], bool], timeout: float = TIMEOUT, poll: float = 0.001) -> bool:
        """Poll until the condition holds (True) or the build has ended first (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            if self.process.poll() is not None:
                return condition()
            time.sleep(poll)
        raise AssertionError(f"timed out after {timeout} s; stderr:\n" + self.stderr[-3000:])

    def kill(self) -> None:
        """SIGKILL the build process itself (as the OOM killer or a power cut would), then reap it."""
        self.killed_after = self.seconds
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        self._reader.join(timeout=60)

    def finish(self, timeout: float = TIMEOUT) -> int:
        returncode = self.process.wait(timeout=timeout)
        self._reader.join(timeout=60)
        return returncode

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


def session_members(session: int) -> list[int]:
    """Live processes of a session (a build started with start_new_session=True leads its own)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def cli_build(raw_dir: Path, warehouse_dir: Path) -> Build:
    build = Build(raw_dir, warehouse_dir)
    returncode = build.finish()
    assert returncode == 0, build.stderr[-3000:]
    return build


def new_staging_folder(warehouse_dir: Path, known: set[str]) -> Path | None:
    fresh = staging_folders(warehouse_dir) - known
    return warehouse_dir / ".staging" / sorted(fresh)[0] if fresh else None


def observed_phase(build: Build, folder: Path | None) -> str:
    """Where the build was when it died, told by what its staging folder holds."""
    if folder is None:
        return "startup"  # imports, Dagster set-up, listing the raw folder
    if not folder.exists():
        return "publish"  # the staged build had been moved towards the published place
    names = {path.name for path in folder.iterdir()}
    if "facts" not in names:  # parsing into the cache, then loading DuckDB from it
        return "parsing" if build.saw(" - raw_report_files - ") else "listing"
    if not set(STAGED_PARQUET) <= names:
        try:
            for part in (folder / "facts").rglob("*.parquet"):
                pq.read_metadata(part)
        except Exception:
            return "parquet write (facts/ torn)"
        return "parquet write"
    return "duckdb build"


def kill_and_check(
    build: Build, warehouse_dir: Path, folder: Path | None, before: dict, counts: dict, new: dict | None = None
) -> str:
    """Kill the build; the previous warehouse must be exactly as it was, or (a kill after the publishing rename)
    the new build must be published whole, equal to `new`. Return the phase the build died in."""
    build.kill()
    phase = observed_phase(build, folder)
    # the parse pool's workers die with the build (PR_SET_PDEATHSIG); multiprocessing's resource tracker exits
    # when the last of them is gone: give them a moment, as the kernel reaps them
    deadline = time.monotonic() + 10
    while session_members(build.process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session_members(build.process.pid) == [], "a process of the killed build is still running"
    assert set(visible_state(warehouse_dir)) == PUBLISHED
    assert_parquet_matches_database(warehouse_dir)
    if visible_state(warehouse_dir) != before:
        assert new is not None and phase == "publish", f"killed during {phase}: the published files changed"
        assert table_digests(warehouse_dir) == new, "killed after publishing: the new build is not whole"
        return "publish (after the switch: the new build is published)"
    assert row_counts(warehouse_dir) == counts
    return phase


# --- one kill while parsing (default run) ------------------------------------------------------------------


def test_a_build_killed_while_parsing_leaves_the_previous_warehouse_and_the_next_build_completes(
    tmp_path, raw, reference
):
    warehouse_dir = tmp_path / "warehouse"
    in_process_build(SAMPLES, warehouse_dir)
    before, counts = visible_state(warehouse_dir), row_counts(warehouse_dir)
    assert set(before) == PUBLISHED
    expected = reference(raw["a"])  # now, not while a build waits for its kill

    for _ in range(3):  # a kill meant for parsing that comes late (a stalled, overloaded machine) is tried again
        build = Build(raw["a"], warehouse_dir)
        assert build.wait_until(lambda build=build: build.saw(" - raw_report_files - ")), build.stderr[-3000:]
        folder = new_staging_folder(warehouse_dir, set())
        assert folder is not None and folder.exists()
        # a later run's clean-up never takes the folder of a run that is still going
        Warehouse(warehouse_dir).remove_stale_staging()
        assert folder.exists(), "remove_stale_staging removed the staging folder of a running build"
        phase = kill_and_check(build, warehouse_dir, folder, before, counts, expected)
        print(f"killed during {phase} after {build.killed_after:.1f} s; left: {hidden_leftovers(warehouse_dir)}")
        if phase == "parsing":
            break
        before, counts = visible_state(warehouse_dir), row_counts(warehouse_dir)
        Warehouse(warehouse_dir).remove_stale_staging()
    assert phase == "parsing", phase

    rerun = cli_build(raw["a"], warehouse_dir)
    assert table_digests(warehouse_dir) == expected
    assert_parquet_matches_database(warehouse_dir)
    assert not folder.exists(), "the killed run's staging folder was not cleaned up by the next run"
    assert_clean_after_a_build(warehouse_dir)
    print(f"next build: {rerun.seconds:.1f} s; hidden entries now: {hidden_leftovers(warehouse_dir)}")


# --- publish killed at each of its steps (default run) ------------------------------------------------------

PUBLISH_SCRIPT = r"""
import os, signal, sys
from pathlib import Path

import pyarrow as pa

from pipeline.warehouse import PARQUET_TABLES, Warehouse

folder, run_id, tag, kill_at = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
store = Warehouse(folder)
store.remove_stale_staging()  # as every build starts
store.staging(run_id).mkdir(parents=True, exist_ok=True)
for name in PARQUET_TABLES:  # facts is partitioned by year: three partitions
    rows = {"build": [tag] * 3, "row": [1, 2, 3], "year": pa.array([2020, 2021, None], pa.int32())}
    store.write_table(run_id, name, pa.table(rows))

steps, publishing = 0, False


def counted(function):
    def step(*args, **kwargs):
        global steps
        if publishing:
            steps += 1
            if steps == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return function(*args, **kwargs)

    return step


for name in ("mkdir", "rename", "replace", "symlink", "link", "unlink", "rmdir", "fsync"):
    setattr(os, name, counted(getattr(os, name)))
publishing = True
store.publish(run_id)
publishing = False
print(steps)
"""


def publish_run(warehouse_dir: Path, run_id: str, tag: str, kill_at: int = 0) -> subprocess.CompletedProcess:
    """Stage a tiny build whose every row says `tag` and publish it; SIGKILL at its kill_at-th file operation."""
    return subprocess.run(
        [sys.executable, "-c", PUBLISH_SCRIPT, str(warehouse_dir), run_id, tag, str(kill_at)],
        cwd=REPOSITORY,
        env=build_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def published_tag(folder: Path) -> str:
    """The build the published files belong to; fails if the database and the Parquet files disagree."""
    tags = set()
    with duckdb.connect(str(folder / DATABASE_FILE), read_only=True) as connection:
        for name in PARQUET_TABLES:
            tags |= {row[0] for row in connection.sql(f"SELECT DISTINCT build FROM {name}").fetchall()}
            in_parquet = connection.sql(f"SELECT DISTINCT build FROM {parquet_scan(folder, name)}").fetchall()
            tags |= {row[0] for row in in_parquet}
    assert len(tags) == 1, f"the published files come from different builds: {sorted(tags)}"
    return tags.pop()


def test_publish_killed_at_any_step_leaves_the_old_or_the_new_build_never_a_mix(tmp_path):
    warehouse_dir = tmp_path / "warehouse"
    for run_id in ("first", "second", "third"):  # the third is a steady-state publish: links in place, and
        result = publish_run(warehouse_dir, run_id, run_id)  # a build before the previous one to delete
        assert result.returncode == 0, result.stderr[-3000:]
    steps = int(result.stdout.split()[-1])
    assert steps >= 2
    current, outcomes = "third", []
    for step in range(1, steps + 1):
        run_id = f"killed{step:02d}"
        result = publish_run(warehouse_dir, run_id, run_id, kill_at=step)
        assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
        assert set(visible_state(warehouse_dir)) == PUBLISHED_DATA  # these runs stage no trends page
        tag = published_tag(warehouse_dir)
        assert tag in (current, run_id)
        outcomes.append(f"step {step}: {'new' if tag == run_id else 'old'}")
        current = tag
        # the previous killed run's staging folder was cleaned up by this run
        assert staging_folders(warehouse_dir) <= {run_id}
    print("; ".join(outcomes))
    print(f"left behind after the last kill: {hidden_leftovers(warehouse_dir)}")
    result = publish_run(warehouse_dir, "final", "final")
    assert result.returncode == 0, result.stderr[-3000:]
    assert published_tag(warehouse_dir) == "final"
    assert staging_folders(warehouse_dir) == set()
    print(f"after the next publish: {hidden_leftovers(warehouse_dir)}")


def flat_layout(folder: Path, tag: str) -> None:
    """A warehouse as published before versioned folders: four plain files."""
    folder.mkdir(parents=True)
    with duckdb.connect(str(folder / DATABASE_FILE)) as connection:
        for name in PARQUET_TABLES:
            pq.write_table(pa.table({"build": [tag] * 3, "row": [1, 2, 3]}), folder / f"{name}.parquet")
            connection.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{folder / name}.parquet')")


def test_a_warehouse_in_the_flat_layout_is_taken_over_by_the_next_publish(tmp_path):
    warehouse_dir = tmp_path / "warehouse"
    flat_layout(warehouse_dir, "flat")
    held = duckdb.connect(str(warehouse_dir / DATABASE_FILE), read_only=True)
    try:
        result = publish_run(warehouse_dir, "next", "next")
        assert result.returncode == 0, result.stderr[-3000:]
        assert published_tag(warehouse_dir) == "next"
        assert all((warehouse_dir / name).is_symlink() for name in PUBLISHED_DATA)
        assert held.sql("SELECT DISTINCT build FROM facts").fetchall() == [("flat",)]
    finally:
        held.close()
    assert_clean_after_a_build(warehouse_dir, PUBLISHED_DATA)


def test_a_partial_run_keeps_the_published_tables_it_did_not_rebuild(tmp_path):
    result = publish_run(tmp_path, "full", "full")
    assert result.returncode == 0, result.stderr[-3000:]
    store = Warehouse(tmp_path)
    store.write_table("partial", "vocabulary", pa.table({"code": ["x"]}), parquet=False)
    store.publish("partial")
    assert published_tag(tmp_path) == "full"  # Parquet files and database tables both carried over
    assert store.current_version().name == "partial"
    assert row_counts(tmp_path)["vocabulary"] == 1


# --- the publish lock (default run) --------------------------------------------------------------------------

HOLD_LOCK_SCRIPT = r"""
import sys
from pathlib import Path

from pipeline.warehouse import Warehouse

with Warehouse(Path(sys.argv[1])).lock():
    print("locked", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


def test_a_second_publisher_waits_for_the_lock_and_a_timeout_names_it(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK_SCRIPT, str(tmp_path)],
        cwd=REPOSITORY,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        store = Warehouse(tmp_path)
        with pytest.raises(WarehouseBusy) as busy, store.lock(timeout=0.5):
            pass
        message = str(busy.value)
        assert str(tmp_path / ".publish.lock") in message and f"pid {holder.pid}" in message, message

        acquired = threading.Event()

        def wait_for_lock() -> None:
            with store.lock(timeout=TIMEOUT):
                acquired.set()

        waiter = threading.Thread(target=wait_for_lock)
        waiter.start()
        assert not acquired.wait(1.0), "the lock was taken while another process held it"
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
        waiter.join(timeout=60)
        assert acquired.is_set(), "a waiting publisher did not get the lock once it was free"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_stale_staging_is_removed_only_when_its_run_is_gone(tmp_path):
    store = Warehouse(tmp_path)
    alive = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom pathlib import Path\nfrom pipeline.warehouse import Warehouse\n"
            "Warehouse(Path(sys.argv[1])).staged_database('alive')\nprint('claimed', flush=True)\nsys.stdin.read()\n",
            str(tmp_path),
        ],
        cwd=REPOSITORY,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert alive.stdout.readline().strip() == "claimed"
        dead = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys\nfrom pathlib import Path\nfrom pipeline.warehouse import Warehouse\n"
                "Warehouse(Path(sys.argv[1])).staged_database('dead')\n",
                str(tmp_path),
            ],
            cwd=REPOSITORY,
            timeout=TIMEOUT,
        )
        assert dead.returncode == 0
        (tmp_path / ".staging" / "unclaimed").mkdir()  # a run between creating its folder and claiming it
        store.remove_stale_staging()
        assert staging_folders(tmp_path) == {"alive", "unclaimed"}
        alive.stdin.close()
        assert alive.wait(timeout=60) == 0
        store.remove_stale_staging()
        assert staging_folders(tmp_path) == {"unclaimed"}
        store.remove_stale_staging(older_than_seconds=0)
        assert staging_folders(tmp_path) == set()
    finally:
        if alive.poll() is None:
            alive.kill()
            alive.wait()


# --- readers in other processes (default run) ----------------------------------------------------------------

READER_SCRIPT = r"""
import json, os, sys, time

import duckdb

database, stop = sys.argv[1], sys.argv[2]


def counts(connection):
    return connection.sql(
        "SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM facts), (SELECT count(*) FROM check_results)"
    ).fetchall()[0]


held = duckdb.connect(database, read_only=True)
print(json.dumps({"ready": counts(held)}), flush=True)
while not os.path.exists(stop):
    try:
        print(json.dumps({"at": time.time(), "held": counts(held)}), flush=True)
    except Exception as err:
        print(json.dumps({"at": time.time(), "error": repr(err)}), flush=True)
    time.sleep(0.1)
second = duckdb.connect(database, read_only=True)
print(json.dumps({"second_while_held": counts(second)}), flush=True)
second.close()
held.close()
fresh = duckdb.connect(database, read_only=True)
print(json.dumps({"fresh": counts(fresh)}), flush=True)
"""


class Reader:
    """A read-only DuckDB connection held in another process, queried ten times a second."""

    def __init__(self, database: Path, stop: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", READER_SCRIPT, str(database), str(stop)],
            cwd=REPOSITORY,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.records: list[dict] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.records.append(json.loads(line))

    def wait_for(self, condition: Callable[[list[dict]], bool], timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not condition(list(self.records)):
            assert self.process.poll() is None or condition(list(self.records)), self.process.stderr.read()
            assert time.monotonic() < deadline, "reader timed out"
            time.sleep(0.02)


def test_readers_in_other_processes_keep_their_snapshot_and_never_block_a_refresh(tmp_path, raw, reference):
    warehouse_dir = tmp_path / "warehouse"
    in_process_build(SAMPLES, warehouse_dir)
    old = row_counts(warehouse_dir)
    old_counts = [old["reports"], old["facts"], old["check_results"]]
    stop = tmp_path / "stop"
    readers = [Reader(warehouse_dir / DATABASE_FILE, stop) for _ in range(3)]
    try:
        for reader in readers:
            reader.wait_for(lambda records: any("ready" in r for r in records))
        refresh_started = time.time()
        refresh = cli_build(raw["a"], warehouse_dir)  # fails if a reader's file lock got in the way
        refresh_ended = time.time()
        for reader in readers:  # every reader answers again after the refresh, from its old snapshot
            reader.wait_for(lambda records: any(r.get("at", 0) > refresh_ended for r in records))
        stop.touch()
        for reader in readers:
            assert reader.process.wait(timeout=60) == 0, reader.process.stderr.read()
            reader._thread.join(timeout=60)
    finally:
        stop.touch()
        for reader in readers:
            if reader.process.poll() is None:
                reader.process.kill()
                reader.process.wait()

    new = row_counts(warehouse_dir)
    new_counts = [new["reports"], new["facts"], new["check_results"]]
    assert new_counts != old_counts
    assert table_digests(warehouse_dir) == reference(raw["a"])
    for reader in readers:
        answers = [r for r in reader.records if "held" in r or "error" in r]
        assert [r for r in answers if "error" in r] == []
        assert {tuple(r["held"]) for r in answers} == {tuple(old_counts)}
        assert any(refresh_started < r["at"] < refresh_ended for r in answers), "no query during the refresh"
        assert any(r["at"] > refresh_ended for r in answers), "no query after the refresh"
        assert [r["fresh"] for r in reader.records if "fresh" in r] == [new_counts]
        # DuckDB keeps one database instance per file and process, and the published name now resolves to
        # another file: a second connect() in a process still holding the old build sees the new one
        assert [r["second_while_held"] for r in reader.records if "second_while_held" in r] == [new_counts]
    print(f"refresh with 3 readers: {refresh.seconds:.1f} s, {sum(len(r.records) for r in readers)} answers")


# --- twelve kills across the phases (slow) -------------------------------------------------------------------

KILL_PLAN = [
    "parsing",
    "parquet",
    "duckdb",
    "publish",
    "random",
    "parsing",
    "parquet",
    "duckdb",
    "publish",
    "random in job",
    "random",
    "random in job",
]


STAGED_PARQUET = tuple(parquet_name(name) for name in PARQUET_TABLES)


class StagingWatch:
    """The staging folder of one build: the folder that appears in `.staging` after the build started."""

    def __init__(self, warehouse_dir: Path) -> None:
        self.warehouse_dir = warehouse_dir
        self.known = staging_folders(warehouse_dir)
        self.found: Path | None = None

    def folder(self) -> Path | None:
        if self.found is None:
            self.found = new_staging_folder(self.warehouse_dir, self.known)
        return self.found

    def holds(self, *names: str) -> bool:
        folder = self.folder()
        return folder is not None and all((folder / name).exists() for name in names)


def published_inodes(folder: Path) -> dict[str, int]:
    """Cheap to poll: the inode behind each published name changes when a build is swapped in."""
    inodes = {}
    for name in PUBLISHED:
        with contextlib.suppress(OSError):
            inodes[name] = (folder / name).stat().st_ino
    return inodes


def wait_for_phase(build: Build, plan: str, watch: StagingWatch, rng: random.Random, timing: dict) -> None:
    """Return at the moment the plan names; the caller kills the build then."""
    if plan == "parsing":
        build.wait_until(lambda: build.saw(" - raw_report_files - ") and watch.folder() is not None)
        time.sleep(rng.uniform(0, 0.2))  # early in parsing, which takes a second or more
    elif plan == "parquet":
        build.wait_until(lambda: watch.holds("facts"))  # polled every millisecond
    elif plan == "duckdb":
        build.wait_until(lambda: watch.holds(*STAGED_PARQUET))
        time.sleep(rng.uniform(0, 0.2))  # DuckDB tables, vocabulary, checks, SQL models: about a second here
    elif plan == "publish":
        build.wait_until(lambda: watch.holds(*STAGED_PARQUET))
        staged, inodes = watch.folder(), published_inodes(watch.warehouse_dir)
        assert staged is not None
        build.wait_until(lambda: not staged.exists() or published_inodes(watch.warehouse_dir) != inodes, poll=0.0002)
    elif plan == "random in job":  # a moment of the job itself, once Dagster is up and the run has a folder
        build.wait_until(lambda: watch.folder() is not None)
        delay = build.seconds + rng.uniform(0, 0.9 * timing["job"])
        build.wait_until(lambda: build.seconds > delay)
    else:  # any moment of the process, start-up included
        delay = rng.uniform(0, 0.9 * timing["build"])

        def delay_passed() -> bool:
            watch.folder()
            return build.seconds > delay

        build.wait_until(delay_passed)


def assert_clean_after_a_build(warehouse_dir: Path, published: set[str] = PUBLISHED) -> None:
    """What a successful build leaves: the published build and the one before it, nothing else."""
    assert set(visible_state(warehouse_dir)) == published
    assert staging_folders(warehouse_dir) == set(), "a killed run's staging folder was not cleaned up"
    versions = sorted(path.name for path in (warehouse_dir / ".versions").iterdir())
    assert len(versions) <= 2, versions
    assert Warehouse(warehouse_dir).current_version().name in versions


@pytest.mark.slow
def test_builds_killed_in_every_phase_never_damage_the_warehouse(tmp_path, raw, reference):
    rng = random.Random(20261122)
    warehouse_dir = tmp_path / "warehouse"
    expected = {name: reference(folder) for name, folder in raw.items()}  # now, not while a build waits for its kill
    watch = StagingWatch(warehouse_dir)  # before the build starts, so its folder is the new one
    first = Build(raw["b"], warehouse_dir)
    assert first.wait_until(lambda: watch.folder() is not None)
    staged_after = first.seconds
    assert first.finish() == 0, first.stderr[-3000:]
    assert table_digests(warehouse_dir) == expected["b"]
    timing = {"build": first.seconds, "job": first.seconds - staged_after}
    published, survived = "b", []
    started = time.monotonic()
    for attempt, plan in enumerate(KILL_PLAN, start=1):
        target = "a" if published == "b" else "b"
        before, counts = visible_state(warehouse_dir), row_counts(warehouse_dir)
        for _ in range(5):  # a random moment may fall after the build's end: then draw again
            watch = StagingWatch(warehouse_dir)
            build = Build(raw[target], warehouse_dir)
            wait_for_phase(build, plan, watch, rng, timing)
            if build.process.poll() is None:
                break
            assert plan.startswith("random") and build.finish() == 0, build.stderr[-3000:]
            assert table_digests(warehouse_dir) == expected[target]
            before, counts, published = visible_state(warehouse_dir), row_counts(warehouse_dir), target
            target = "a" if published == "b" else "b"
        phase = kill_and_check(build, warehouse_dir, watch.folder(), before, counts, expected[target])
        leftovers = hidden_leftovers(warehouse_dir)

        rerun = cli_build(raw[target], warehouse_dir)
        assert table_digests(warehouse_dir) == expected[target], f"after a kill during {phase}"
        assert_parquet_matches_database(warehouse_dir)
        assert_clean_after_a_build(warehouse_dir)
        published = target
        survived.append(phase)
        print(
            f"kill {attempt:2d} ({plan}): died during {phase} after {build.killed_after:.1f} s; "
            f"left behind {leftovers}; next build {rerun.seconds:.1f} s"
        )
    print(f"{len(survived)} kills in {time.monotonic() - started:.0f} s, by phase: {dict(Counter(survived))}; {timing}")
    assert len(survived) == len(KILL_PLAN)
    assert {"parsing", "duckdb build"} <= set(survived)
    assert any(phase.startswith("publish") for phase in survived)
    assert any(phase.startswith("parquet write") for phase in survived)


# --- two builds at once (slow) -------------------------------------------------------------------------------


@pytest.mark.slow
def test_two_builds_at_once_both_end_with_a_consistent_warehouse(tmp_path, raw, reference):
    warehouse_dir = tmp_path / "warehouse"
    in_process_build(SAMPLES, warehouse_dir)
    builds = {name: Build(raw[name], warehouse_dir) for name in ("a", "b")}
    results = {name: build.finish() for name, build in builds.items()}
    for name, returncode in results.items():
        stderr = builds[name].stderr
        assert returncode == 0 or ".publish.lock" in stderr, f"build {name} failed without naming the lock:\n{stderr}"
    assert 0 in results.values()
    digests = table_digests(warehouse_dir)
    assert digests in (reference(raw["a"]), reference(raw["b"]))
    assert_parquet_matches_database(warehouse_dir)
    assert_clean_after_a_build(warehouse_dir)
    winner = "a" if digests == reference(raw["a"]) else "b"
    print(f"two builds at once: exit codes {results}, {builds['a'].seconds:.1f} s; published: {winner}")


@pytest.mark.slow
def test_two_builds_meeting_at_the_publish_lock_both_publish_one_after_the_other(tmp_path, raw, reference):
    warehouse_dir = tmp_path / "warehouse"
    in_process_build(SAMPLES, warehouse_dir)
    holder = subprocess.Popen(  # holds the lock until both builds wait for it, so they meet there for sure
        [sys.executable, "-c", HOLD_LOCK_SCRIPT, str(warehouse_dir)],
        cwd=REPOSITORY,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = visible_state(warehouse_dir)
        builds = {name: Build(raw[name], warehouse_dir) for name in ("a", "b")}
        for build in builds.values():
            assert build.wait_until(lambda build=build: build.saw("waiting for the publish lock")), build.stderr
        assert visible_state(warehouse_dir) == before  # nothing was published while the lock was held
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
        results = {name: build.finish() for name, build in builds.items()}
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert results == {"a": 0, "b": 0}, {name: build.stderr[-2000:] for name, build in builds.items()}
    assert table_digests(warehouse_dir) in (reference(raw["a"]), reference(raw["b"]))
    assert_parquet_matches_database(warehouse_dir)
    assert_clean_after_a_build(warehouse_dir)
    waited = [line for line in builds["a"].lines if "waiting for the publish lock" in line]
    print(f"both builds waited at the lock, then published: {waited[0]}")


# --- the Dagster UI alongside (slow) -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening_sockets(pids: list[int]) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket the processes listen on, from /proc (what `ss -ltnp` shows)."""
    inodes = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state != "0A" or inode not in inodes:  # 0A: LISTEN
                    continue
                address, port = local.split(":")
                raw_address = bytes.fromhex(address)
                if width == 8:
                    text = socket.inet_ntop(socket.AF_INET, raw_address[::-1])
                else:
                    words = b"".join(raw_address[i : i + 4][::-1] for i in range(0, 16, 4))
                    text = socket.inet_ntop(socket.AF_INET6, words)
                found.append((text, int(port, 16)))
    return found


def open_files_under(pids: list[int], folder: Path) -> list[str]:
    prefix = str(folder.resolve())
    opened = []
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith(prefix):
                        opened.append(f"pid {pid}: {target}")
    return opened


@pytest.mark.slow
def test_the_dagster_ui_runs_beside_a_cli_build_and_listens_on_localhost_only(tmp_path, raw, reference):
    warehouse_dir = tmp_path / "warehouse"
    in_process_build(SAMPLES, warehouse_dir)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPOSITORY / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {
        **build_env(),
        "DAGSTER_HOME": str(home),
        "PIPELINE_RAW_DIR": str(raw["a"]),
        "PIPELINE_WAREHOUSE_DIR": str(warehouse_dir),
    }
    log = (tmp_path / "dagster-dev.log").open("w")
    dagster = Path(sys.executable).with_name("dagster")
    started = time.monotonic()
    ui = subprocess.Popen(
        [str(dagster), "dev", "-m", "pipeline.definitions", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPOSITORY,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            assert ui.poll() is None, (tmp_path / "dagster-dev.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the UI did not answer /server_info"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
                    if response.status == 200:
                        json.loads(response.read())
                        break
            except OSError:
                time.sleep(0.5)
        ui_seconds = time.monotonic() - started
        members = session_members(ui.pid)
        listening = listening_sockets(members)
        assert ("127.0.0.1", port) in listening, listening
        assert all(address in ("127.0.0.1", "::1") for address, _ in listening), listening
        assert open_files_under(members, warehouse_dir) == []

        build = cli_build(raw["a"], warehouse_dir)  # the code server must not hold the database
        assert table_digests(warehouse_dir) == reference(raw["a"])
        assert open_files_under(session_members(ui.pid), warehouse_dir) == []
    finally:
        stopped_cleanly = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(ui.pid, signal.SIGTERM)
        try:
            ui.wait(timeout=120)
        except subprocess.TimeoutExpired:
            stopped_cleanly = False
            os.killpg(ui.pid, signal.SIGKILL)
            ui.wait()
        log.close()
    assert stopped_cleanly, "dagster dev ignored SIGTERM for two minutes"
    deadline = time.monotonic() + 120
    while session_members(ui.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert session_members(ui.pid) == [], "a process of the UI outlived it"
    print(
        f"UI up in {ui_seconds:.1f} s, listening on {listening}; CLI build beside it {build.seconds:.1f} s; "
        f"stopped by SIGTERM with exit code {ui.returncode}"
    )


def test_a_build_with_nothing_to_do_removes_what_a_publish_killed_before_tidying_left(tmp_path):
    """Three version folders: a publish was killed after its switch. The published one and the one its database
    was copied from stay; the older one goes."""
    store = Warehouse(tmp_path / "warehouse")
    versions = store.directory / Warehouse.VERSIONS
    for name in ("oldest", "previous", "published"):
        (versions / name).mkdir(parents=True)
        (versions / name / DATABASE_FILE).write_bytes(b"")
    (versions / "published" / ".base-state.json").write_text(json.dumps({"run_id": "previous"}), encoding="utf-8")
    os.utime(versions / "oldest", ns=(time.time_ns(), time.time_ns()))  # newest by time: the base state decides
    os.symlink(f"{Warehouse.VERSIONS}/published", store.directory / Warehouse.CURRENT)
    assert store.remove_old_versions() == [versions / "oldest"]
    assert sorted(path.name for path in versions.iterdir()) == ["previous", "published"]
    assert store.remove_old_versions() == []
