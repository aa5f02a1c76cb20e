"""Web pages and Word files read into the same Document as text dumps, so the shared extractors give the same facts."""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile

import pytest
from conftest import CORPUS, REPOSITORY, fact_cells, gold, gold_cells, sample

from pipeline.document import Paragraph, Table
from pipeline.extract.metadata import extract_metadata
from pipeline.facts import ParsedReport
from pipeline.parse import parse_bytes, parse_file
from pipeline.readers import UnsupportedFormat, read_document, sniff_format
from pipeline.readers.docx import read_docx
from pipeline.readers.html import read_html

FIXTURES = REPOSITORY / "tests" / "fixtures"
SHANGHAI_2019 = CORPUS / "raw" / "011_shanghai_govoffice_2019.html"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def grid(table: Table) -> list[list[str]]:
    """Cell texts row by row, copies of merged cells marked with a leading '~'."""
    return [[("~" if cell.spanned else "") + cell.text for cell in row.cells] for row in table.rows]


def only_table(html: str) -> Table:
    (table,) = read_html(html, "utf-8").tables
    return table


def expected_fact(value: int | None) -> tuple[int | None, str]:
    return (value, "number") if value is not None else (None, "blank")


# --- the real Word-exported web page ------------------------------------------------------------------


@pytest.fixture(scope="module")
def shanghai():
    return parse_file(SHANGHAI_2019)


def test_shanghai_2019_page_gives_every_gold_cell_and_blank_is_not_zero(shanghai):
    want = gold("011_shanghai_govoffice_2019")
    cells = fact_cells(shanghai)
    assert (shanghai.reader, shanghai.status, shanghai.errors) == ("html", "ok", [])
    assert (shanghai.agency, shanghai.year, shanghai.template) == (want["agency"], want["year"], want["template"])
    assert not any(want["table3"]["other_no_correction"] + want["table3"]["other_no_fee"])  # 2021-only rows
    got = {key: (cells[key].value, cells[key].value_status) for key in gold_cells(want)}
    assert got == {key: expected_fact(value) for key, value in gold_cells(want).items()}


def test_a_page_without_line_breaks_puts_every_fact_on_line_1(shanghai):
    assert b"\n" not in SHANGHAI_2019.read_bytes()
    assert shanghai.facts and {fact.line for fact in shanghai.facts} == {1}


def test_metadata_is_read_from_the_text_not_the_markup():
    document = read_document(SHANGHAI_2019.read_bytes())
    assert document.lines[0] == "2019年上海市人民政府办公厅政府信息公开工作年度报告"
    metadata = extract_metadata(list(document.lines))
    assert (metadata.agency, metadata.year) == ("上海市人民政府办公厅", 2019)


# --- grids: merged cells expanded, copies marked ------------------------------------------------------


def test_rowspan_and_colspan_together_fill_every_position_they_cover():
    table = only_table(
        "<table>"
        "<tr><td rowspan=2 colspan=2>A</td><td>B</td></tr>"
        "<tr><td>C</td></tr>"
        "<tr><td>D</td><td>E</td><td>F</td></tr>"
        "</table>"
    )
    assert grid(table) == [["A", "~A", "B"], ["~A", "~A", "C"], ["D", "E", "F"]]


def test_a_colspan_in_a_header_row_and_a_rowspan_beside_it():
    table = only_table(
        "<table>"
        "<tr><td rowspan=2>结果维持</td><td colspan=3>行政诉讼</td></tr>"
        "<tr><td>直接起诉</td><td>复议后起诉</td><td>总计</td></tr>"
        "</table>"
    )
    assert grid(table) == [
        ["结果维持", "行政诉讼", "~行政诉讼", "~行政诉讼"],
        ["~结果维持", "直接起诉", "复议后起诉", "总计"],
    ]


