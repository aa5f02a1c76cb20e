"""Values follow labels, never positions: reordered, wrapped, padded and broken tables."""

from dataclasses import replace

from pipeline.checks import run_checks
from pipeline.decode import decode_bytes
from pipeline.extract.values import parse_value
from pipeline.facts import ParsedReport
from pipeline.parse import parse_bytes

COLUMNS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]


def dump(rows: list[list[str]], header: list[list[str]] | None = None, title: str = "") -> str:
    """A Word-to-text dump: one tab-indented cell per line, rows separated by blank lines."""
    header = header or [["", "自然人", "法人或其他组织", "总计"], ["", "", *COLUMNS[1:6], ""]]
    lines = [
        title or "某某区某某局\n2022年政府信息公开工作年度报告",
        "",
        "三、收到和处理政府信息公开申请情况",
    ]
    for row in [*header, *rows]:
        lines.extend("\t" + cell for cell in row)
        lines.append("")
    return "\n".join(lines) + "\n"


def parse_text(text: str) -> ParsedReport:
    return parse_bytes(text.encode("utf-8"), ParsedReport(file="test.txt"))


def cells(report: ParsedReport) -> dict:
    return {(f.category, f.applicant_type): f.value for f in report.facts if f.section == "applications"}


def test_columns_follow_the_printed_header_not_the_template_order():
    header = [
        ["", "总计", "法人或其他组织", "自然人"],
        ["", "", "其他", "法律服务机构", "社会公益组织", "科研机构", "商业企业", ""],
    ]
    report = parse_text(dump([["一、本年新收政府信息公开申请数量", "28", "6", "5", "4", "3", "2", "8"]], header))
    got = cells(report)
    assert got[("new_received", "total")] == 28
    assert got[("new_received", "org_other")] == 6
    assert got[("new_received", "org_commercial")] == 2
    assert got[("new_received", "natural_person")] == 8


def test_rows_follow_their_labels_whatever_their_order():
    rows = [
        ["二、上年结转政府信息公开申请数量", "1", "0", "0", "0", "0", "0", "1"],
        ["一、本年新收政府信息公开申请数量", "5", "0", "0", "0", "0", "0", "5"],
    ]
    got = cells(parse_text(dump(rows)))
    assert got[("new_received", "total")] == 5
    assert got[("carried_over", "total")] == 1


def test_wrapped_labels_and_extra_blank_lines_change_nothing():
    plain = dump([["三、本年度办理结果", "（三）不予公开", "1.属于国家秘密", "1", "0", "0", "0", "0", "0", "1"]])
    wrapped = plain.replace("\t（三）不予公开", "\t（三）不予\n\n公开").replace("\n\n\t", "\n\n\n\n\t")
    assert (
        cells(parse_text(wrapped))
        == cells(parse_text(plain))
        == {
            ("denied_state_secret", column): value
            for column, value in zip(
                [
                    "natural_person",
                    "org_commercial",
                    "org_research",
                    "org_social",
                    "org_legal_service",
                    "org_other",
                    "total",
                ],
                [1, 0, 0, 0, 0, 0, 1],
                strict=True,
            )
        }
    )


def test_a_row_with_a_missing_cell_is_reported_not_shifted():
    rows = [
        ["一、本年新收政府信息公开申请数量", "5", "0", "0", "0", "0", "5"],  # six cells for seven columns
        ["二、上年结转政府信息公开申请数量", "1", "0", "0", "0", "0", "0", "1"],
    ]
    report = parse_text(dump(rows))
    assert ("new_received", "natural_person") not in cells(report)
    assert cells(report)[("carried_over", "total")] == 1
    assert report.status == "partial"
    assert any("new_received has 6 value cells for 7 columns" in e and "line 19" in e for e in report.errors)


def test_unknown_row_labels_and_repeated_rows_are_errors():
    rows = [
        ["一、本年新收政府信息公开申请数量", "5", "0", "0", "0", "0", "0", "5"],
        ["一、本年新收政府信息公开申请数量", "9", "0", "0", "0", "0", "0", "9"],
        ["某种从未见过的行", "1", "0", "0", "0", "0", "0", "1"],
    ]
    report = parse_text(dump(rows))
    assert cells(report)[("new_received", "total")] == 5
    assert any("new_received appears again" in e for e in report.errors)
    assert any("row label not recognised: 某种从未见过的行" in e for e in report.errors)


