import pytest

from pipeline.decode import UnreadableFile, decode_bytes

TEXT = "北京市东城区人民政府\r\n2021年政府信息公开工作年度报告\n\t自然人\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("utf-16"), "utf-16-le"),  # Python writes a little-endian BOM
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),  # no BOM at all
    ],
)
def test_decodes_every_encoding_reports_come_in(data, encoding):
    source = decode_bytes(data)
    assert source.encoding == encoding
    assert source.text == TEXT
    assert source.lines[1] == "2021年政府信息公开工作年度报告"


def test_lines_are_numbered_as_an_editor_numbers_them():
    # \r\n, \r and \n each end one line; U+2028 or form feeds inside a line do not
    source = decode_bytes("a\r\nb\rc\nd\u2028e\x0cf".encode())
    assert source.lines == ["a", "b", "c", "d\u2028e\x0cf"]


def test_empty_file_is_refused_with_a_reason():
    with pytest.raises(UnreadableFile, match="empty"):
        decode_bytes(b"  \n\n")


def test_binary_garbage_is_refused_with_a_reason():
    with pytest.raises(UnreadableFile, match=r"binary|not UTF-8"):
        decode_bytes(bytes(range(256)) * 20)


def test_truncated_multibyte_text_names_the_line():
    data = "第一行\n第二行\n".encode() + "第三".encode()[:-1] + b"\xff\xfe\xfd"
    with pytest.raises(UnreadableFile, match="line 3"):
        decode_bytes(data)
