"""Wiki talk pages (MediaWiki): comments that end in a signature, replies indented as lists.

A talk page has no comment blocks. A comment is a run of text ending in a signature: a link to a
user page, user talk page or an IP's contributions, followed (within `signature_scan_chars`, no block
boundary in between) by a timestamp (`timestamp_pattern`: time, 4-digit year, "(zone)", any script).
User namespaces are found on the page, not listed per language: a namespace (from the href,
`/wiki/<Ns>:<Name>`, Parsoid `./<Ns>:<Name>` or `index.php?title=`) is one when, before at least
`min_namespace_signatures` timestamps, its link and a link of another namespace to the same name stand
in signature reach (a user page and its talk page, "User:X ... User talk:X"); `user_namespaces` is a
fallback. The page is a talk page when it has `min_signatures` signatures.

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

import bisect
import ipaddress
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import unquote

from lxml import html as lxml_html

from pipeline.common.config import HtmlConfig, TalkConfig
from pipeline.common.textnorm import normalize_text
from pipeline.ingest.adapters.html_dom import Cues, DomIndex, SpanLocator
from pipeline.ingest.adapters.talk_dates import iso_timestamp, month_names

El = lxml_html.HtmlElement
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements that end an inline run (the block list of DiscussionTools' comment parser).
BLOCKS = frozenset({
    "div", "p", "table", "tbody", "thead", "tfoot", "caption", "th", "tr", "td", "ul", "ol", "li", "dl", "dt", "dd",
    "hgroup", "article", "aside", "body", "nav", "section", "footer", "header", "figure", "figcaption", "fieldset",
    "details", "blockquote", "hr", "button", "canvas", "center", "col", "colgroup", "embed", "map", "object", "pre",
    "progress", "video", *HEADINGS,
})
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


@dataclass(frozen=True)
class _Leaf:
    text: str
    owner: El  # the element whose .text (tail False) or .tail (tail True) this is
    tail: bool
    run: int  # inline run; changes at every block boundary
    section: int  # headings seen before it
    start: int  # offset in the stream text
    quoted: bool
    barrier: int  # comment separators (outdent templates) seen before it

    @property
    def parent(self) -> El:
        """The element the text sits in."""
        return self.owner.getparent() if self.tail else self.owner

    @property
    def end(self) -> int:
        """Offset after the text in the stream."""
        return self.start + len(self.text)


class _Stream:
    """The page's text as leaves in document order, joined into one string (runs split by newlines)."""

    def __init__(self, root: El, ix: DomIndex, quote_tags: frozenset[str], separators: Cues):
        self.ix = ix
        self.quote_tags = quote_tags
        self.separators = separators
        self._barrier = 0
        self.leaves: list[_Leaf] = []
        self.headings: list[tuple[int, El]] = []  # (index of the first leaf after it, heading)
        self._parts: list[str] = []
        self._pos, self._run, self._last_run = 0, 0, -1
        self._walk(root, False)
        self.text = "".join(self._parts)
        self.starts = [leaf.start for leaf in self.leaves]

    def _add(self, text: str, owner: El, tail: bool, quoted: bool) -> None:
        if not text:
            return
        if self._last_run != self._run and self._parts:
            self._parts.append("\n")
            self._pos += 1
        self._last_run = self._run
        self.leaves.append(_Leaf(text, owner, tail, self._run, len(self.headings), self._pos, quoted, self._barrier))
        self._parts.append(text.replace("\n", " "))
        self._pos += len(text)

    def _walk(self, el: El, quoted: bool) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None or self.ix.order[el] in self.ix.excluded:
            return
        if tag in HEADINGS:
            self._run += 1
            self.headings.append((len(self.leaves), el))
            return
        if tag == "br":
            self._add("\n", el, False, quoted)
            return
        if self.separators.match(el):  # an outdent: a new comment starts after it, even in one paragraph
            self._run += 1
            self._barrier += 1
            return
        block = tag in BLOCKS
        self._run += block
        quoted = quoted or tag in self.quote_tags
        self._add(el.text or "", el, False, quoted)
        for child in el:
            self._walk(child, quoted)
            self._add(child.tail or "", child, True, quoted)
        self._run += block

    def leaf_at(self, offset: int) -> int:
        """Index of the leaf holding a stream offset (the one before it when the offset is a separator)."""
        return max(0, bisect.bisect_right(self.starts, offset) - 1)


