"""Pre-2019 reports: legacy indicators from the prose and from statistics tables (pipeline/extract/legacy.py)."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS

from pipeline.checks import CHECK_NAMES, run_checks
from pipeline.decode import decode_bytes
from pipeline.document import Cell, Document, Paragraph, Row, Table
from pipeline.extract.legacy import extract_legacy, splits_of
from pipeline.parse import parse_file
from pipeline.readers import UnsupportedFormat, read_document
from pipeline.readers.text_dump import read_text_dump
from pipeline.text import is_page_number
from pipeline.vocabulary import load_vocabulary

LEGACY_STEMS = [
    "003_f0f104a3575faaf0",
    "L01_pingtan-zhq-2011",
    "L03_pingtan-county-2012",
    "L05_pingtan-county-2013",
    "L06_pingtan-dishui-2013",
    "L08_pingtan-zhq-2014",
    "L10_pingtan-zhq-2016",
    "L12_pingtan-zhq-2018",
]
# gold figure key -> legacy category, as the corpus scorer (shared/tools/score.py) maps them
GOLD_CATEGORY = {
    "proactive_disclosed": "proactive_items",
    "applications_received": "applications_received",
    "applications_answered": "applications_answered",
    "granted": "granted",
    "partial": "partial",
    "denied": "denied",
    "reconsideration": "reconsideration",
    "litigation": "litigation",
}
SPEC_LEGACY_CODES = [
    "proactive_items",
    "applications_received",
    "applications_answered",
    "granted",
    "partial",
    "denied",
    "not_held",
    "not_exist",
    "reconsideration",
    "litigation",
    "complaints",
    "fees",
]


def legacy_document(stem: str) -> Document:
    """The corpus file as the pipeline reads it.

    The crawled pingtan pages go to the flattened reader, which leaves legacy content as paragraphs; until
    that reader exists, the text-dump reader gives the same paragraphs (one per source line).
    """
    data = (CORPUS / "raw" / f"{stem}.txt").read_bytes()
    try:
        return read_document(data)
    except UnsupportedFormat:
        source = decode_bytes(data)
        return read_text_dump(source.lines, encoding=source.encoding)


@pytest.fixture(scope="module")
def extracted():
    vocabulary = load_vocabulary()
    return {stem: extract_legacy(legacy_document(stem), vocabulary) for stem in LEGACY_STEMS}


def facts_of(extraction, category, source=None):
    return [f for f in extraction.facts if f.category == category and (source is None or f.source == source)]


def prose_document(*sentences: str) -> Document:
    paragraphs = tuple(Paragraph(text, number) for number, text in enumerate(sentences, start=1))
    return Document(blocks=paragraphs, lines=sentences)


def prose_values(*sentences: str) -> dict[str, int | float]:
    extraction = extract_legacy(prose_document(*sentences), load_vocabulary())
    return {f.category: f.value for f in extraction.facts if f.source == "prose"}


# --- the corpus: gold figures ----------------------------------------------------------------------


@pytest.mark.parametrize("stem", LEGACY_STEMS)
def test_every_gold_figure_is_what_the_scorer_picks(extracted, stem):
    gold = json.loads((CORPUS / "gold" / f"{stem}.json").read_text(encoding="utf-8"))
    # The scorer keeps the LAST fact per (section, category, applicant_type, metric): table facts come
    # first, so wherever the prose states an indicator, the prose fact is the one it reads.
    picked = {(f.section, f.category, f.applicant_type, f.metric): f for f in extracted[stem].facts}
    for key, want in gold["figures"].items():
        if key not in GOLD_CATEGORY or want is None:
            continue
        fact = picked.get(("legacy", GOLD_CATEGORY[key], None, "count"))
        assert fact is not None, f"{key}: no fact"
        assert (fact.value_status, fact.value) == ("number", want), f"{key}: {fact}"
        if facts_of(extracted[stem], GOLD_CATEGORY[key], "prose"):
            assert fact.source == "prose", key


def test_table_facts_come_before_prose_facts(extracted):
    for extraction in extracted.values():
        sources = [f.source for f in extraction.facts]
        assert sources == sorted(sources, key=lambda s: s != "table")


def test_facts_carry_section_unit_raw_and_line(extracted):
    received = facts_of(extracted["003_f0f104a3575faaf0"], "applications_received")[0]
    assert (received.section, received.applicant_type, received.metric, received.unit) == (
        "legacy",
        None,
        "count",
        "件",
    )
    assert received.line == 35 and "共收到政府信息公开申请3件" in received.raw
    row = facts_of(extracted["L03_pingtan-county-2012"], "partial", "table")[0]
    assert (row.value, row.raw, row.line) == (2, "2.同意部分公开答复数条22", 10)


def test_the_legacy_sample_parses_cleanly_through_the_pipeline():
    report = parse_file(CORPUS / "raw" / "003_f0f104a3575faaf0.txt")
    assert (report.template, report.status, report.errors) == ("legacy", "ok", [])
    assert {f.section for f in report.facts} == {"legacy"}
    assert "legacy_prose_table_agreement" in CHECK_NAMES


# --- statistics tables: this year, never the cumulative column --------------------------------------


def test_this_years_column_not_the_cumulative_one(extracted):
    # 「主动公开信息数 条 425 1516」: 2011 and since 2008
    assert [f.value for f in facts_of(extracted["L01_pingtan-zhq-2011"], "proactive_items", "table")] == [425]
    assert [f.value for f in facts_of(extracted["L08_pingtan-zhq-2014"], "proactive_items", "table")] == [2543]


def test_a_flattened_table_printing_the_cumulative_column_first():
    line = "附表 指标名称 计量单位 历年累计 2015年度 收到申请数 件 40 4 行政复议数量 件 3 1"
    facts = extract_legacy(prose_document(line), load_vocabulary()).facts
    assert {f.category: f.value for f in facts} == {"applications_received": 4, "reconsideration": 1}


@pytest.mark.parametrize(
    ("digits", "splits"),
    [
        ("00", [(0, 0)]),
        ("07", [(0, 7)]),
        ("018", [(0, 18)]),  # '01' is no number
        ("728", [(7, 28)]),  # 72 > 8: this year cannot exceed the cumulative figure
        ("2121", [(2, 121), (21, 21)]),
        ("346085376", [(3, 46085376), (34, 6085376), (3460, 85376)]),
    ],
)
def test_run_together_digits_split_only_where_this_year_fits(digits, splits):
    assert splits_of(digits) == splits


def test_run_together_rows_are_settled_by_the_sums_or_kept_as_text(extracted):
    l03 = extracted["L03_pingtan-county-2012"]
    # '2121' and '1818' are ambiguous alone; the channels must add up to 受理 in both columns
    assert facts_of(l03, "applications_received", "table")[0].value == 21
    assert facts_of(l03, "applications_received.in_person", "table")[0].value == 18
    assert facts_of(l03, "granted", "table")[0].value == 17
    # '20263542' (主动公开信息数) has three possible splits and no sum to settle them
    proactive = facts_of(l03, "proactive_items", "table")[0]
    assert (proactive.value, proactive.value_status, proactive.raw) == (None, "text", "主动公开信息数条20263542")
    assert any("20263542" in e and "2026/3542" in e and "not certain" in e for e in l03.errors)


def test_the_next_rows_number_is_taken_off_a_run_of_digits(extracted):
    # 「1、政府网站公开数条3460853762、政府公报公开数条00」: the 2 belongs to 「2、」
    website = facts_of(extracted["L10_pingtan-zhq-2016"], "proactive_items.website", "table")[0]
    assert website.raw == "1、政府网站公开数条346085376"
    gazette = facts_of(extracted["L10_pingtan-zhq-2016"], "proactive_items.gazette", "table")[0]
    assert (gazette.value, gazette.raw) == (0, "2、政府公报公开数条00")


def test_every_table_row_gets_a_code(extracted):
    for extraction in extracted.values():
        assert not [e for e in extraction.errors if "has no legacy label" in e]
    l08 = extracted["L08_pingtan-zhq-2014"]
    assert len([f for f in l08.facts if f.source == "table"]) == 16
    assert facts_of(l08, "fee_waivers")[0].metric == "amount"


def test_a_real_statistics_table():
    def row(*texts):
        return Row(tuple(Cell(text, 10 + index) for index, text in enumerate(texts)))

    table = Table(
        (
            row("统计指标", "单位", "2016年度", "历年累计"),
            row("（一）收到申请数", "件", "3", "10"),
            row("1．当面申请数", "件", "", "4"),
            row("四、行政复议数量", "件", "1", "2"),
            row("（一）维持具体行政行为数", "件", "1", "1"),
            row("七、依申请公开信息收取的费用", "万元", "0.5", "1"),
        )
    )
    facts = extract_legacy(Document(blocks=(table,), lines=()), load_vocabulary()).facts
    got = {(f.category, f.metric): (f.value, f.unit, f.value_status, f.source) for f in facts}
    assert got == {
        ("applications_received", "count"): (3, "件", "number", "table"),
        ("applications_received.in_person", "count"): (None, "件", "blank", "table"),
        ("reconsideration", "count"): (1, "件", "number", "table"),
        ("reconsideration", "upheld"): (1, "件", "number", "table"),
        ("fees", "amount"): (5000, "元", "number", "table"),
    }


def statistics_row(line: int, *texts: str) -> Row:
    return Row(tuple(Cell(text, line) for text in texts))


def test_a_statistics_table_a_page_break_cut_is_read_as_one():
    # A PDF converter's Markdown: the table goes on after a page number, without the rows' indicator
    first_page = Table(
        (
            statistics_row(40, "统计指标", "单位", "统计数"),
            statistics_row(42, "收到申请数", "件", "5"),
            statistics_row(43, "行政复议数量", "件", "1"),
            statistics_row(44, "1.维持具体行政行为数", "件", "1"),
        )
    )
    second_page = Table(
        (
            statistics_row(48, "统计指标", "单位", "统计数"),
            statistics_row(50, "2.被依法纠错数", "件", "0"),
            statistics_row(51, "3.其他情形数", "件", "0"),
            statistics_row(52, "行政诉讼数量", "件", "2"),
        )
    )
    document = Document(blocks=(first_page, Paragraph("3", 45), Paragraph("— 4 —", 46), second_page), lines=())
    extraction = extract_legacy(document, load_vocabulary())
    got = {(f.category, f.metric): (f.value, f.line) for f in extraction.facts}
    assert got == {
        ("applications_received", "count"): (5, 42),
        ("reconsideration", "count"): (1, 43),
        ("reconsideration", "upheld"): (1, 44),
        ("reconsideration", "corrected"): (0, 50),
        ("reconsideration", "other"): (0, 51),
        ("litigation", "count"): (2, 52),
    }
    assert extraction.errors == []


def test_tables_with_prose_between_them_are_two_tables():
    first = Table((statistics_row(1, "收到申请数", "件", "5"), statistics_row(2, "行政复议数量", "件", "1")))
    second = Table((statistics_row(4, "2.被依法纠错数", "件", "0"),))
    document = Document(blocks=(first, Paragraph("注：以上数据截至年底。", 3), second), lines=())
    extraction = extract_legacy(document, load_vocabulary())
    assert ("reconsideration", "corrected") not in {(f.category, f.metric) for f in extraction.facts}


@pytest.mark.parametrize("text", ["3", "— 4 —", "-12-", "第2页", "第 2 页 共 9 页", "2/9", "－ 7 －"])
def test_page_numbers(text):
    assert is_page_number(text)


@pytest.mark.parametrize("text", ["2016", "5件", "三、", "（一）", "第二十条"])
def test_not_page_numbers(text):
    assert not is_page_number(text)


def test_a_sentence_a_converter_wrapped_over_lines_and_a_page_break_is_read_whole():
    document = prose_document(
        "三、依申请公开政府信息情况",
        "2016 年我区共收到政府信息公开申请 98件，其中网",
        "络申请 4件、信函申请 57件。对申请的答复总",
        "— 2 —",
        "数 98件，其中同意公开 50件，同意部分公开 13件",
        "，不予公开 7件。",
    )
    facts = extract_legacy(document, load_vocabulary()).facts
    got = {f.category: (f.value, f.line) for f in facts}
    assert got == {
        "applications_received": (98, 2),
        "applications_received.online": (4, 3),
        "applications_received.letter": (57, 3),
        "applications_answered": (98, 5),
        "granted": (50, 5),
        "partial": (13, 5),
        "denied": (7, 6),
    }
    raw = {f.category: f.raw for f in facts}
    # the sentence as printed, without the heading before it or the page number inside it
    assert raw["applications_received"] == "2016 年我区共收到政府信息公开申请 98件，其中网络申请 4件、信函申请 57件。"
    assert raw["denied"] == "对申请的答复总数 98件，其中同意公开 50件，同意部分公开 13件，不予公开 7件。"


def test_a_page_number_inside_a_sentence_is_left_out_and_no_figure_runs_over_a_line_ending_in_a_digit():
    assert prose_values("全年收到政府信息公开申请", "3", "5件。") == {"applications_received": 5}
    assert prose_values("本年度主动公开政府信息数为1", "2条。") == {}


def test_a_space_between_two_numbers_keeps_them_apart():
    # a web page's line break shows as a space: 「…收取费用12\n5元」 is two numbers, never 125
    assert "fees" not in prose_values("本年度收取费用12 5元。")
    assert prose_values("本年度收取费用 125元。") == {"fees": 125}


# --- prose phrasings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "category", "value"),
    [
        ("本单位2017年共主动公开政府信息161条，重点领域公开政府信息数22条。", "proactive_items", 161),
        ("2014年主动公开政府信息 2543条。", "proactive_items", 2543),
        ("2013年新增主动公开政府信息45条。", "proactive_items", 45),
        ("本单位2017年度共收到政府信息公开申请3件。", "applications_received", 3),
        ("2012年全县共收到有关政府信息公开的申请21条。", "applications_received", 21),
        ("全年受理政府信息公开申请12件。", "applications_received", 12),
        ("2014年全区收到有关政府信息公开的信函申请1条，已受理回复。", "applications_received", 1),
        ("本年度未收到政府信息公开申请。", "applications_received", 0),
        ("期间我局办公室未收到政府信息公开申请。", "applications_received", 0),
        ("本年度未收到公民、法人或其他组织提出的政府信息公开申请。", "applications_received", 0),
        ("申请答复数3件。", "applications_answered", 3),
        ("对依申请公开的答复总数21条。", "applications_answered", 21),
        ("共受理申请5件，已答复5件。", "applications_answered", 5),
        ("共受理申请5件，已全部办结4件。", "applications_answered", 4),
        ("因未发生政府信息公开申请，故不存在政府信息答复处理情况。", "applications_answered", 0),
        ("申请办结数和按时办结数均为3件。", "applications_completed", 3),
        ("其中同意公开答复数17条。", "granted", 17),
        ("同意公开8件。", "granted", 8),
        ("同意部分公开2件。", "partial", 2),
        ("同意部分公开答复数1件。", "partial", 1),
        ("不予公开3件。", "denied", 3),
        ("不同意公开答复数2件。", "denied", 2),
        ("我局无不予公开政府信息情况。", "denied", 0),
        ("不属于本行政机关公开数1件。", "not_held", 1),
        ("非本机关掌握2件。", "not_held", 2),
        ("申请信息不存在数1件。", "not_exist", 1),
        ("信息不存在3件。", "not_exist", 3),
        ("针对本单位政府信息公开的行政复议申请0件。", "reconsideration", 0),
        ("2013年，我局收到以有关政府信息公开行政复议0件。", "reconsideration", 0),
        ("被申请行政复议2起。", "reconsideration", 2),
        ("未收到有关政府信息公开行政复议申请。", "reconsideration", 0),
        ("针对本单位政府信息公开的行政诉讼案0件。", "litigation", 0),
        ("未收到有关政府信息公开行政复议、提起行政诉讼的申请。", "litigation", 0),
        ("针对本单位政府信息公开的申诉案0件。", "complaints", 0),
        ("举报投诉数量1件。", "complaints", 1),
        ("收取检索、复制费用120元。", "fees", 120),
        ("共收取费用0.2万元。", "fees", 2000),
        ("未收取任何费用。", "fees", 0),
        ("依申请提供政府信息暂不收费。", "fees", 0),
        ("2017年度未发生依申请公开政府信息收费及诉讼有关费用。", "fees", 0),
        ("其中当面申请数18条，电子邮件申请数3条。", "applications_received.in_person", 18),
        ("网络申请数2件，信函申请数1件。", "applications_received.online", 2),
    ],
)
def test_prose_phrasing(sentence, category, value):
    assert prose_values(sentence).get(category) == value


def test_none_received_is_zero_applications_but_not_zero_reviews():
    values = prose_values("2011年全区未收到有关政府信息公开的申请，未收到有关政府信息公开行政复议申请。")
    assert values == {"applications_received": 0, "reconsideration": 0}
    assert "applications_received" not in prose_values("未收到有关政府信息公开行政复议、提起行政诉讼的申请。")


def test_the_first_statement_wins_and_a_share_is_not_a_total():
    values = prose_values(
        "2016年全区主动公开政府信息3460条。其中，区管委会及区直各部门主动公开政府信息1822条，占53%。",
        "各乡镇主动公开政府信息1638条，占47%。",
    )
    assert values == {"proactive_items": 3460}
    assert prose_values("区直各部门主动公开政府信息1822条，占53%。") == {}


# --- traps named in tests/corpus/SOURCES.tsv ---------------------------------------------------------


def test_information_items_for_disclosure_on_request_are_not_applications(extracted):
    # L01: 「作为依申请公开信息数46条，不予公开信息数1402」 count catalogue items, not applications
    l01 = extracted["L01_pingtan-zhq-2011"]
    assert [f.value for f in facts_of(l01, "applications_received", "prose")] == [0]
    assert not facts_of(l01, "denied", "prose")
    assert prose_values("作为依申请公开信息数46条，不予公开信息数1854条。") == {}


def test_disclosure_spending_is_not_fees_charged(extracted):
    # L06: 「产生的政府信息公开费用1万元」 is what the bureau spent
    assert not facts_of(extracted["L06_pingtan-dishui-2013"], "fees")
    assert prose_values("设立和更新公开栏等产生的政府信息公开费用1万元。") == {}


def test_tax_approvals_are_not_disclosure_applications(extracted):
    # L06: 「今年我局共受理审批事项117件，办结171件」
    l06 = extracted["L06_pingtan-dishui-2013"]
    assert [f.value for f in facts_of(l06, "applications_received")] == [0]
    assert [f.value for f in facts_of(l06, "applications_answered")] == [0]
    assert prose_values("今年我局共受理审批事项117件，办结171件，办结率100%。") == {}


def test_prose_labels_that_differ_from_the_table_give_no_indicator(extracted):
    # L03: 「其它公开答复数2条，免于公开答复数2条」 are not 同意部分公开 / 否决公开 by name; 免于公开 is
    # one reason for a refusal among several, so neither becomes partial or denied
    l03 = extracted["L03_pingtan-county-2012"]
    assert not facts_of(l03, "partial", "prose") and not facts_of(l03, "denied", "prose")
    assert prose_values("其它公开答复数2条，免于公开答复数2条。") == {}


def test_sub_totals_of_departments_do_not_replace_the_total(extracted):
    # L03: the departments' figures (2475 + 1503) exceed the stated total 2026
    assert [f.value for f in facts_of(extracted["L03_pingtan-county-2012"], "proactive_items", "prose")] == [2026]


def test_a_hotlines_workload_is_not_applications_answered(extracted):
    # L12: 「共收到15564件咨询投诉件，已办结15042件」 (the 12345 hotline)
    assert not facts_of(extracted["L12_pingtan-zhq-2018"], "applications_answered", "prose")


# --- prose against table -----------------------------------------------------------------------------


def test_conflicting_channels_keep_both_facts_and_say_so(extracted):
    # L05: prose 网上3/信函4, table 网上 '44' (4) and 信函 '00' (0)
    l05 = extracted["L05_pingtan-county-2013"]
    online = {f.source: f.value for f in facts_of(l05, "applications_received.online")}
    assert online == {"table": 4, "prose": 3}
    assert any("applications_received.online" in e and "says 3" in e and "says 4" in e for e in l05.errors)
    assert any("applications_received.letter" in e for e in l05.errors)


def test_the_agreement_check_flags_the_conflicts_and_passes_the_rest(extracted):
    findings = {c.category: c for c in run_checks(extracted["L05_pingtan-county-2013"].facts) if c.section == "legacy"}
    assert {c.name for c in findings.values()} == {"legacy_prose_table_agreement"}
    online = findings["applications_received.online"]
    assert not online.ok
    assert online.detail == "prose 3 (line 10) vs table 4 (line 10)"
    assert (online.actual, online.expected) == (3, 4)
    assert not findings["applications_received.letter"].ok
    for category in ("applications_received", "applications_answered", "granted", "reconsideration"):
        assert findings[category].ok, findings[category].detail
    # 主动公开信息数 '18535395' could not be split: nothing to compare, which is not a pass
    assert not findings["proactive_items"].ok
    assert "unreadable" in findings["proactive_items"].detail


def test_agreeing_reports_pass_the_check(extracted):
    findings = [c for c in run_checks(extracted["L08_pingtan-zhq-2014"].facts) if c.section == "legacy"]
    assert findings and all(c.ok for c in findings)
    assert not extracted["L08_pingtan-zhq-2014"].errors


# --- vocabulary --------------------------------------------------------------------------------------


def test_the_vocabulary_has_the_legacy_codes_of_the_spec():
    vocabulary = load_vocabulary()
    codes = vocabulary.codes("legacy", "category")
    assert codes[: len(SPEC_LEGACY_CODES)] == SPEC_LEGACY_CODES
    assert vocabulary.term("legacy", "category", "fees").unit == "元"
    for label, code in [
        ("主动公开信息数", "proactive_items"),
        ("受理依申请公开信息总数", "applications_received"),
        ("对申请的答复总数", "applications_answered"),
        ("3.否决公开答复数", "denied"),
        ("行政申诉数", "complaints"),
        ("3、信函、传真申请数", "applications_received.letter_or_fax"),
    ]:
        assert vocabulary.match(label, "legacy", ("category",)).code == code
