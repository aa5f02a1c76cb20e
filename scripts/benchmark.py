"""Benchmark: parser throughput and a full warehouse build. Prints figures; asserts nothing.

    ./dev bench [--copies N]

Parses the test corpus N times over (default 20) in one process, then builds the warehouse from the
bundled samples in a temporary folder through the Dagster job, and prints wall-clock figures.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from pipeline.parse import parse_file

REPOSITORY = Path(__file__).resolve().parent.parent
CORPUS = REPOSITORY / "tests" / "corpus" / "raw"
SAMPLES = REPOSITORY / "data" / "raw"


def bench_parse(copies: int) -> None:
    files = sorted(p for p in CORPUS.iterdir() if p.is_file())
    size = sum(p.stat().st_size for p in files) * copies
    facts = 0
    started = time.perf_counter()
    for _ in range(copies):
        for path in files:
            facts += len(parse_file(path).facts)
    seconds = time.perf_counter() - started
    count = len(files) * copies
    print(
        f"parse: {count} files, {size / 1e6:.1f} MB, {facts} facts in {seconds:.2f} s "
        f"= {count / seconds:.0f} files/s, {size / 1e6 / seconds:.2f} MB/s"
    )


def bench_build() -> None:
    import dagster as dg

    from pipeline.definitions import JOB_NAME, build_definitions

    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "raw"
        shutil.copytree(SAMPLES, raw)
        started = time.perf_counter()
        defs = build_definitions(raw, Path(folder) / "warehouse")
        result = defs.resolve_job_def(JOB_NAME).execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        seconds = time.perf_counter() - started
    print(f"build: {len(list(SAMPLES.iterdir()))} sample files, success={result.success}, {seconds:.2f} s end to end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()
    bench_parse(args.copies)
    bench_build()


if __name__ == "__main__":
    main()