@dataclass(frozen=True)
class _Signature:
    author: str
    first_leaf: int  # the signer's earliest link in reach
    ts_leaf: int  # leaf holding the timestamp's last character
    ts_start: int  # stream offsets of the timestamp
    ts_end: int
    date_text: str


@dataclass
class _Draft:
    start_leaf: int
    end_leaf: int
    level: int
    section: int
    author: str | None = None
    date_text: str | None = None
    signatures: list[_Signature] = field(default_factory=list)


def page_title(href: str, patterns: list[re.Pattern[str]]) -> tuple[str, str] | None:
    """(namespace, name) of a wiki link's target; None when it has no namespace."""
    for pat in patterns:
        m = pat.search(href)
        if m:
            title = " ".join(unquote(m.group(1)).replace("_", " ").split())
            ns, sep, name = title.partition(":")
            ns, name = ns.strip(), name.strip()
            if sep and ns and name and len(ns) <= 40 and "/" not in ns:
                return ns, name
            return None
    return None


def _ns_key(ns: str) -> str:
    return ns.casefold()


def _ip(text: str) -> str | None:
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return str(text.strip()).upper() if addr.version == 6 else str(addr)


def _base(name: str) -> str:
    return name.split("/", 1)[0].casefold()


def _capital(name: str) -> str:
    return name[:1].upper() + name[1:]


def user_name(title: tuple[str, str], user_ns: frozenset[str], contributions: frozenset[tuple[str, str]]) -> str | None:
    """The user a link names: a user (talk) page that is no subpage, a user's contributions page
    (`<Ns>:<Page>/<Name>` with (Ns, Page) among `contributions`), or any page ending in "/<IP>"."""
    ns, name = title
    if "/" in name:
        page, rest = name.split("/", 1)
        if (_ns_key(ns), page.casefold()) in contributions and rest and "/" not in rest:
            return _ip(rest) or _capital(rest)
        return _ip(name.rsplit("/", 1)[-1])
    if _ns_key(ns) in user_ns:
        return _ip(name) or _capital(name)
    return None


