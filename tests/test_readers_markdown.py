"""PDF-to-Markdown: pipe tables torn apart, labels away from their values, page numbers inside tables."""

from conftest import CORPUS, fact_cells, gold, gold_cells

from pipeline.document import Paragraph, Table
from pipeline.facts import ParsedReport
from pipeline.parse import parse_bytes, parse_file
from pipeline.readers import sniff_format
from pipeline.readers.markdown import read_markdown

KEWEI = CORPUS / "raw" / "008_shanghai_kewei_2024.md"


def test_markdown_is_recognised_by_content():
    assert sniff_format(KEWEI.read_text(encoding="utf-8")) == "markdown"


def test_pipe_rows_rules_page_numbers_and_text_rows():
    lines = [
        "二、主动公开政府信息情况",
        "信息内容本年处理决定数量",
        "行政许可 97",
        "| a | 1 |",
        "|---|---|",
        "— 4 —",
        "| b | 2 |",
        "正文一段。",
    ]
    blocks = read_markdown(lines).blocks
    assert [type(b).__name__ for b in blocks] == ["Paragraph", "Table", "Table", "Table", "Table", "Paragraph"]
    assert [c.text for c in blocks[2].rows[0].cells] == ["行政许可", "97"]
    assert [[c.text for c in row.cells] for row in blocks[3].rows] == [["a", "1"]]
    assert blocks[4].rows[0].cells[0].line == 7
    assert isinstance(blocks[0], Paragraph) and isinstance(blocks[1], Table)


def test_kewei_2024_reaches_every_gold_cell_and_flags_what_it_inferred():
    want = gold("008_shanghai_kewei_2024")
    report = parse_file(KEWEI)
    cells = fact_cells(report)
    assert (report.year, report.template) == (want["year"], want["template"])
    assert {key: cells[key].value for key in gold_cells(want)} == gold_cells(want)
    # the empty carried-forward total is blank, not zero, and the balance of that column fails
    blank = cells[("applications", "carried_forward", "total", "count")]
    assert (blank.value, blank.value_status, blank.line) == (None, "blank", 178)
    failed = {(c.name, c.column) for c in report.checks if not c.ok}
    assert ("intake_balance", "total") in failed
    balance = next(c for c in report.checks if (c.name, c.column) == ("intake_balance", "total"))
    assert "36 vs 35" in balance.detail and "carried_forward/total blank (line 178)" in balance.detail
    # inferences are said, not hidden
    assert report.status == "partial"
    assert any("row partial has no printed label; placed by template order" in e for e in report.errors)
    assert any("column header not recognised" in e for e in report.errors)
    # table 2 rows rendered as text lines and as a pipe table both arrive
    assert cells[("proactive", "licensing", None, "decisions")].value == 97
    assert cells[("proactive", "normative_doc", None, "in_force")].value == 55


def test_unlabelled_rows_are_placed_only_when_the_count_fits():
    def report(rows: list[str]) -> ParsedReport:
        text = "\n".join(
            [
                "某局2022年政府信息公开工作年度报告",
                "三、收到和处理政府信息公开申请情况",
                "| | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |",
                "|---|---|---|---|---|---|---|---|",
                *rows,
            ]
        )
        return parse_bytes(text.encode(), ParsedReport(file="t.md"))

    one_gap = report(
        [
            "| （一）予以公开 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |",
            "| 2 | 0 | 0 | 0 | 0 | 0 | 2 |",
            "| 1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
        ]
    )
    partial = [f.value for f in one_gap.facts if f.category == "partial"]
    assert partial == [2, 0, 0, 0, 0, 0, 2]

    two_rows_one_slot = report(
        [
            "| （一）予以公开 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |",
            "| 2 | 0 | 0 | 0 | 0 | 0 | 2 |",
            "| 3 | 0 | 0 | 0 | 0 | 0 | 3 |",
            "| 1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
        ]
    )
    assert not [f for f in two_rows_one_slot.facts if f.category == "partial"]
    assert any("2 value rows have no label and cannot be placed" in e for e in two_rows_one_slot.errors)
