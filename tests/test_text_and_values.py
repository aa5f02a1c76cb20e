import pytest

from pipeline.extract.values import parse_value
from pipeline.text import compact, label_key


@pytest.mark.parametrize(
    ("printed", "key"),
    [
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "部分公开"),
        ("3.危及“三安全一稳定”", "危及三安全一稳定"),
        ("结\n果\n维\n持", "结果维持"),
        ("法 律 服 务\n机构", "法律服务机构"),
        ("一、本年新收政府信息公开申请数量", "本年新收政府信息公开申请数量"),
        ("本年收费金额（单位：万元）", "本年收费金额"),
        ("本年增/减", "本年增减"),
        ("（七）总计", "总计"),
    ],
)
def test_label_key_ignores_numbering_notes_spacing_and_width(printed, key):
    assert label_key(printed) == key


def test_compact_removes_ideographic_and_no_break_spaces():
    assert compact("\u3000\u3000０ \xa0") == "0"


@pytest.mark.parametrize(
    ("raw", "value", "status", "unit"),
    [
        ("2", 2, "number", None),
        ("\xa0\u30000", 0, "number", None),
        ("0\xa0", 0, "number", None),
        ("+335", 335, "number", None),
        ("-185", -185, "number", None),
        ("22.7197", 22.7197, "number", None),
        ("251000元", 251000, "number", "元"),
        ("1,234", 1234, "number", None),
        ("１２", 12, "number", None),
        ("", None, "blank", None),
        ("\xa0", None, "blank", None),
        ("-", None, "placeholder", None),
        ("/", None, "placeholder", None),
        ("—", None, "placeholder", None),
        ("无", None, "placeholder", None),
        ("不适用", None, "placeholder", None),
        ("见说明", None, "text", None),
        ("640020470", 640020470, "number", None),
    ],
)
def test_cell_values_keep_blank_apart_from_zero(raw, value, status, unit):
    parsed = parse_value(raw)
    assert (parsed.value, parsed.status, parsed.unit) == (value, status, unit)
    assert type(parsed.value) is type(value)
