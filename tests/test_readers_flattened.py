"""Crawled pages flattened to text: tables found by their labels, run-together digits split only when certain."""

import pytest
from conftest import CORPUS, GOLD_BLOCKS, GOLD_COLUMNS, GOLD_RESULTS, fact_cells, gold, gold_cells

from pipeline.decode import decode_bytes
from pipeline.document import Paragraph
from pipeline.facts import ParsedReport
from pipeline.parse import parse_bytes, parse_file
from pipeline.readers import read_document, sniff_format
from pipeline.readers.flattened import (
    MAX_SPLITS,
    TableConstraint,
    applicant_sum,
    block_sums,
    candidate_splits,
    read_flattened,
    resolve_jointly,
    split_reason,
)

PINGTAN = ["001_pingtan_2019", "003_pingtan_2021", "005_pingtan_2023", "007_pingtan_2025"]
LEGACY = sorted(p.stem for p in (CORPUS / "raw").glob("L*.txt"))


# Synthetic pages: a crawler header, then one long line of prose and tables run together.
PROSE = "本报告根据条例编制，所列数据的统计期限自2021年1月1日起至2021年12月31日止。" * 12  # over sniff's 400 chars
T3_HEADER = "申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
T4_HEADER = (
    "行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉"
    + "结果维持结果纠正其他结果尚未审结总计" * 2
)


def page(*body_lines: str) -> str:
    return "\n".join(["标题: 某某区某某局2021年度政府信息公开工作年度报告", "==== 正文 ====", *body_lines]) + "\n"


def parse_text(text: str) -> ParsedReport:
    return parse_bytes(text.encode("utf-8"), ParsedReport(file="page.txt"))


# --- The corpus ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parsed():
    return {stem: parse_file(CORPUS / "raw" / f"{stem}.txt") for stem in PINGTAN + LEGACY}


@pytest.mark.parametrize("stem", PINGTAN)
def test_pingtan_reaches_every_gold_cell_of_tables_3_and_4(parsed, stem):
    report, want = parsed[stem], gold(stem)
    assert report.reader == "flattened"
    assert (report.year, report.template) == (want["year"], want["template"])
    cells = fact_cells(report)
    assert {key: cells[key].value for key in gold_cells(want)} == gold_cells(want)
    assert not [c for c in report.checks if not c.ok]  # the splits taken satisfy every sum


@pytest.mark.parametrize("stem", PINGTAN)
def test_pingtan_tables_come_as_cells_on_their_source_line(stem):
    source = decode_bytes((CORPUS / "raw" / f"{stem}.txt").read_bytes())
    document = read_flattened(source.lines, source.encoding)
    assert document.lines == tuple(source.lines)
    assert len(document.tables) == 3
    body_line = next(n for n, line in enumerate(source.lines, start=1) if len(line) > 400)
    for table in document.tables:
        for row in table.rows:
            assert {cell.line for cell in row.cells} == {body_line}
    # the crawler header is prose, one paragraph per line, and metadata is read from it
    assert document.paragraphs[0].line == 1 and document.paragraphs[0].text.startswith("标题")


def test_pingtan_2019_table_2_rows_that_no_sum_decides_stay_text(parsed):
    report = parsed["001_pingtan_2019"]
    facts = {(f.category, f.metric): f for f in report.facts if f.section == "proactive"}
    assert [facts[("regulation", m)].value for m in ("new_made", "new_published", "total_published")] == [0, 0, 0]
    normative = facts[("normative_doc", "new_made")]
    assert (normative.value, normative.value_status, normative.raw, normative.line) == (None, "text", "898989", 10)
    procurement = facts[("central_procurement", "procurement_amount")]
    assert (procurement.value_status, procurement.raw) == ("text", "13575394432.52元")  # the unit survives
    assert any(e.startswith("line 10: table 2 row 规范性文件: digits '898989' split") for e in report.errors)