def test_br_and_paragraphs_inside_a_cell_become_line_breaks_and_nested_spans_join():
    table = only_table(
        "<table><tr>"
        "<td>商业<br>企业</td>"
        "<td><p>结果</p><p>纠正</p></td>"
        "<td><span><font>12</font><span>3</span></span></td>"
        "</tr></table>"
    )
    assert grid(table) == [["商业\n企业", "结果\n纠正", "123"]]


def test_nbsp_and_whitespace_cells_are_empty():
    table = only_table(
        "<table><tr><td>&nbsp;</td><td><p align=center>&nbsp;</p></td><td>  \n </td>"
        "<td><span lang=EN-US><o:p>&nbsp;</o:p></span></td><td>&nbsp;7&nbsp;</td></tr></table>"
    )
    assert grid(table) == [["", "", "", "", "7"]]
    assert [cell.is_empty for cell in table.rows[0].cells] == [True, True, True, True, False]


def test_script_style_nav_header_and_footer_are_not_the_report():
    document = read_html(
        "<html><head><title>网站</title><style>td {color: red}</style></head><body>"
        "<header>某某市人民政府门户网站</header><nav>首页 &gt; 政府信息公开</nav>"
        "<script>document.write('<table><tr><td>9</td><td>9</td></tr></table>')</script>"
        "<!-- <p>注释</p> -->"
        "<article><header><h1>某局2020年政府信息公开工作年度报告</h1></header>"
        "<div>一、总体情况<p>正文。</p>第二段<br>第三段</div>"
        "<table><tr><td>规章</td><td>3</td></tr></table></article>"
        "<footer>版权所有</footer></body></html>",
        "utf-8",
    )
    paragraphs = [block.text for block in document.blocks if isinstance(block, Paragraph)]
    assert paragraphs == ["某局2020年政府信息公开工作年度报告", "一、总体情况", "正文。", "第二段", "第三段"]
    assert [grid(table) for table in document.tables] == [[["规章", "3"]]]


def test_a_layout_table_around_the_report_is_read_as_content():
    document = read_html(
        "<table><tr><td>"
        "<p>某局2020年政府信息公开工作年度报告</p>"
        "<table><tr><td>信息内容</td><td>本年处理决定数量</td></tr><tr><td>行政许可</td><td>5</td></tr></table>"
        "</td></tr></table>",
        "utf-8",
    )
    assert isinstance(document.blocks[0], Paragraph)
    assert [grid(table) for table in document.tables] == [[["信息内容", "本年处理决定数量"], ["行政许可", "5"]]]


def test_a_small_table_inside_a_data_cell_is_that_cell_text():
    table = only_table(
        "<table><tr><td>一、本年新收</td><td><table><tr><td>3</td></tr></table></td></tr>"
        "<tr><td>二、上年结转</td><td>1</td></tr><tr><td>四、结转</td><td>0</td></tr></table>"
    )
    assert grid(table) == [["一、本年新收", "3"], ["二、上年结转", "1"], ["四、结转", "0"]]


# --- lines ----------------------------------------------------------------------------------------------


def test_lines_are_where_the_text_stands_even_when_word_wraps_a_start_tag():
    html = (
        "<p>某局2020年政府信息公开工作年度报告</p>\n"  # 1
        "<table>\n"  # 2
        " <tr>\n"  # 3
        "  <td width=57 valign=top style='width:42.6pt;border:solid windowtext 1.0pt;\n"  # 4
        "  padding:0cm 5.4pt 0cm 5.4pt'>\n"  # 5
        "  <p class=MsoNormal><span>规章</span></p>\n"  # 6
        "  </td><td\n"  # 7
        "  >&nbsp;</td><td>\n"  # 8
        "\n"  # 9
        "3</td>\n"  # 10
        " </tr>\n"  # 11
        "</table>\n"  # 12
        "<!-- a\ncomment -->\n"  # 13, 14
        "<p>第\n二段</p>"  # 15
    )
    document = read_html(html, "utf-8")
    title, table, last = document.blocks
    assert title.line == 1
    assert [(cell.text, cell.line) for cell in table.rows[0].cells] == [("规章", 6), ("", 8), ("3", 10)]
    assert (last.text, last.line) == ("第二段", 15)  # a line break between CJK characters is no space
    assert last.line_pieces() == [("第", 15), ("二段", 16)]
    crlf = read_html(html.replace("\n", "\r\n"), "utf-8")
    lone_cr = read_html(html.replace("\n", "\r"), "utf-8")
    for other in (crlf, lone_cr):
        assert [cell.line for cell in other.tables[0].rows[0].cells] == [6, 8, 10]


