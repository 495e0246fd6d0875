"""Wiki talk pages (MediaWiki): comments that end in a signature, replies indented as lists.

A talk page has no comment blocks. A comment is a run of text ending in a signature (a user link then
a timestamp; found by html_talk_signatures on the text stream of html_talk_stream). The page is a talk
page when it has `min_signatures` signatures.

Comments (the reading of MediaWiki's DiscussionTools): a comment runs from the end of the previous
one (or its section heading) to the end of the inline run holding its signature; more signatures in
the same paragraph or list item stay one comment (the first one's author and time). Level = 1 +
the smaller count of li/dd ancestors at the comment's first text and at its timestamp; the parent is
the nearest earlier comment of the same section (any h1-h6 starts one) with a lower level, none for
level 1. Timestamps inside quotes and signatures without a user link end no comment, so unsigned
text before a signed comment is part of it. Text after a section's last signature becomes one unsigned
comment (author None) when it has `min_unsigned_chars` characters and starts outside a template box
(`unsigned_skip_tags`); unsigned texts repeated verbatim on the page (closing notices) are dropped;
text before the first heading that is no comment is the page's lead. Text leaves the signatures
out. Spans: from the start tag of the block where the comment's first text sits (or that text's own
element when the block also holds the previous comment) to the end of the block holding its last
signature, cut at the first nested block after the signature (the replies).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from lxml import html as lxml_html

from pipeline.common.config import HtmlConfig, TalkConfig
from pipeline.common.textnorm import normalize_text
from pipeline.ingest.adapters.html_dom import Cues, DomIndex, SpanLocator
from pipeline.ingest.adapters.html_talk_signatures import Signature, SignatureFinder
from pipeline.ingest.adapters.html_talk_stream import Leaf, TalkStream, leaf_span
from pipeline.ingest.adapters.talk_dates import iso_timestamp, month_names

El = lxml_html.HtmlElement
_INDENT = frozenset({"li", "dd"})  # wikitext ":" and "*" indentation
_PARAGRAPH = frozenset({"li", "dd", "p"})


@dataclass(frozen=True)
class TalkComment:
    """One comment of a talk page, in document order."""

    author: str | None  # None: unsigned
    date_text: str | None  # the timestamp as shown
    date: str | None  # ISO 8601, the wiki's local time
    level: int  # 1 = top level in its section
    parent: int | None  # index of the parent comment; None = top level in its section
    section: str | None  # heading text; None before the first heading
    text: str
    char_start: int | None
    char_end: int | None


@dataclass(frozen=True)
class TalkPage:
    """What a talk page parses to."""

    comments: tuple[TalkComment, ...]
    lead_text: str  # text before the first heading that is no comment
    user_namespaces: tuple[str, ...]


@dataclass
class _Draft:
    """A comment being built: its leaves, level, section, author and signatures."""

    start_leaf: int
    end_leaf: int
    level: int
    section: int
    author: str | None = None
    date_text: str | None = None
    signatures: list[Signature] = field(default_factory=list)


class _Comments:
    """Builds a talk page's comments from its text stream and signatures."""

    def __init__(self, stream: TalkStream, cfg: TalkConfig):
        self.cfg = cfg
        self.stream = stream
        self._indent: dict[El, int] = {}

    def indent(self, leaf: Leaf) -> int:
        """li/dd ancestors of a leaf's element."""
        el = leaf.parent
        if el not in self._indent:
            self._indent[el] = sum(1 for x in (el, *el.iterancestors()) if x.tag in _INDENT)
        return self._indent[el]

    def _run_end(self, i: int) -> int:
        """Index of the last leaf of leaf i's inline run."""
        leaves = self.stream.leaves
        while i + 1 < len(leaves) and leaves[i + 1].run == leaves[i].run:
            i += 1
        return i

    def _paragraph(self, leaf: Leaf) -> El:
        """The paragraph or list item a leaf sits in (its element when there is none)."""
        el = leaf.parent
        return next((x for x in (el, *el.iterancestors()) if x.tag in _PARAGRAPH), el)

    def _first_text(self, after: int, upto: int) -> int | None:
        """Index of the first leaf with visible text after `after` up to `upto`, else None."""
        for i in range(after + 1, upto + 1):
            if self.stream.leaves[i].text.strip():
                return i
        return None

    def drafts(self, sigs: list[Signature | None]) -> list[_Draft]:
        """Comments in document order: signed ones, then unsigned tails of sections, merged and sorted."""
        st = self.stream
        events: list[tuple[int, int, object]] = [(i, 0, h) for i, h in st.headings]
        events += [(s.ts_leaf, 1, s) for s in sigs if s is not None]
        events.sort(key=lambda e: (e[0], e[1]))
        drafts: list[_Draft] = []
        cur_end, section, last = -1, 0, None

        def close_section(upto: int) -> None:
            """Add the unsigned tail of the section that ends at leaf `upto`."""
            if section > 0 and self.cfg.min_unsigned_chars > 0:
                drafts.extend(self._unsigned(cur_end, upto, section))

        for pos, kind, item in events:
            if kind == 0:
                close_section(pos - 1)
                cur_end, section, last = pos - 1, section + 1, None
                continue
            sig: Signature = item  # type: ignore[assignment]
            end = self._run_end(sig.ts_leaf)
            start = self._first_text(cur_end, sig.ts_leaf)
            para = self._paragraph(st.leaves[sig.ts_leaf])
            same = para is self._paragraph(st.leaves[last.end_leaf]) if last is not None else False
            if last is not None and (start is None or same and st.leaves[sig.ts_leaf].barrier == st.leaves[
                    last.end_leaf].barrier):
                last.signatures.append(sig)
                if end > last.end_leaf and start is not None:
                    level = min(self.indent(st.leaves[start]), self.indent(st.leaves[sig.ts_leaf])) + 1
                    last.end_leaf, last.level = end, min(last.level, level)
                cur_end = max(cur_end, last.end_leaf)
                continue
            if start is None:
                continue
            level = min(self.indent(st.leaves[start]), self.indent(st.leaves[sig.ts_leaf])) + 1
            last = _Draft(start, end, level, section, sig.author, sig.date_text, [sig])
            drafts.append(last)
            cur_end = end
        close_section(len(st.leaves) - 1)
        texts = Counter(self.text_of(d) for d in drafts if d.author is None)
        drafts = [d for d in drafts if d.author is not None or texts[self.text_of(d)] == 1]  # template notices
        return sorted(drafts, key=lambda d: d.start_leaf)

    def _unsigned(self, after: int, upto: int, section: int) -> list[_Draft]:
        """Text after a section's last comment as one unsigned comment, unless it starts inside
        `unsigned_skip_tags` (a template box) or is shorter than `min_unsigned_chars`."""
        i = self._first_text(after, upto)
        if i is None:
            return []
        j = max(k for k in range(i, upto + 1) if self.stream.leaves[k].text.strip())
        d = _Draft(i, j, self.indent(self.stream.leaves[i]) + 1, section)
        el = self.stream.leaves[i].parent
        if any(x.tag in self.cfg.unsigned_skip_tags for x in (el, *el.iterancestors())):
            return []
        return [d] if len(self.text_of(d)) >= self.cfg.min_unsigned_chars else []

    def text_of(self, d: _Draft) -> str:
        """A comment's text without its signatures (and the dashes before them)."""
        st = self.stream
        firsts = {s.first_leaf: s for s in d.signatures}
        cut: dict[int, int | None] = {}  # leaf -> stream offset where its kept text starts (None: none kept)
        for s in d.signatures:
            for i in range(s.first_leaf, s.ts_leaf + 1):
                cut[i] = s.ts_end if i == s.ts_leaf else None
        buf: list[str] = []
        run = None
        for i in range(d.start_leaf, d.end_leaf + 1):
            leaf = st.leaves[i]
            if run is not None and leaf.run != run:
                buf.append("\n\n")
            run = leaf.run
            if i in firsts:
                buf = [re.sub(self.cfg.signature_lead_pattern, "", "".join(buf))]
            if i in cut:
                keep = cut[i]
                if keep is not None and keep < leaf.end:
                    buf.append(leaf.text[keep - leaf.start:])
                continue
            buf.append(leaf.text)
        return normalize_text(re.sub(self.cfg.signature_lead_pattern, "", normalize_text("".join(buf))))

    def lead(self, drafts: list[_Draft]) -> str:
        """Text before the first heading that is in no comment."""
        st = self.stream
        stop = st.headings[0][0] if st.headings else len(st.leaves)
        used = {i for d in drafts for i in range(d.start_leaf, d.end_leaf + 1)}
        parts, run = [], None
        for i in range(stop):
            if i in used:
                continue
            leaf = st.leaves[i]
            if run is not None and leaf.run != run:
                parts.append("\n\n")
            run = leaf.run
            parts.append(leaf.text)
        return normalize_text("".join(parts))

    def heading_text(self, section: int) -> str | None:
        """Text of the heading opening a section (edit links left out)."""
        if section == 0:
            return None
        h = self.stream.headings[section - 1][1]
        return re.sub(r"\s*\[[^\]]*\]\s*$", "", " ".join(h.text_content().split())) or None


