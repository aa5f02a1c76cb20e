"""Step 1: raw bytes -> text lines.

In: the bytes of one report file. Out: `SourceText`, the decoded text split into lines exactly as an
editor numbers them (\\n, \\r\\n or \\r), with the encoding that was detected. Raises `UnreadableFile`
with a message naming the problem (and the line, where there is one) when the bytes are not text.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class UnreadableFile(ValueError):
    """The file is not a text report this pipeline can decode."""


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str
    warnings: tuple[str, ...] = ()  # damage the decoding had to work around, each naming its lines

    @property
    def lines(self) -> list[str]:
        """Lines as an editor numbers them; line n is `lines[n - 1]`."""
        if "\r" not in self.text:  # most files: str.split is many times faster than the regex
            return self.text.split("\n")
        return _LINE_BREAK.split(self.text)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _utf16_without_bom(data: bytes) -> str | None:
    """Text files have no NUL bytes, except UTF-16: there every ASCII character (line breaks, digits)
    carries one, always on the same side of the code unit."""
    if len(data) < 4 or len(data) % 2 or not data.count(0):
        return None
    even_nuls, odd_nuls = data[0::2].count(0), data[1::2].count(0)
    if odd_nuls >= 4 * even_nuls and odd_nuls >= 2:
        return "utf-16-le"
    if even_nuls >= 4 * odd_nuls and even_nuls >= 2:
        return "utf-16-be"
    return None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_bytes(data: bytes) -> SourceText:
    """Decode a report: BOM first, then UTF-8, UTF-16 without BOM, GB18030; never guess silently."""
    if not data.strip():
        raise UnreadableFile("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom) :].decode(encoding), encoding)
            except UnicodeDecodeError as err:
                raise UnreadableFile(
                    f"starts with a {encoding} byte-order mark but is not valid {encoding} "
                    f"(byte {err.start + len(bom)})"
                ) from err
    encoding = _utf16_without_bom(data)
    if encoding:
        try:
            return _checked(data.decode(encoding), encoding)
        except UnicodeDecodeError:
            pass
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as utf8_error:
        damaged = _mostly_utf8(data)
        if damaged:
            return damaged
        try:
            return _checked(data.decode("gb18030"), "gb18030")
        except UnicodeDecodeError:
            line = _line_of(data, utf8_error.start)
            raise UnreadableFile(
                f"not UTF-8, UTF-16 or GB18030 text: undecodable byte 0x{data[utf8_error.start]:02x} "
                f"at line {line} (byte {utf8_error.start}); truncated or binary file?"
            ) from utf8_error


# UTF-8 with a few broken bytes (a bad copy, a GBK fragment pasted in) must not be read as GB18030,
# which would turn every Chinese character of the file into other characters without an error.
_VALID_PER_BROKEN = 20
_LISTED_LINES = 10


def _mostly_utf8(data: bytes) -> SourceText | None:
    """UTF-8 with its few undecodable bytes replaced by U+FFFD, and a warning naming their lines."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    multibyte = len(text) - len(text.encode("ascii", "ignore")) - broken
    if not broken or multibyte < _VALID_PER_BROKEN * broken:
        return None
    lines = sorted({number for number, line in enumerate(_LINE_BREAK.split(text), start=1) if "\ufffd" in line})
    listed = ", ".join(map(str, lines[:_LISTED_LINES])) + (" …" if len(lines) > _LISTED_LINES else "")
    warning = f"mixed or broken encoding: bytes that are not UTF-8 on line(s) {listed} were replaced by U+FFFD"
    source = _checked(text, "utf-8")
    return SourceText(source.text, source.encoding, (warning,))


# Control characters that have no place in text: below 32, except tab, line feed, vertical tab, form feed, return
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _checked(text: str, encoding: str) -> SourceText:
    """Reject binary content that happens to decode (NULs, control characters)."""
    sample = text[:20000]
    controls = len(_CONTROLS.findall(sample))
    if "\x00" in sample or controls > max(10, len(sample) // 100):
        line = text.count("\n", 0, next((i for i, ch in enumerate(sample) if ord(ch) < 9), 0)) + 1
        raise UnreadableFile(f"binary content, not a text report (control characters from line {line})")
    return SourceText(text=text, encoding=encoding)