def test_a_paragraph_over_several_lines_knows_where_each_begins():
    html = (
        "<p>本年度\n新收申请<span\n>3件</span>，  \n\n"  # 1, 2 (the tag ends on 3), blank 4
        "  主动公开5条。</p>"  # 5
    )
    (paragraph,) = read_html(html, "utf-8").blocks
    assert paragraph.text == "本年度新收申请3件，主动公开5条。"
    assert paragraph.line_pieces() == [("本年度", 1), ("新收申请", 2), ("3件，", 3), ("主动公开5条。", 5)]


def test_rowspan_copies_carry_the_line_of_their_own_row():
    table = only_table("<table>\n<tr><td rowspan=2>A</td><td>1</td></tr>\n<tr><td>2</td></tr>\n</table>")
    assert [[cell.line for cell in row.cells] for row in table.rows] == [[2, 2], [3, 3]]


def test_a_whole_saved_page_with_declarations_is_read():
    page = (
        '<?xml version="1.0" encoding="gb2312"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><meta http-equiv="Content-Type" '
        'content="text/html; charset=gb2312" /></head>\n<body><p>某局2020年政府信息公开工作年度报告</p>\n'
        "<table><tr><td>行政许可</td><td>5</td></tr></table></body></html>"
    )
    document = read_document(page.encode("gb18030"))
    assert (document.reader, document.encoding) == ("html", "gb18030")
    assert [(block.text, block.line) for block in document.paragraphs] == [("某局2020年政府信息公开工作年度报告", 4)]
    assert document.lines == ("某局2020年政府信息公开工作年度报告", "行政许可\t5")


def test_a_page_the_parser_gives_up_on_says_where_it_stopped():
    nested = "<font>" * 300  # unclosed tags nest; libxml2 stops reading at depth 256
    report = parse_bytes(
        f"<div><p>某局2020年政府信息公开工作年度报告</p><br>\n<div><p>{nested}正文</p></div></div>".encode(),
        ParsedReport(file="deep.html"),
    )
    assert report.agency == "某局"
    assert any(error.startswith("line 2: the HTML parser stopped here") for error in report.errors)


# --- DOCX -----------------------------------------------------------------------------------------------