def _parents(drafts: list[_Draft]) -> list[int | None]:
    """Nearest earlier comment of the same section with a lower level."""
    out: list[int | None] = []
    for k, d in enumerate(drafts):
        parent = None
        for j in range(k - 1, -1, -1):
            if drafts[j].section != d.section:
                break
            if drafts[j].level < d.level:
                parent = j
                break
        out.append(parent)
    return out


def find_talk_page(root: El, text: str, cfg: HtmlConfig) -> TalkPage | None:
    """The page's comments when it is a wiki talk page (enough signatures), else None."""
    if not cfg.talk.enabled:
        return None
    tc = cfg.talk
    ix = DomIndex(root, cfg.exclude_tags, (*cfg.exclude_cues, *tc.exclude_cues))
    stream = TalkStream(root, ix, frozenset(tc.quote_tags), Cues(tc.separator_cues, exact=True))
    finder = SignatureFinder(stream, tc)
    if len(finder.timestamps) < tc.min_signatures:
        return None
    user_ns = finder.user_namespaces()
    sigs = finder.signatures(user_ns, finder.contribution_pages(user_ns))
    if sum(s is not None for s in sigs) < tc.min_signatures:
        return None
    t = _Comments(stream, tc)
    drafts = t.drafts(sigs)
    months = month_names((d.date_text for d in drafts if d.date_text), tc.month_name_similarity)
    loc = SpanLocator(text, ix)
    parents = _parents(drafts)
    comments = []
    for k, d in enumerate(drafts):
        start, end = leaf_span(stream, d.start_leaf, d.end_leaf, loc)
        comments.append(TalkComment(
            d.author, d.date_text, iso_timestamp(d.date_text, months) if d.date_text else None, d.level,
            parents[k], t.heading_text(d.section), t.text_of(d), start, end))
    return TalkPage(tuple(comments), t.lead(drafts), tuple(sorted(user_ns)))
