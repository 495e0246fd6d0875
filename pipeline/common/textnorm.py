"""Text decoding and normalisation shared by all adapters (documented, reversible to the raw span)."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TAB_OR_WIDE_SPACE = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")  # _SPACES but the plain space
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\ufeff]")
_BLANKS = re.compile(r"\n\s*\n+")
# Whitespace other than " " and "\n", and zero-width characters: what normalize_text rewrites in any line.
_ODD_SPACE = re.compile("[\t\r\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200d\u2028\u2029\u202f\u205f\u3000\ufeff]")


class DecodeError(ValueError):
    """The bytes are not text in any encoding we accept."""


def decode(data: bytes) -> tuple[str, str]:
    """Decode source bytes; returns (text, encoding). See `decode_detail`."""
    d = decode_detail(data)
    return d.text, d.encoding


@dataclass(frozen=True)
class Decoded:
    """Decoded text, the encoding used, and where bytes fell back to cp1252 (mixed files)."""

    text: str
    encoding: str  # utf-8 | utf-8-sig | utf-16 | utf-16-le | utf-16-be | cp1252 | latin-1 | utf-8+cp1252
    fallback_lines: tuple[int, ...] = ()  # 1-based lines holding bytes decoded as cp1252 in a mixed file


_UTF8_MULTI = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NUL bytes sit at every odd/even position (ASCII-heavy UTF-16)."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    odd, even = sample[1:2 * pairs:2].count(0), sample[0:2 * pairs:2].count(0)
    if odd >= 0.9 * pairs and even == 0:
        return "utf-16-le"
    if even >= 0.9 * pairs and odd == 0:
        return "utf-16-be"
    return None


def decode_detail(data: bytes) -> Decoded:
    """Decode source bytes: BOM first, then UTF-8, mixed UTF-8 + cp1252, then cp1252 (latin-1).

    UTF-16 without a BOM is recognised by its NUL pattern; other NUL bytes mean binary data
    (DecodeError). A file that is mostly valid UTF-8 with some invalid bytes (a cp1252 paste into a
    UTF-8 file) keeps its UTF-8 and decodes each invalid byte as cp1252 (encoding "utf-8+cp1252").
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return Decoded(data.decode(enc), enc)
            except UnicodeDecodeError as e:
                raise DecodeError(f"{enc} byte-order mark but invalid {enc} at byte {e.start}") from None
    sample = data[:8192]
    if b"\x00" in sample:
        enc16 = _utf16_without_bom(sample)
        if enc16 is None:
            raise DecodeError("binary data (NUL bytes)")
        try:
            return Decoded(data.decode(enc16), enc16)
        except UnicodeDecodeError as e:
            raise DecodeError(f"looks like {enc16} without a byte-order mark but is invalid at byte {e.start}") from None
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTI.search(data):
        return _mixed(data)
    try:
        return Decoded(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        return Decoded(data.decode("latin-1"), "latin-1")


def _mixed(data: bytes) -> Decoded:
    """UTF-8 where valid; each invalid byte as cp1252 (latin-1 for its five unassigned bytes)."""
    lines: list[int] = []
    state = {"pos": 0, "line": 1}

    def fallback(e: UnicodeError) -> tuple[str, int]:
        assert isinstance(e, UnicodeDecodeError)
        state["line"] += e.object.count(b"\n", state["pos"], e.start)
        state["pos"] = e.start
        if not lines or lines[-1] != state["line"]:
            lines.append(state["line"])
        bad = e.object[e.start:e.end]
        try:
            return bad.decode("cp1252"), e.end
        except UnicodeDecodeError:
            return bad.decode("latin-1"), e.end

    codecs.register_error("pipeline-cp1252-fallback", fallback)
    text = data.decode("utf-8", errors="pipeline-cp1252-fallback")
    return Decoded(text, "utf-8+cp1252", tuple(lines))


def is_normal(text: str) -> bool:
    """Whether `normalize_text(text) == text`, for certain when True: NFC, no zero-width character, no
    whitespace but single spaces inside lines and newlines, no more than one blank line in a row, lines
    and text stripped (found with fast substring scans)."""
    return not ("  " in text or " \n" in text or "\n " in text or "\n\n\n" in text) and text == text.strip() \
        and not _ODD_SPACE.search(text) and (text.isascii() or unicodedata.is_normalized("NFC", text))


def normalize_text(text: str) -> str:
    """Normalise an utterance's text.

    NFC; zero-width characters dropped; non-breaking and other Unicode spaces become plain spaces;
    runs of spaces collapse to one; each line is stripped; paragraphs (blank-line separated) are
    joined by one blank line. Curly quotes, dashes and emoji are kept as they are.
    """
    if is_normal(text):
        return text  # every step below would leave it as it is
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    # stripped first (the same: a line's outer runs are whitespace either way); runs collapsed where a line has
    # something to collapse (two spaces, or a tab or Unicode space, looked for once in the whole text)
    odd = _TAB_OR_WIDE_SPACE.search(text) is not None
    lines = [_SPACES.sub(" ", line) if "  " in line or odd and _TAB_OR_WIDE_SPACE.search(line) else line
             for line in (raw.strip() for raw in text.split("\n"))]
    joined = "\n".join(lines).strip()
    return _BLANKS.sub("\n\n", joined)
