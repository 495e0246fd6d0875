"""Comments found by the learned block classifier: blocks, their author/date/text, and their parents.

Blocks are the candidates the model (html_model) scores above its threshold, one per comment. In each
block, nested blocks (replies) left out: the author is the first author-cued element or profile link
outside quotes (without one: the name before a separator and the date in a short byline line), the date
the first <time>/date-cued/date-like element, the text the body-cued elements (else the block's text
without author, date, actions and forms). Parents, first that applies: a
data-*parent* attribute naming another block's id; DOM nesting (html_thread: containment, the block
before a child list); depth marks on the block or its wrappers (data-depth/level, depth-N/level-N
classes, an `indented` class, left padding/margin in px, spacer images), nested with a stack. The
parents from data-*parent* attributes and depth marks are read in html_block_parents.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import html as lxml_html

from pipeline.common.config import HtmlConfig
from pipeline.common.textnorm import normalize_text
from pipeline.ingest.adapters.html_block_parents import thread_parents
from pipeline.ingest.adapters.html_blocks import PageIndex, candidates, index_page, norm_text
from pipeline.ingest.adapters.html_comments import Found, _date_value
from pipeline.ingest.adapters.html_dom import LETTER, NOT_TEXT, Cues, quoted, render_text
from pipeline.ingest.adapters.html_model import BlockModel, select
from pipeline.ingest.adapters.html_thread import dom_id, lift

El = lxml_html.HtmlElement
_ACTION_CHARS = 60  # a skip-cued part longer than this is content, not an action bar
_SEPARATOR = re.compile(r"\s*[|·•—–]\s*")


class _Fields:
    """Author, date and text of a block, nested blocks (replies) left out."""

    def __init__(self, pi: PageIndex, cfg: HtmlConfig):
        self.pi = pi
        self.cfg = cfg
        self.skip = Cues(cfg.skip_cues)
        self.menu = Cues(cfg.block_skip_cues)
        self.author_cue = Cues((*cfg.author_cues, *cfg.block_author_cues))
        self.body = Cues(cfg.body_cues)
        self.suffix = re.compile(cfg.author_suffix_pattern, re.I)
        self.user_re = re.compile(cfg.user_link_pattern, re.I)
        self.stop = re.compile(cfg.author_stop_pattern, re.I)
        self.prefix = re.compile(cfg.author_prefix_pattern, re.I)
        self.relative = re.compile(cfg.relative_date_pattern, re.I)
        self.date_re = re.compile(cfg.date_text_pattern, re.I)

    def own(self, i: int, block: int, nested: list[int]) -> bool:
        """Whether element i is in the block and in none of its nested blocks (nor excluded)."""
        pi = self.pi
        return block <= i <= pi.ix.end[block] and i not in pi.excluded and not any(
            n <= i <= pi.ix.end[n] for n in nested)

    def author(self, block: int, nested: list[int]) -> tuple[El | None, str | None]:
        """The author element and its display name."""
        pi, top = self.pi, self.pi.ix.elements[block]
        dates = {pi.ix.elements[j] for f in ("time", "date_cue", "date_text") for j in pi.flags[f]
                 if block <= j <= pi.ix.end[block]}
        found: list[tuple[int, int, El, str]] = []  # (rank, order, element, name): profile links first
        for flag in ("author", "user_link"):
            for i in pi.flags[flag]:
                if not self.own(i, block, nested) or (flag == "author" and pi.count("author", i) > 1):
                    continue  # innermost author elements only
                el = pi.ix.elements[i]
                if quoted(el, top):
                    continue
                name = self.suffix.sub("", " ".join(render_text(el, lambda n, top=el: n is not top and (
                    self.skip.match(n) or self.menu.match(n) or n.tag in NOT_TEXT or n in dates)).split())).strip()
                name = self.prefix.sub("", name).strip()
                linked = flag == "user_link" or pi.count("user_link", i) > 0
                if flag == "author" and linked:  # the profile link's own text, without badges and counts
                    link = next(pi.ix.elements[j] for j in pi.flags["user_link"] if i <= j <= pi.ix.end[i])
                    shown = " ".join(link.text_content().split())
                    if shown and not self.stop.search(shown):
                        name = self.prefix.sub("", self.suffix.sub("", shown)).strip()
                if not name and flag == "user_link":
                    parts = [p for p in (el.get("href") or "").split("?")[0].split("/") if p]
                    name, linked = (parts[-1] if parts else ""), False
                if name and len(name) <= self.cfg.max_author_chars and not re.fullmatch(r"[\d\W]+", name) \
                        and not self.stop.search(name):
                    rank = (0 if flag == "author" and linked else 1 if flag == "author" else 2 if name else 3)
                    found.append((rank, i, el, name))
        if not found:
            return None, None
        _, _, el, name = min(found, key=lambda f: (f[0], f[1]))
        return el, name

    def date(self, block: int, nested: list[int]) -> El | None:
        """The first date element of the block."""
        pi = self.pi
        best = None
        for flag in ("time", "date_cue", "date_text"):
            for i in pi.flags[flag]:
                if self.own(i, block, nested) and (best is None or i < best):
                    best = i
                    break
        return pi.ix.elements[best] if best is not None else None

    def byline(self, date_el: El | None) -> str | None:
        """The name before the date in a short byline line that has no author element ("Heidemarie Heim | Di,
        21. April 2020"): the text before the date's first match, up to a separator (| · • — –)."""
        if date_el is None:
            return None
        line = " ".join(date_el.text_content().split())
        m = self.date_re.search(line)
        if m is None or len(line) > _ACTION_CHARS + self.cfg.max_author_chars:
            return None
        parts = _SEPARATOR.split(line[:m.start()])
        name = parts[0].strip(" ,;:") if len(parts) > 1 else ""
        ok = 0 < len(name) <= self.cfg.max_author_chars and len(name.split()) <= 5 and LETTER.search(name)
        return name if ok and not self.stop.search(name) else None

    def date_value(self, el: El | None) -> str | None:
        """ISO date of a date element; None for relative times ("vor 2 Jahren", "15h") without an attribute."""
        if el is None:
            return None
        if not any(el.get(a) for a in ("datetime", "title", "content")) and el.find(".//time[@datetime]") is None \
                and self.relative.search(" ".join(el.text_content().split())):
            return None
        return _date_value(el)

    def text(self, block: int, nested: list[int], drop: list[El]) -> str:
        """The block's body text: body-cued parts, else the block's text less author, date and actions."""
        pi, top = self.pi, self.pi.ix.elements[block]
        nested_els = {pi.ix.elements[n] for n in nested}
        dropped = set(drop)

        def skip(n: El) -> bool:
            """Left out of the text: skip-cued parts are actions only when short (a wrapper like 'edit-hide' is not)."""
            return n in nested_els or n in dropped or n.tag in NOT_TEXT or (n is not top and (
                self.menu.match(n) or (self.skip.match(n) and pi.text_len(pi.ix.order[n]) <= _ACTION_CHARS)))

        bodies: list[El] = []
        i, last = block + 1, pi.ix.end[block]
        while i <= last:
            el = pi.ix.elements[i]
            if i in pi.excluded or any(n == i for n in nested):
                i = pi.ix.end[i] + 1
                continue
            if self.body.match(el) and not any(pi.ix.inside(d, el) for d in drop) \
                    and not any(n > i and n <= pi.ix.end[i] for n in nested) and pi.text_len(i) > 0:
                bodies.append(el)
                i = pi.ix.end[i] + 1
                continue
            i += 1
        texts = [normalize_text(render_text(b, lambda n, b=b: n is not b and skip(n))) for b in bodies]
        longest = max((len(t) for t in texts), default=0)
        if longest:  # body-cued parts that hold the text (not a hovercard or a label)
            return normalize_text("\n\n".join(t for t in texts if len(t) >= 0.5 * longest))
        return normalize_text(render_text(top, skip))


def find_blocks(pi: PageIndex, cfg: HtmlConfig, model: BlockModel) -> list[int]:
    """The comment blocks of a page (element indices, document order)."""
    cands = candidates(pi, cfg.min_repeats)
    if not cands:
        return []
    return select(pi, cands, model.score(pi, cands), model.threshold)


def comments_from_blocks(pi: PageIndex, cfg: HtmlConfig, chosen: list[int], pings: tuple[int, ...] = ()) -> list[Found]:
    """Found comments (author, date, text, parent, depth) for the chosen blocks, and pingbacks."""
    f = _Fields(pi, cfg)
    chosen = sorted(set(chosen) | set(pings))
    kinds = ["pingback" if i in pings else "comment" for i in chosen]
    els = [pi.ix.elements[i] for i in chosen]
    nested = [[j for j in chosen if i < j <= pi.ix.end[i]] for i in chosen]
    item_idx = list(chosen)
    items = set(els)
    comment_idx = [i for i, k in zip(chosen, kinds, strict=True) if k == "comment"]
    blocks = [lift(pi.ix, e, item_idx, items, comment_idx) for e in els]
    parents = thread_parents(pi.ix, blocks, els, kinds, cfg.use_indentation)
    out: list[Found] = []
    for k, i in enumerate(chosen):
        if kinds[k] == "pingback":
            link = els[k].find(".//a")
            name = normalize_text(link.text_content()).replace("\n", " ") if link is not None else ""
            out.append(Found(els[k], None, "pingback", name or None, "html:pingback-link" if name else None, None,
                             normalize_text(render_text(els[k], lambda n: n.tag in NOT_TEXT)),
                             dom_id(els[k], blocks[k]), parents[k], 1 if parents[k] is None else 2))
            continue
        a_el, author = f.author(i, nested[k])
        d_el = f.date(i, nested[k])
        drop = [x for x in (a_el, d_el) if x is not None]
        text = f.text(i, nested[k], drop)
        evidence = "html:block-author" if author else None
        if author is None:
            author = f.byline(d_el)
            evidence = "html:byline" if author else None
        depth, up, seen = 1, parents[k], {k}
        while up is not None and up not in seen:
            seen.add(up)
            depth, up = depth + 1, parents[up]
        out.append(Found(els[k], None, "comment", author, evidence, f.date_value(d_el), text,
                         dom_id(els[k], blocks[k]), parents[k], depth))
    return out


def find_comments_learned(root: El, cfg: HtmlConfig, model: BlockModel,
                          index: Callable[[El, HtmlConfig], PageIndex] = index_page) -> list[Found]:
    """Every comment the block classifier finds in a parsed page, in document order."""
    pi = index(root, cfg)
    chosen = find_blocks(pi, cfg, model)
    pings = pingback_blocks(pi, cfg, chosen)
    return comments_from_blocks(pi, cfg, [i for i in chosen if i not in pings], tuple(sorted(pings)))


def pingback_blocks(pi: PageIndex, cfg: HtmlConfig, chosen: list[int]) -> set[int]:
    """Pingbacks/trackbacks: cued or 'Pingback:'-led elements with a link, chosen blocks among them included."""
    cue = Cues(cfg.pingback_cues)
    prefixes = tuple(norm_text(p) for p in cfg.pingback_prefixes)
    out: set[int] = set()
    for i, el in enumerate(pi.ix.elements):
        if i in pi.excluded or any(o <= i <= pi.ix.end[o] for o in out) or el.find(".//a[@href]") is None:
            continue
        lead = pi.stream[pi.start[i]:pi.start[i] + 16]
        if not (cue.match(el) or (lead.startswith(prefixes) and pi.text_len(i) < 2000)):
            continue
        if any(c < i <= pi.ix.end[c] for c in chosen if c not in out):  # inside a comment: part of its text
            continue
        inner = [c for c in chosen if i <= c <= pi.ix.end[i]]
        if el.tag in ("ul", "ol", "dl"):
            out.update(pi.ix.order[c] for c in el if c.tag in ("li", "dd") and c.find(".//a[@href]") is not None)
        elif len(inner) <= 1:
            out.add(i)
    return {o for o in out if not any(o < c <= pi.ix.end[o] for c in chosen)} | {
        c for c in chosen for o in out if o <= c <= pi.ix.end[o]} - {
        o for o in out if any(o < c <= pi.ix.end[o] for c in chosen)}