@pytest.mark.parametrize("stem", LEGACY)
def test_legacy_files_are_read_as_prose_without_tables(parsed, stem):
    data = (CORPUS / "raw" / f"{stem}.txt").read_bytes()
    document = read_document(data)
    assert document.reader == "flattened"
    assert document.tables == [] and document.notes == ()
    source = decode_bytes(data)
    assert [p.line for p in document.paragraphs] == [n for n, line in enumerate(source.lines, 1) if line.strip()]
    report = parsed[stem]
    assert report.template == "legacy"
    assert not [f for f in report.facts if f.section in ("proactive", "applications", "review_litigation")]


@pytest.mark.parametrize("stem", PINGTAN + LEGACY)
def test_crawled_corpus_files_sniff_as_flattened(stem):
    assert sniff_format((CORPUS / "raw" / f"{stem}.txt").read_text(encoding="utf-8")) == "flattened"


# --- The split search ---------------------------------------------------------------------------------


def test_a_unique_split_is_found():
    search = candidate_splits("000", 3)
    assert (search.possible, search.options) == (1, (("0", "0", "0"),))
    assert split_reason(search, None) == ""


def test_an_ambiguous_split_is_refused_with_the_reason():
    search = candidate_splits("898989", 3)
    assert search.possible == 10 and len(search.options) == 10
    assert split_reason(search, None) == "digits '898989' split 10 ways into 3 cells; no constraint decides"


def test_spaces_are_certain_boundaries():
    assert candidate_splits("0 0 00 00 0", 7).options == (("0",) * 7,)
    rule = applicant_sum(GOLD_COLUMNS)
    assert candidate_splits("230 000023", 7, rule).kept == (("23", "0", "0", "0", "0", "0", "23"),)
    assert ("2", "30", "0", "0", "0", "0", "23") in candidate_splits("230 000023", 7).splits
    assert candidate_splits("230000023", 7).possible > candidate_splits("230 000023", 7).possible
    assert candidate_splits("2 3", 1).possible == 0  # a space is never inside a cell


def test_no_number_has_a_leading_zero():
    assert candidate_splits("05", 1).possible == 0
    assert candidate_splits("0023", 3).options == (("0", "0", "23"),)
    assert all(
        not cell.startswith("0") or cell == "0" for split in candidate_splits("10203", 3).splits for cell in split
    )


def test_decimals_and_units_stay_inside_one_cell():
    search = candidate_splits("13575394432.52元", 2)
    assert search.possible == len(search.splits) == 11
    assert all(split[-1].endswith("元") and not split[-1].startswith(".") for split in search.splits)
    assert candidate_splits("24252.311082", 1).options == (("24252.311082",),)
    assert candidate_splits("3 1200.5元", 2).options == (("3", "1200.5元"),)


def test_signed_numbers_are_cells():
    assert candidate_splits("0 +10 1536", 3).options == (("0", "+10", "1536"),)


def test_the_applicant_sum_picks_the_row_split():
    rule = applicant_sum(GOLD_COLUMNS)
    search = candidate_splits("640020470", 7, rule)
    assert search.possible > 1 and search.kept == (("64", "0", "0", "2", "0", "4", "70"),)
    assert split_reason(candidate_splits("11111111", 7, rule), "the sum") == (
        "digits '11111111' split 7 ways into 7 cells; none satisfies the sum"
    )
    only_way = candidate_splits("1111111", 7, rule)  # the one way the digits can be read, sums or not
    assert only_way.kept == () and only_way.options == (("1",) * 7,)


def test_the_block_sums_pick_the_table_4_split():
    layout = [(block, metric) for block in GOLD_BLOCKS for metric in GOLD_RESULTS]
    search = candidate_splits("25380363300630003", 15, block_sums(layout))
    assert search.possible > 1
    assert search.kept == (("25", "3", "8", "0", "36", "3", "3", "0", "0", "6", "3", "0", "0", "0", "3"),)


