"""Where records sit in the decoded source (line index, XML element spans) and XML parsing with recovery."""

from __future__ import annotations

import bisect
import re
from typing import Any

from lxml import etree

from pipeline.common.textnorm import DecodeError, decode
from pipeline.ingest.adapters.base import Source, SourceError
from pipeline.ingest.adapters.structured import problem


class LineIndex:
    """Character offsets of line starts in a decoded text (lines split on '\\n', numbered from 1)."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def start(self, line: int) -> int:
        """Offset where 1-based `line` starts (clamped to the text)."""
        return self.starts[min(max(line, 1), len(self.starts)) - 1]

    def end(self, line: int) -> int:
        """Offset where 1-based `line` ends (before its newline)."""
        if line >= len(self.starts):
            return len(self.text)
        return self.starts[line] - 1

    def line_of(self, offset: int) -> int:
        """1-based line holding `offset`."""
        return bisect.bisect_right(self.starts, offset)


_DECL = re.compile(r"^\ufeff?(<\?xml[^>]*?)\sencoding\s*=\s*[\"'][^\"']*[\"']")


def xml_bytes(text: str) -> bytes:
    """The decoded text as UTF-8 bytes for lxml: BOM dropped, a declared encoding replaced by UTF-8."""
    return _DECL.sub(r'\1 encoding="UTF-8"', text, count=1).lstrip("\ufeff").encode("utf-8")


def parse_xml(source: Source, text: str | None = None) -> tuple[etree._Element, list[dict[str, Any]]]:
    """Parse XML, recovering from errors; problems name each unrecoverable spot by line.

    With `text` (the file decoded by pipeline.common.textnorm.decode) lxml reads that text, so XML in cp1252,
    mixed encodings or UTF-16 gives the same characters (and offsets) as every other adapter.
    """
    data = source.data if text is None else xml_bytes(text)
    try:
        return etree.fromstring(data, etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)), []
    except etree.XMLSyntaxError:
        pass
    data, repaired = repair_ampersands(data)
    problems = [problem(source, "bad-xml-repaired", f"line {line}: bare '&' read as '&amp;'", f"line {line}")
                for line in repaired]
    parser = etree.XMLParser(recover=True, huge_tree=True, resolve_entities=False, no_network=True)
    first_error = "no XML element found"
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        root = None
        first_error = f"line {e.lineno}: {e.msg}" if e.lineno else str(e)
    errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    if root is None:
        first = f"line {errors[0].line}: {errors[0].message}" if errors else first_error
        raise SourceError("bad-xml", f"{source.path}: unrecoverable XML ({first})",
                          f"line {errors[0].line}" if errors else None)
    problems += [problem(source, "bad-xml", f"line {e.line}, column {e.column}: {e.message}", f"line {e.line}")
                 for e in errors]
    return root, problems


_CDATA = re.compile(rb"<!\[CDATA\[.*?\]\]>", re.S)
_BARE_AMP = re.compile(rb"&(?!(?:#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z_][A-Za-z0-9._-]*);)")


def repair_ampersands(data: bytes) -> tuple[bytes, list[int]]:
    """Escape bare '&' outside CDATA (the commonest export defect); lines stay where they were."""
    out, lines, pos = [], [], 0
    for m in [*_CDATA.finditer(data), None]:
        end = m.start() if m is not None else len(data)
        chunk = data[pos:end]
        for a in _BARE_AMP.finditer(chunk):
            lines.append(data.count(b"\n", 0, pos + a.start()) + 1)
        out.append(_BARE_AMP.sub(b"&amp;", chunk))
        if m is not None:
            out.append(m.group())
            pos = m.end()
    return b"".join(out), sorted(set(lines))


def tag_literal(el: etree._Element) -> str:
    """The element's tag as written in the source (prefix:local or local)."""
    local = etree.QName(el).localname
    return f"{el.prefix}:{local}" if el.prefix else local


class SpanFinder:
    """Locate elements of the decoded source: start tag from sourceline, end after the closing tag."""

    def __init__(self, lines: LineIndex):
        self.lines, self.cursor = lines, {}
        self.found: dict[str, list[int]] = {}

    def span(self, el: etree._Element) -> tuple[int | None, int | None]:
        """(char_start, char_end) of `el`, or (None, None) where it cannot be located."""
        lit = tag_literal(el)
        text = self.lines.text
        lo = max(self.cursor.get(lit, 0), self.lines.start(el.sourceline or 1))
        m = re.compile(rf"<{re.escape(lit)}(?=[\s/>])").search(text, lo)
        if m is None:
            return None, None
        start = m.start()
        self.cursor[lit] = m.end()
        self.found.setdefault(lit, []).append(start)
        gt = text.find(">", m.end())
        if gt > 0 and text[gt - 1] == "/":
            return start, gt + 1
        close = text.find(f"</{lit}>", m.end())
        return start, (None if close < 0 else close + len(lit) + 3)

    def lost(self, lit: str) -> list[int]:
        """Line numbers of `<lit ...>` start tags (not self-closing) that no parsed element was matched to."""
        matched = set(self.found.get(lit, []))
        pat = re.compile(rf"<{re.escape(lit)}(?=[\s>])[^<>]*(?<!/)>")
        return [self.lines.line_of(m.start()) for m in pat.finditer(self.lines.text) if m.start() not in matched]


def decode_and_parse_xml(source: Source) -> tuple[str, etree._Element, list[dict[str, Any]]]:
    """Decode an XML source and parse it with recovery: (text, root, problems rows)."""
    try:
        text, _ = decode(source.data)
    except DecodeError as e:
        raise SourceError("bad-encoding", f"{source.path}: {e}") from None
    root, problems = parse_xml(source, text)
    return text, root, problems
