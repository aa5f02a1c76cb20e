"""The README's query examples: Markdown -> the commands it shows, and their outputs as printed.

In: README text. An example is a ```sh block holding one `python -m pipeline query …` command (the SQL may
span lines inside its quotes), followed by a ```text block with what the command prints. Out: the examples,
and the README with every example's output replaced by what the command prints now
(`python -m pipeline docs --readme`); tests/test_readme_examples.py runs them on a fresh build of data/raw.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

_EXAMPLE = re.compile(
    r"^```sh\n(?P<command>(?:\.venv/bin/)?python -m pipeline query (?:(?!```).)*?)\n```\n\s*"
    r"^```text\n(?P<output>(?:(?!```).)*?)^```$",
    re.DOTALL | re.MULTILINE,
)


@dataclass(frozen=True)
class Example:
    command: str  # as shown
    output: str  # as shown, ending in a newline
    output_span: tuple[int, int]  # where the output stands in the README text

    @property
    def arguments(self) -> list[str]:
        """The command's arguments after `python -m pipeline`, as a shell would split them."""
        words = shlex.split(self.command)
        return words[words.index("pipeline") + 1 :]


def find_examples(markdown: str) -> list[Example]:
    return [Example(match["command"], match["output"], match.span("output")) for match in _EXAMPLE.finditer(markdown)]


def run_example(example: Example, warehouse_dir: Path) -> str:
    """What the example's command prints on stdout, run on the given warehouse."""
    from pipeline.cli import main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main([*example.arguments, "--warehouse", str(warehouse_dir)])
    if status != 0:
        raise RuntimeError(f"exit status {status}: {example.command}")
    return printed.getvalue()


def refresh_examples(markdown: str, run: Callable[[Example], str]) -> str:
    """The README with each example's output block replaced by what `run` returns for it."""
    pieces, last = [], 0
    for example in find_examples(markdown):
        start, end = example.output_span
        pieces += [markdown[last:start], run(example)]
        last = end
    return "".join([*pieces, markdown[last:]])
