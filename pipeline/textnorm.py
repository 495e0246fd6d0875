"""Text decoding and normalisation shared by all adapters (documented, reversible to the raw span)."""

from __future__ import annotations

import codecs
import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\ufeff]")
_BLANKS = re.compile(r"\n\s*\n+")


class DecodeError(ValueError):
    """The bytes are not text in any encoding we accept."""


def decode(data: bytes) -> tuple[str, str]:
    """Decode source bytes: BOM first, then UTF-8, then cp1252; binary data raises DecodeError."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc), enc
    sample = data[:8192]
    if b"\x00" in sample:
        raise DecodeError("binary data (NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        return text, "latin-1"
    return text, "cp1252"


def normalize_text(text: str) -> str:
    """Normalise an utterance's text.

    NFC; zero-width characters dropped; non-breaking and other Unicode spaces become plain spaces;
    runs of spaces collapse to one; each line is stripped; paragraphs (blank-line separated) are
    joined by one blank line. Curly quotes, dashes and emoji are kept as they are.
    """
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines).strip()
    return _BLANKS.sub("\n\n", joined)
