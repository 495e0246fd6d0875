"""DOM helpers for the HTML adapter: a document-order index, cue matching, text rendering, spans."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from datetime import datetime

from dateutil import parser as date_parser
from lxml import html as lxml_html

# Subtrees that never hold reader-visible comment content.
EXCLUDED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "form", "textarea", "select", "button", "head", "svg", "iframe"}
)
BLOCK_TAGS = frozenset(
    {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "h1", "h2", "h3",
     "h4", "h5", "h6", "article", "section", "header", "footer", "aside", "figure", "hr"}
)
_SPLIT = re.compile(r"[-_:]")


class Cues:
    """A set of class/id/itemprop cue words, matched against an element's tokens."""

    def __init__(self, words: Iterable[str], exact: bool = False):
        self.words = tuple(w.lower() for w in words)
        self.exact = exact

    def match_token(self, token: str) -> bool:
        """True when a token is a cue, has a cue as a part (split on - _ :), or starts/ends with a long cue."""
        if self.exact:
            return token in self.words
        parts = _SPLIT.split(token)
        for w in self.words:
            if w == token or w in parts or (len(w) >= 4 and (token.startswith(w) or token.endswith(w))):
                return True
        return False

    def match(self, el: lxml_html.HtmlElement) -> bool:
        """True when any class, id or itemprop token of the element is a cue."""
        return any(self.match_token(t) for t in tokens(el))


def tokens(el: lxml_html.HtmlElement) -> list[str]:
    """Lower-cased class, id and itemprop tokens of an element."""
    vals = (el.get("class") or "", el.get("id") or "", el.get("itemprop") or "")
    return [t.lower() for v in vals for t in v.split()]


def signature(el: lxml_html.HtmlElement) -> tuple[str, str]:
    """Tag and first class token with digits removed: the shape shared by repeated sibling blocks."""
    classes = (el.get("class") or "").split()
    first = re.sub(r"\d+", "", classes[0].lower()) if classes else ""
    return (str(el.tag), first)


LETTER = re.compile(r"[^\W\d_]")  # a letter: a name or a body has one; "#1", "12:40" and "—" do not
NOT_TEXT = frozenset({"form", "textarea", "button", "select", "script", "style", "noscript", "svg", "template"})


def quoted(el: lxml_html.HtmlElement, top: lxml_html.HtmlElement | None = None) -> bool:
    """Whether an element sits in a quotation (blockquote, q, a quote/bbcodeblock class) below `top`: a
    quoted post's attribution ("X said:") names the quoted author, not the comment's."""
    for a in el.iterancestors():
        if a is top:
            return False
        if a.tag in ("blockquote", "q") or any(p in ("quote", "bbcodeblock") for p in (a.get("class") or "").lower().split()):
            return True
    return False


class DomIndex:
    """Document order and subtree extents of every element (comments and PIs skipped)."""

    def __init__(self, root: lxml_html.HtmlElement, exclude_tags: Iterable[str] = (), exclude_cues: Iterable[str] = ()):
        self.root = root
        self.exclude_tags = EXCLUDED_TAGS | set(exclude_tags)
        self.exclude_cues = Cues(exclude_cues, exact=True)
        self.elements = [el for el in root.iter() if isinstance(el.tag, str)]
        self.order = {el: i for i, el in enumerate(self.elements)}
        self.end = [0] * len(self.elements)
        for i in range(len(self.elements) - 1, -1, -1):
            kids = [c for c in self.elements[i] if isinstance(c.tag, str)]
            self.end[i] = self.end[self.order[kids[-1]]] if kids else i
        self.excluded = self._excluded()

    def _excluded(self) -> set[int]:
        out: set[int] = set()
        for i, el in enumerate(self.elements):
            if i not in out and (el.tag in self.exclude_tags or self.exclude_cues.match(el)):
                out.update(range(i, self.end[i] + 1))
        return out

    def inside(self, el: lxml_html.HtmlElement, container: lxml_html.HtmlElement) -> bool:
        """True when `el` is `container` or one of its descendants."""
        i, c = self.order[el], self.order[container]
        return c <= i <= self.end[c]

    def count_in(self, sorted_idx: list[int], container: lxml_html.HtmlElement) -> int:
        """How many of the sorted element indices fall inside `container`."""
        c = self.order[container]
        return bisect.bisect_right(sorted_idx, self.end[c]) - bisect.bisect_left(sorted_idx, c)

    def following(self, el: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
        """The first element after `el`'s subtree in document order."""
        nxt = self.end[self.order[el]] + 1
        return self.elements[nxt] if nxt < len(self.elements) else None


def render_text(el: lxml_html.HtmlElement, skip: Callable[[lxml_html.HtmlElement], bool]) -> str:
    """Reader-visible text of `el` with block breaks, leaving out subtrees where `skip` is true."""
    out: list[str] = []

    def walk(node: lxml_html.HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag and not skip(node):
            if tag == "br":
                out.append("\n")
            block = tag in BLOCK_TAGS
            if block:
                out.append("\n\n")
            if node.text:
                out.append(node.text)
            for child in node:
                walk(child)
            if block:
                out.append("\n\n")
        if node.tail and node is not el:
            out.append(node.tail)

    walk(el)
    return "".join(out)


_DEFAULTS = (datetime(1900, 1, 1, 0, 0, 0), datetime(2000, 2, 2, 1, 1, 1))


def iso_date(value: str | None) -> str | None:
    """ISO 8601 for a date string; None when a year, month or day would have to be guessed."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        a, b = (date_parser.parse(value, default=d, fuzzy=True) for d in _DEFAULTS)
    except (ValueError, OverflowError):
        return None
    if (a.year, a.month, a.day) != (b.year, b.month, b.day):
        return None
    if (a.hour, a.minute) != (b.hour, b.minute):
        return a.date().isoformat()
    return a.isoformat()


class SpanLocator:
    """Character offsets of elements' start tags in the decoded HTML (sourceline + tag order)."""

    def __init__(self, text: str, index: DomIndex):
        self.text = text
        self.index = index
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.by_line: dict[tuple[str, int], list[lxml_html.HtmlElement]] = {}
        for el in index.elements:
            if el.sourceline is not None:
                self.by_line.setdefault((str(el.tag), el.sourceline), []).append(el)

    def start(self, el: lxml_html.HtmlElement) -> int | None:
        """Offset of the element's `<tag`, or None when the parser implied the element."""
        line = el.sourceline
        if line is None or line > len(self.line_starts):
            return None
        tag = str(el.tag)
        k = self.by_line[(tag, line)].index(el)
        lo = self.line_starts[line - 1]
        hi = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        pat = re.compile(rf"<{re.escape(tag)}\b[^>]*>", re.I)
        found = [m for m in pat.finditer(self.text, lo, min(len(self.text), hi + 5000)) if m.start() < hi]
        if k >= len(found):
            return None
        m = found[k]
        want = el.get("id")
        if want and want not in m.group(0):
            return None
        return m.start()

    def end(self, el: lxml_html.HtmlElement, start: int) -> int | None:
        """Offset after the element's matching end tag (nesting counted), else the next element's start."""
        tag = re.escape(str(el.tag))
        depth = 0
        nxt = self.index.following(el)
        limit = self.start(nxt) if nxt is not None else None
        stop = limit if limit is not None else len(self.text)
        for m in re.compile(rf"<(/?){tag}\b[^>]*>", re.I).finditer(self.text, start, stop):
            depth += -1 if m.group(1) else 1
            if depth == 0:
                return m.end()
        return limit