def test_the_search_is_bounded():
    search = candidate_splits("123456789" * 6, 7)
    assert search.possible > MAX_SPLITS and not search.searched and search.splits == ()
    assert split_reason(search, "the sum").endswith("too many to search")


def test_rows_ambiguous_alone_are_decided_by_the_table_only_when_exactly_one_choice_fits():
    a, b = ("11", "0"), ("1", "10")  # a row's two possible splits, two columns: part, total
    column_total = TableConstraint((0, 1, 2), lambda v: int(v[0][0]) + int(v[1][0]) == int(v[2][0]))
    decided, _ = resolve_jointly({0: [("5", "5")], 1: [("6", "6")], 2: [a, b]}, [column_total])
    assert decided == {2: a}
    decided, reason = resolve_jointly({0: [a, b], 1: [("0", "0")], 2: [a, b]}, [column_total])
    assert decided == {} and reason == "2 combinations of the ambiguous rows satisfy the column sums"
    decided, reason = resolve_jointly({0: [a, b], 2: [a, b]}, [column_total])  # row 1 unreadable: no rule
    assert decided == {} and reason == "no column sum involves these rows"


# --- Whole pages --------------------------------------------------------------------------------------


def applications_page(granted: str, total: str, new: str) -> str:
    return page(
        PROSE
        + "三、收到和处理政府信息公开申请情况"
        + T3_HEADER
        + f"一、本年新收政府信息公开申请数量{new}二、上年结转政府信息公开申请数量0000000"
        + f"三、本年度办理结果（一）予以公开{granted}"
        + "（二）部分公开（区分处理的，只计这一情形，不计其他情形）6000006"
        + f"（七）总计{total}四、结转下年度继续办理0000000"
        + "四、政府信息公开行政复议、行政诉讼情况"
        + T4_HEADER
        + "0" * 15
        + "五、存在的主要问题及改进情况无。"
    )


def table3(report: ParsedReport) -> dict:
    return {(f.category, f.applicant_type): f.value for f in report.facts if f.section == "applications"}


def test_the_column_sums_decide_rows_that_are_ambiguous_on_their_own():
    rule = applicant_sum(GOLD_COLUMNS)
    assert len(candidate_splits("110000011", 7, rule).kept) == 2  # 11,0,…,11 or 1,10,…,11
    report = parse_text(applications_page(granted="5000005", total="110000011", new="110000011"))
    got = table3(report)
    assert [got[("processed_total", c)] for c in GOLD_COLUMNS] == [11, 0, 0, 0, 0, 0, 11]
    assert [got[("new_received", c)] for c in GOLD_COLUMNS] == [11, 0, 0, 0, 0, 0, 11]
    assert [e for e in report.errors if "table 3" in e] == [] and all(check.ok for check in report.checks)


def test_rows_the_column_sums_cannot_decide_stay_text_with_a_note():
    # 予以公开 and 总计 could both be 1,10,…,11 or 11,0,…,11, with 部分公开 0: the sums hold either way
    text = applications_page(granted="110000011", total="110000011", new="110000011")
    report = parse_text(text.replace("6000006", "0000000"))
    facts = [f for f in report.facts if f.section == "applications" and f.category == "granted"]
    assert {(f.value, f.value_status, f.raw, f.line) for f in facts} == {(None, "text", "110000011", 3)}
    assert (
        "line 3: table 3 row （一）予以公开: digits '110000011' split 4 ways into 7 cells; 2 satisfy the applicant "
        "columns adding up to 总计; 2 combinations of the ambiguous rows satisfy the column sums; its values are "
        "kept as text"
    ) in report.errors


