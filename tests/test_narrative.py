"""Figures stated in the prose of 2019+ reports, read as `narrative` facts and compared with the tables."""

import pytest
from conftest import CORPUS, sample

from pipeline.document import Document, Paragraph
from pipeline.extract.narrative import extract_narrative
from pipeline.facts import ParsedReport
from pipeline.parse import parse_bytes, parse_file


def narrative(report: ParsedReport) -> dict[str, tuple]:
    return {f.category: (f.value, f.line) for f in report.facts if f.section == "narrative"}


@pytest.mark.parametrize(
    ("path", "figures"),
    [
        # 「2021年城指中心新收政府信息公开申请数量2件，上年结转政府信息公开申请数量2件。」 (line 13);
        # 「…实际收取的总金额均为0。」 (line 416)
        (
            sample("000_4c23b5825c9f94d7"),
            {"applications_received": (2, 13), "applications_carried_over": (2, 13), "fees_charged": (0, 416)},
        ),
        # 「我办2021年共主动公开政府信息30条」, 「本年度未收到政府信息公开申请。」 (both line 12)
        (
            sample("004_530efe4d9c71d4ab"),
            {"proactive_items": (30, 12), "applications_received": (0, 12), "fees_charged": (0, 436)},
        ),
        # PDF text wrapped mid-sentence: 「有 1 件涉及政府信息公开工作的行政复」/「议」 (line 19),
        # 「涉及的行政诉讼数为」/「0 件。」 (line 21),
        # 「全年收到政府信息公开申请 34 件，上年结转政府信息公开」/「申请 2 件」 (lines 42-43)
        # a crawled page, all prose on line 10: 「全年主动公开我区各级单位政府信息2645条」
        (CORPUS / "raw" / "003_pingtan_2021.txt", {"proactive_items": (2645, 10)}),
        (
            CORPUS / "raw" / "008_shanghai_kewei_2024.md",
            {
                "reconsideration": (1, 19),
                "litigation": (0, 21),
                "applications_received": (34, 42),
                "applications_carried_over": (2, 43),
            },
        ),
    ],
)
def test_prose_figures_with_the_line_of_the_number(path, figures):
    assert narrative(parse_file(path)) == figures


def test_prose_and_table_agree_in_the_samples():
    checks = [c for c in parse_file(sample("000_4c23b5825c9f94d7")).checks if c.name == "narrative_table_agreement"]
    assert {(c.category, c.ok) for c in checks} == {
        ("applications_received", True),
        ("applications_carried_over", True),
    }


def test_a_contradiction_between_prose_and_table_is_flagged_and_both_values_kept(sample_lines):
    lines = sample_lines("000_4c23b5825c9f94d7")
    lines[12] = lines[12].replace("申请数量2件，上年", "申请数量3件，上年")
    report = parse_bytes("\n".join(lines).encode(), ParsedReport(file="edited.txt"))
    finding = next(
        c for c in report.checks if (c.name, c.category) == ("narrative_table_agreement", "applications_received")
    )
    assert not finding.ok
    assert "3 vs 2" in finding.detail
    assert narrative(report)["applications_received"] == (3, 13)
    table = next(f for f in report.facts if (f.category, f.applicant_type) == ("new_received", "total"))
    assert table.value == 2


@pytest.mark.parametrize(
    ("text", "category", "value"),
    [
        ("全年共公开政府信息2599条。", "proactive_items", 2599),
        ("本年度共受理依申请公开申请12件。", "applications_received", 12),
        ("全年未收取任何费用。", "fees_charged", 0),
        ("共收取信息处理费120.5元。", "fees_charged", 120.5),
        ("被申请行政复议2件，被提起行政诉讼1件。", "reconsideration", 2),
        ("被申请行政复议2件，被提起行政诉讼1件。", "litigation", 1),
    ],
)
def test_phrasings(text, category, value):
    document = Document(blocks=(Paragraph(text, 7),), lines=(text,))
    facts = {f.category: f for f in extract_narrative(document).facts}
    assert (facts[category].value, facts[category].line, facts[category].source) == (value, 7, "prose")


def test_sentences_without_a_clear_figure_give_nothing():
    text = "加强政府信息公开申请办理，规范答复流程。"
    assert extract_narrative(Document(blocks=(Paragraph(text, 1),), lines=(text,))).facts == []