class _Talk:
    def __init__(self, root: El, cfg: HtmlConfig):
        self.cfg: TalkConfig = cfg.talk
        self.ix = DomIndex(root, cfg.exclude_tags, (*cfg.exclude_cues, *cfg.talk.exclude_cues))
        self.stream = _Stream(root, self.ix, frozenset(self.cfg.quote_tags), Cues(self.cfg.separator_cues, exact=True))
        self.patterns = [re.compile(p) for p in self.cfg.title_patterns]
        self._links: dict[El, tuple[str, str] | None] = {}
        self._link_of: dict[El, El | None] = {}
        self._indent: dict[El, int] = {}
        self.timestamps = self._timestamps()

    # -- links -------------------------------------------------------------------------------
    def link(self, leaf: _Leaf) -> El | None:
        """The <a href> a leaf's text sits in."""
        el = leaf.parent
        if el not in self._link_of:
            a = next((x for x in (el, *el.iterancestors()) if x.tag == "a" and x.get("href")), None)
            self._link_of[el] = a
        return self._link_of[el]

    def title(self, a: El) -> tuple[str, str] | None:
        """(namespace, name) of a link."""
        if a not in self._links:
            self._links[a] = page_title(a.get("href") or "", self.patterns)
        return self._links[a]

    def indent(self, leaf: _Leaf) -> int:
        """li/dd ancestors of a leaf's element."""
        el = leaf.parent
        if el not in self._indent:
            self._indent[el] = sum(1 for x in (el, *el.iterancestors()) if x.tag in _INDENT)
        return self._indent[el]

    # -- timestamps and signatures -----------------------------------------------------------
    def _timestamps(self) -> list[tuple[int, int]]:
        """Stream spans of the timestamps outside quotes and headings."""
        pat = re.compile(self.cfg.timestamp_pattern)
        out = []
        s = self.stream.text
        st = self.stream
        for m in pat.finditer(s):
            # A year in the text before a signature can open a match that runs over the signature's
            # links: cut after the last link ending inside the match, to the longest suffix that matches.
            start, i = m.start(), st.leaf_at(m.end() - 1)
            cut = None
            while i >= 0 and st.leaves[i].end > m.start():
                leaf = st.leaves[i]
                if leaf.start > m.start() and leaf.end < m.end() and self.link(leaf) is not None:
                    cut = leaf.end
                    break
                i -= 1
            if cut is not None:
                start = next((p for p in range(cut, m.end()) if pat.fullmatch(s, p, m.end())), start)
            leaf = st.leaves[st.leaf_at(m.end() - 1)]
            if not leaf.quoted:
                out.append((start, m.end()))
        return out

    def _reach(self, start: int, floor: int) -> list[tuple[int, El]]:
        """Links (leaf index, <a>) ending within signature reach before a stream offset, nearest first."""
        st = self.stream
        i = st.leaf_at(start)
        run = st.leaves[i].run
        lo = max(floor, start - self.cfg.signature_scan_chars)
        out = []
        while i >= 0:
            leaf = st.leaves[i]
            if leaf.run != run or leaf.end < lo:
                break
            if leaf.start < start:
                a = self.link(leaf)
                if a is not None:
                    out.append((i, a))
            i -= 1
        return out

    def user_namespaces(self) -> frozenset[str]:
        """Namespaces linked in signature reach of at least `min_namespace_signatures` timestamps together
        with a link of another namespace to the same name (User:X with User talk:X), plus the fallback."""
        hits: dict[str, int] = {}
        floor = 0
        for start, end in self.timestamps:
            titles = [t for t in (self.title(a) for _, a in self._reach(start, floor)) if t]
            paired = {_ns_key(a[0]) for a in titles for b in titles
                      if _ns_key(a[0]) != _ns_key(b[0]) and _base(a[1]) == _base(b[1])}
            for ns in paired:
                hits[ns] = hits.get(ns, 0) + 1
            floor = end
        found = {ns for ns, n in hits.items() if n >= self.cfg.min_namespace_signatures}
        return frozenset(found | {_ns_key(n) for n in self.cfg.user_namespaces})

    def _titles(self) -> list[tuple[str, str]]:
        links = {self.link(leaf) for leaf in self.stream.leaves} - {None}
        return [t for t in (self.title(a) for a in links) if t]  # type: ignore[arg-type]

    def contribution_pages(self, user_ns: frozenset[str]) -> frozenset[tuple[str, str]]:
        """(namespace, page) of the pages that take a user name after "/" (Special:Contributions/<Name>):
        those linked with an IP or a user-page name after the "/" at least `min_namespace_signatures`
        times, plus the fallback `contribution_pages`."""
        titles = self._titles()
        users = {_capital(n) for ns, n in titles if _ns_key(ns) in user_ns and "/" not in n}
        counts: dict[tuple[str, str], int] = {}
        for ns, name in titles:
            page, sep, rest = name.partition("/")
            if sep and rest and "/" not in rest and (_ip(rest) or _capital(rest) in users):
                key = (_ns_key(ns), page.casefold())
                counts[key] = counts.get(key, 0) + 1
        fallback = {(_ns_key(p.partition(":")[0]), p.partition(":")[2].casefold()) for p in self.cfg.contribution_pages}
        return frozenset({k for k, n in counts.items() if n >= self.cfg.min_namespace_signatures} | fallback)

    def signatures(self, user_ns: frozenset[str], contributions: frozenset[tuple[str, str]]) -> list[_Signature | None]:
        """For each timestamp, its signature (None when no user link is in reach)."""
        out: list[_Signature | None] = []
        floor = 0
        for start, end in self.timestamps:
            author, first = None, None
            for i, a in self._reach(start, floor):
                t = self.title(a)
                name = user_name(t, user_ns, contributions) if t else None
                if name is None:
                    continue
                if author is None:
                    author = name
                if name == author:
                    first = i
            floor = end
            if author is None or first is None:
                out.append(None)
                continue
            ts_leaf = self.stream.leaf_at(end - 1)
            out.append(_Signature(author, first, ts_leaf, start, end, " ".join(self.stream.text[start:end].split())))
        return out

    # -- comments ----------------------------------------------------------------------------
    def _run_end(self, i: int) -> int:
        leaves = self.stream.leaves
        while i + 1 < len(leaves) and leaves[i + 1].run == leaves[i].run:
            i += 1
        return i

    def _paragraph(self, leaf: _Leaf) -> El:
        el = leaf.parent
        return next((x for x in (el, *el.iterancestors()) if x.tag in _PARAGRAPH), el)

    def _first_text(self, after: int, upto: int) -> int | None:
        for i in range(after + 1, upto + 1):
            if self.stream.leaves[i].text.strip():
                return i
        return None

    def drafts(self, sigs: list[_Signature | None]) -> list[_Draft]:
        """Comments in document order: signed ones, then unsigned tails of sections, merged and sorted."""
        st = self.stream
        events: list[tuple[int, int, object]] = [(i, 0, h) for i, h in st.headings]
        events += [(s.ts_leaf, 1, s) for s in sigs if s is not None]
        events.sort(key=lambda e: (e[0], e[1]))
        drafts: list[_Draft] = []
        cur_end, section, last = -1, 0, None

        def close_section(upto: int) -> None:
            if section > 0 and self.cfg.min_unsigned_chars > 0:
                drafts.extend(self._unsigned(cur_end, upto, section))

        for pos, kind, item in events:
            if kind == 0:
                close_section(pos - 1)
                cur_end, section, last = pos - 1, section + 1, None
                continue
            sig: _Signature = item  # type: ignore[assignment]
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

    # -- spans -------------------------------------------------------------------------------
    def _block(self, el: El) -> El:
        return next((x for x in (el, *el.iterancestors()) if x.tag in BLOCKS), el)

    def span(self, d: _Draft, loc: SpanLocator) -> tuple[int | None, int | None]:
        """Character offsets of a comment in the decoded page (see the module doc)."""
        ix, st = self.ix, self.stream
        first, last = st.leaves[d.start_leaf], st.leaves[d.end_leaf]
        block = self._block(first.parent)
        before = next((i for i in range(d.start_leaf - 1, -1, -1) if st.leaves[i].text.strip()), None)
        heads = [h for i, h in st.headings if i <= d.start_leaf]
        shared = (before is not None and ix.inside(st.leaves[before].parent, block)) or (
            bool(heads) and ix.inside(heads[-1], block))
        if not shared:
            start = loc.start(block)
        elif first.tail:
            s = loc.start(first.owner)
            start = loc.end(first.owner, s) if s is not None else None
        else:
            start = loc.start(first.owner)
        end_block = self._block(last.parent)
        nxt = ix.following(last.owner) if last.tail or not len(last.owner) else next(
            (c for c in last.owner if isinstance(c.tag, str)), ix.following(last.owner))
        end = None
        if nxt is not None and ix.inside(nxt, end_block):
            k = ix.order[nxt]
            stop = ix.end[ix.order[end_block]]
            while k <= stop and ix.elements[k].tag not in BLOCKS:
                k += 1
            if k <= stop:
                end = loc.start(ix.elements[k])
        if end is None:
            s = loc.start(end_block)
            end = loc.end(end_block, s) if s is not None else None
        return start, end

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
    t = _Talk(root, cfg)
    if len(t.timestamps) < cfg.talk.min_signatures:
        return None
    user_ns = t.user_namespaces()
    sigs = t.signatures(user_ns, t.contribution_pages(user_ns))
    if sum(s is not None for s in sigs) < cfg.talk.min_signatures:
        return None
    drafts = t.drafts(sigs)
    months = month_names((d.date_text for d in drafts if d.date_text), cfg.talk.month_name_similarity)
    loc = SpanLocator(text, t.ix)
    parents = _parents(drafts)
    comments = []
    for k, d in enumerate(drafts):
        start, end = t.span(d, loc)
        comments.append(TalkComment(
            d.author, d.date_text, iso_timestamp(d.date_text, months) if d.date_text else None, d.level,
            parents[k], t.heading_text(d.section), t.text_of(d), start, end))
    return TalkPage(tuple(comments), t.lead(drafts), tuple(sorted(user_ns)))