def test_blank_and_placeholder_cells_keep_their_status():
    report = parse_text(dump([["一、本年新收政府信息公开申请数量", "3", "", "-", "无", "0", "0", "3"]]))
    facts = {f.applicant_type: f for f in report.facts}
    assert (facts["org_commercial"].value, facts["org_commercial"].value_status) == (None, "blank")
    assert (facts["org_research"].value, facts["org_research"].value_status) == (None, "placeholder")
    assert (facts["org_social"].raw, facts["org_social"].value_status) == ("无", "placeholder")


def test_2021_subtotal_row_of_other_processing_is_kept_out_of_sums():
    rows = [
        ["（六）其他处理", "2", "0", "0", "0", "0", "0", "2"],
        [
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            "2",
            "0",
            "0",
            "0",
            "0",
            "0",
            "2",
        ],
    ]
    got = cells(parse_text(dump(rows)))
    assert got[("other_subtotal", "total")] == 2
    assert got[("other_no_correction", "total")] == 2
    assert ("other_total", "total") not in got


def test_checks_flag_broken_arithmetic_and_keep_the_printed_value(sample_lines):
    lines = sample_lines("000_4c23b5825c9f94d7")
    assert lines[335] == "\t4"  # （七）总计, 自然人 (line 336)
    lines[335] = "\t5"
    report = parse_bytes("\n".join(lines).encode(), ParsedReport(file="000-edited.txt"))
    failed = {(c.name, c.column or c.category) for c in report.checks if not c.ok}
    assert failed == {
        ("intake_balance", "natural_person"),
        ("outcome_sum", "natural_person"),
        ("applicant_sum", "processed_total"),
    }
    balance = next(c for c in report.checks if c.name == "intake_balance" and c.column == "natural_person")
    assert (balance.actual, balance.expected) == (4, 5)
    assert "4 vs 5" in balance.detail
    value = next(f for f in report.facts if (f.category, f.applicant_type) == ("processed_total", "natural_person"))
    assert (value.value, value.line) == (5, 336)


def test_blank_cells_count_as_zero_in_checks_and_are_named():
    facts = parse_text(
        dump(
            [
                ["一、本年新收政府信息公开申请数量", "3", "", "0", "0", "0", "0", "3"],
            ]
        )
    ).facts
    check = next(c for c in run_checks(facts) if c.name == "applicant_sum")
    assert check.ok
    assert "new_received/org_commercial blank (line 21) counted as 0" in check.detail
    text_cell = [
        replace(f, raw="约3", value=None, value_status=parse_value("约3").status) if f.applicant_type == "total" else f
        for f in facts
    ]
    check = next(c for c in run_checks(text_cell) if c.name == "applicant_sum")
    assert not check.ok and "'约3'" in check.detail


def test_review_litigation_header_order_is_read_not_assumed():
    header_then_values = [
        ["行政诉讼", "行政复议"],
        ["未经复议直接起诉", "复议后起诉", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"],
        [
            "结果维持",
            "结果纠正",
            "其他结果",
            "尚未审结",
            "总计",
            "结果维持",
            "结果纠正",
            "其他结果",
            "尚未审结",
            "总计",
        ],
        [str(n) for n in range(1, 16)],
    ]
    text = "某局\n2022年政府信息公开工作年度报告\n\n四、政府信息公开行政复议、行政诉讼情况\n"
    text += "".join("".join(f"\t{c}\n" for c in row) + "\n" for row in header_then_values)
    report = parse_text(text)
    got = {(f.category, f.metric): f.value for f in report.facts}
    # blocks in printed order: 未经复议直接起诉 (1-5), 复议后起诉 (6-10), then 行政复议 (11-15)
    assert got[("litigation_direct", "upheld")] == 1
    assert got[("litigation_after_reconsideration", "total")] == 10
    assert got[("reconsideration", "upheld")] == 11


def test_decoded_gb18030_sample_gives_the_same_facts(sample_lines):
    text = "\n".join(sample_lines("001_9fc1484a19f47851"))
    utf8 = parse_bytes(text.encode("utf-8"), ParsedReport(file="a"))
    gb = parse_bytes(text.encode("gb18030"), ParsedReport(file="b"))
    assert decode_bytes(text.encode("gb18030")).encoding == "gb18030"
    assert gb.facts == utf8.facts and gb.status == "ok"
