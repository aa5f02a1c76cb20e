"""The README's query examples print what the README shows, on a fresh build of the bundled data (data/raw)."""

import pytest
from built_warehouse import BUNDLED_DATA, built_once

from pipeline.examples import README, Example, find_examples, refresh_examples, run_example

EXAMPLES = find_examples(README.read_text(encoding="utf-8"))

MARKDOWN = """Intro.

```sh
.venv/bin/python -m pipeline query "
SELECT 'a b' AS x"
```
```text
old output
```

```sh
.venv/bin/python -m pipeline query "SELECT 1" --max-rows 5
```

Text between: not an example.

```text
not an output
```

```sh
python -m pipeline query "SELECT \\"column\\" FROM t"
```

```text
```
"""


def test_examples_are_a_query_command_followed_by_its_output():
    examples = find_examples(MARKDOWN)
    assert [(example.arguments, example.output) for example in examples] == [
        (["query", "\nSELECT 'a b' AS x"], "old output\n"),
        (["query", 'SELECT "column" FROM t'], ""),
    ]


def test_refreshing_replaces_only_the_outputs():
    refreshed = refresh_examples(MARKDOWN, lambda example: f"{len(example.arguments[1])} characters\n")
    assert refreshed == MARKDOWN.replace("old output\n", "18 characters\n").replace(
        "```text\n```\n", "```text\n22 characters\n```\n"
    )
    assert find_examples(refreshed)[1].output == "22 characters\n"


def test_the_readme_has_examples_for_the_questions_analysts_ask():
    assert len(EXAMPLES) >= 8
    assert all(example.command.startswith(".venv/bin/python -m pipeline query ") for example in EXAMPLES)


@pytest.fixture(scope="module")
def warehouse_dir(tmp_path_factory):
    return built_once(BUNDLED_DATA, tmp_path_factory)


def _name(example: Example) -> str:
    return " ".join(example.arguments[1].split())[:60]


@pytest.mark.parametrize("example", EXAMPLES, ids=_name)
def test_the_example_prints_what_the_readme_shows(example, warehouse_dir):
    assert run_example(example, warehouse_dir) == example.output, (
        "the README shows another output: ./dev build && .venv/bin/python -m pipeline docs --readme"
    )
