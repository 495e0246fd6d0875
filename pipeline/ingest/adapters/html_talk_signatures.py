"""Signatures on a wiki talk page (MediaWiki): timestamps, the user links before them, user namespaces.

A signature is a link to a user page, user talk page or an IP's contributions, followed (within
`signature_scan_chars`, no block boundary in between) by a timestamp (`timestamp_pattern`: time, 4-digit
year, "(zone)", any script). User namespaces are found on the page, not listed per language: a namespace
(from the href, `/wiki/<Ns>:<Name>`, Parsoid `./<Ns>:<Name>` or `index.php?title=`) is one when, before
at least `min_namespace_signatures` timestamps, its link and a link of another namespace to the same
name stand in signature reach (a user page and its talk page, "User:X ... User talk:X");
`user_namespaces` is a fallback. Timestamps inside quotes are left out; a timestamp without a user
link in reach closes no signature.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote

from lxml import html as lxml_html

from pipeline.common.config import TalkConfig
from pipeline.ingest.adapters.html_talk_stream import Leaf, TalkStream

El = lxml_html.HtmlElement


@dataclass(frozen=True)
class Signature:
    """A signed timestamp: the signer and where the signature sits in the stream."""

    author: str
    first_leaf: int  # the signer's earliest link in reach
    ts_leaf: int  # leaf holding the timestamp's last character
    ts_start: int  # stream offsets of the timestamp
    ts_end: int
    date_text: str


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
    """A namespace as compared (case-folded)."""
    return ns.casefold()


def _ip(text: str) -> str | None:
    """The IP address a text is (IPv6 upper-cased), else None."""
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return str(text.strip()).upper() if addr.version == 6 else str(addr)


def _base(name: str) -> str:
    """A page name without its subpage, case-folded."""
    return name.split("/", 1)[0].casefold()


def _capital(name: str) -> str:
    """A name with its first letter upper-cased (as MediaWiki shows user names)."""
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


class SignatureFinder:
    """The timestamps of a talk page's text stream and the signatures they close."""

    def __init__(self, stream: TalkStream, cfg: TalkConfig):
        self.cfg = cfg
        self.stream = stream
        self.patterns = [re.compile(p) for p in self.cfg.title_patterns]
        self._links: dict[El, tuple[str, str] | None] = {}
        self._link_of: dict[El, El | None] = {}
        self.timestamps = self._timestamps()

    # -- links -------------------------------------------------------------------------------
    def link(self, leaf: Leaf) -> El | None:
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
        """(namespace, name) of every link target on the page that has a namespace."""
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

    def signatures(self, user_ns: frozenset[str], contributions: frozenset[tuple[str, str]]) -> list[Signature | None]:
        """For each timestamp, its signature (None when no user link is in reach)."""
        out: list[Signature | None] = []
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
            out.append(Signature(author, first, ts_leaf, start, end, " ".join(self.stream.text[start:end].split())))
        return out