def test_an_unresolvable_table_2_row_gives_text_facts_and_a_note():
    report = parse_text(
        page(
            PROSE + "二、主动公开政府信息情况第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数"
            "规章000行政规范性文件1234第二十条第（五）项信息内容本年处理决定数量行政许可17"
            "第二十条第（八）项信息内容本年收费金额（单位：万元）行政事业性收费12.5三、收到和处理政府信息公开申请情况"
        )
    )
    facts = {(f.category, f.metric): f for f in report.facts if f.section == "proactive"}
    for metric in ("issued", "repealed", "in_force"):
        fact = facts[("normative_doc", metric)]
        assert (fact.value, fact.value_status, fact.raw, fact.line) == (None, "text", "1234", 3)
    assert facts[("licensing", "decisions")].value == 17
    assert facts[("admin_fee", "fee_amount")].value == 12.5
    assert (
        "line 3: table 2 row 行政规范性文件: digits '1234' split 3 ways into 3 cells; no constraint decides; "
        "its values are kept as text"
    ) in report.errors


def test_a_unit_inside_a_resolved_cell_reaches_the_extractor():
    report = parse_text(
        page(PROSE + "第二十条第（九）项信息内容采购项目数量采购总金额政府集中采购3 1200.5元三、收到和处理")
    )
    facts = {f.metric: f for f in report.facts if f.category == "central_procurement"}
    assert facts["procurement_items"].value == 3
    assert (facts["procurement_amount"].value, facts["procurement_amount"].raw) == (0.12005, "1200.5元")


def test_a_unit_note_after_a_header_label_does_not_end_the_table():
    # the 2019 template's header: 采购总金额（万元，保留四位小数）
    report = parse_text(
        page(
            PROSE + "第二十条第（九）项信息内容采购项目数量采购总金额（万元，保留四位小数）政府集中采购2 35.5"
            "三、收到和处理政府信息公开申请情况"
        )
    )
    facts = {f.metric: f for f in report.facts if f.category == "central_procurement"}
    assert (facts["procurement_items"].value, facts["procurement_items"].line) == (2, 3)
    assert (facts["procurement_amount"].value, facts["procurement_amount"].unit) == (35.5, "万元")


def test_labels_with_spaces_and_full_width_digits_and_cells_on_later_lines():
    text = page(
        PROSE + "申请人情况自然人法人或其他组织总计商业企业科研机构社会公益 组织 法律服务 机构 其他"
        "一、本年新收政府信息公开申请数量３ 0 0 0 0 0 3",
        "二、上年结转政府信息公开申请数量0000000三、本年度办 理结果（一）予以公开3000003（七）总计3000003"
        "四、结转下年度继续办理0000000",
    )
    document = read_document(text.encode("utf-8"))
    (table,) = document.tables
    rows = {row.cells[-8].text: row for row in table.rows if len(row.cells) >= 8}
    new = rows["一、本年新收政府信息公开申请数量"]
    assert [c.text for c in new.cells[-7:]] == ["３", "0", "0", "0", "0", "0", "3"]  # as printed
    assert {c.line for c in new.cells} == {3}
    assert {c.line for c in rows["（七）总计"].cells} == {4}
    got = table3(parse_text(text))
    assert got[("new_received", "natural_person")] == 3 and got[("granted", "total")] == 3


def test_a_mention_in_prose_is_not_a_table():
    text = page(PROSE + "全年收到申请81件，涉及自然人80件、商业企业1件；行政复议2件、行政诉讼7件。")
    document = read_document(text.encode("utf-8"))
    assert document.tables == [] and document.notes == ()
    assert all(isinstance(block, Paragraph) for block in document.blocks)


def test_a_run_that_is_no_number_at_all_still_gives_text_facts_in_its_row():
    # 「…9.」: a stray enumerator the vocabulary does not know stays in the run, which then cannot be cut
    report = parse_text(
        applications_page(granted="5000005", total="110000011", new="110000011").replace(
            "0" * 15 + "五、", "0" * 14 + "9.五、"
        )
    )
    facts = [f for f in report.facts if f.section == "review_litigation"]
    assert len(facts) == 15 and {(f.value_status, f.raw) for f in facts} == {("text", "000000000000009.")}
    assert "line 3: table 4 row (no label): digits '000000000000009.' cannot be cut into 15 numbers" in " ".join(
        report.errors
    )