def docx(body: str) -> bytes:
    """A minimal .docx holding only word/document.xml (the reader falls back to that name without _rels)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("word/document.xml", f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>')
    return buffer.getvalue()


def p(*texts: str) -> str:
    return "<w:p>" + "".join(f"<w:r><w:t xml:space='preserve'>{text}</w:t></w:r>" for text in texts) + "</w:p>"


def tc(*paragraphs: str, properties: str = "") -> str:
    return f"<w:tc><w:tcPr>{properties}</w:tcPr>{''.join(paragraphs) or '<w:p/>'}</w:tc>"


def test_docx_merges_are_expanded_like_html_and_lines_count_paragraphs():
    body = (
        p("某局2021年", "政府信息公开工作年度报告")  # paragraph 1
        + "<w:tbl>"
        + "<w:tr>"
        + tc(p("A"), properties='<w:gridSpan w:val="2"/><w:vMerge w:val="restart"/>')  # 2
        + tc(p("B"))  # 3
        + "</w:tr><w:tr>"
        + tc(properties='<w:gridSpan w:val="2"/><w:vMerge/>')  # 4
        + tc(p("商业"), p(""), p("企业"))  # 5, 6, 7
        + "</w:tr></w:tbl>"
        + p("第二", "段")  # 8
    )
    document = read_docx(docx(body))
    title, table, last = document.blocks
    assert (title.text, title.line, last.text, last.line) == ("某局2021年政府信息公开工作年度报告", 1, "第二段", 8)
    assert grid(table) == [["A", "~A", "B"], ["~A", "~A", "商业\n企业"]]
    assert [[cell.line for cell in row.cells] for row in table.rows] == [[2, 2, 3], [4, 4, 5]]
    assert document.lines == ("某局2021年政府信息公开工作年度报告", "A\tB", "商业 企业", "第二段")
    assert (document.reader, document.encoding) == ("docx", None)


def test_docx_text_is_what_word_shows():
    body = (
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="420"/></w:tabs></w:pPr>'
        "<w:r><w:t>保留</w:t></w:r>"
        "<w:del><w:r><w:delText>删除</w:delText></w:r></w:del>"
        "<w:r><w:instrText> PAGE </w:instrText></w:r>"
        "<w:ins><w:r><w:t>插入</w:t></w:r></w:ins>"
        '<w:r><w:br w:type="page"/><w:t>一</w:t><w:br/><w:t>二</w:t></w:r></w:p>'
    )
    assert [(b.text, b.line) for b in read_docx(docx(body)).blocks] == [("保留插入一", 1), ("二", 1)]


def test_a_corrupt_docx_fails_with_a_clear_error():
    good = (FIXTURES / "000_as_docx.docx").read_bytes()
    for damaged in (b"PK\x03\x04" + bytes(200), good[: len(good) // 2]):
        report = parse_bytes(damaged, ParsedReport(file="damaged.docx"))
        assert report.status == "failed"
        assert report.errors and "damaged ZIP container" in report.errors[0]


def test_a_zip_that_is_not_a_word_file_is_named_as_such():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnsupportedFormat, match=r"without word/document\.xml"):
        read_document(buffer.getvalue())
    report = parse_bytes(buffer.getvalue(), ParsedReport(file="table.xlsx"))
    assert report.status == "failed" and "not a Word" in report.errors[0]


# --- one report, three formats --------------------------------------------------------------------------


def fact_set(report: ParsedReport) -> set[tuple]:
    return {(f.section, f.category, f.applicant_type, f.metric, f.value, f.value_status) for f in report.facts}


def test_the_same_report_as_text_dump_html_and_docx_gives_the_same_facts():
    reports = [
        parse_file(sample("000_4c23b5825c9f94d7")),
        parse_file(FIXTURES / "000_as_html.html"),
        parse_file(FIXTURES / "000_as_docx.docx"),
    ]
    assert [report.reader for report in reports] == ["text_dump", "html", "docx"]
    dump, *others = reports
    assert len(fact_set(dump)) == len(dump.facts) > 100
    for report in others:
        assert fact_set(report) == fact_set(dump), report.reader
        assert (report.agency, report.year, report.template) == (dump.agency, dump.year, dump.template)
        assert (report.status, report.errors) == (dump.status, dump.errors)


def test_the_committed_fixtures_are_what_the_generator_makes(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    generator = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_fixtures", generator)  # dataclasses look their module up there
    spec.loader.exec_module(generator)
    monkeypatch.setattr(generator, "HTML_OUT", tmp_path / "000_as_html.html")
    monkeypatch.setattr(generator, "DOCX_OUT", tmp_path / "000_as_docx.docx")
    monkeypatch.setattr(generator, "REPOSITORY", tmp_path)
    generator.main()
    for name in ("000_as_html.html", "000_as_docx.docx"):
        assert (tmp_path / name).read_bytes() == (FIXTURES / name).read_bytes(), name


def test_a_saved_word_page_with_a_long_style_block_is_read_as_html():
    page = (FIXTURES / "000_as_html.html").read_text(encoding="utf-8")
    styled = page.replace("<head>", "<head><style>" + "p.MsoNormal { margin: 0cm; }\n" * 2000 + "</style>", 1)
    assert styled != page and len(styled) > 40_000
    assert sniff_format(styled) == "html"
