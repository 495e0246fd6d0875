"""Signs that a page holds (or links) more comments than were extracted: nothing is lost quietly.

Evidence, read off short texts outside scripts and inputs: a stated count ("75 comments", "Kommentare
(34)", "View All 32 Comments") on a heading, a comment-cued element (or one up to four levels above) or a
link to comments ("25.4k comments" is 25,400); a "load/show/view more comments/replies" control; a rel=next
link (a paginated thread). A stated count above the extracted comments (unless another stated count equals
them: the larger ones count other threads, such as teasers of other articles), or a more/next sign on a page
with comments, gives the detail of a `comments-suspected-missing` problems row.
"""

from __future__ import annotations

import bisect
import re

from pipeline.common.config import HtmlConfig
from pipeline.ingest.adapters.html_blocks import PageIndex
from pipeline.ingest.adapters.html_dom import Cues

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _number(groups: tuple[str | None, ...]) -> int | None:
    """The stated number: '1.234' and '1,234' are thousands, '25.4k' is 25,400, '1.2m' 1,200,000."""
    for g in groups:
        if g:
            short = re.fullmatch(r"(\d+(?:[.,]\d)?)([km])", g.strip(), re.I)
            if short:
                return round(float(short.group(1).replace(",", ".")) * (1000 if short.group(2).lower() == "k" else 10**6))
            digits = re.sub(r"\D", "", g)
            if digits:
                return int(digits)
    return None


def _near_comments(el, cue: Cues) -> bool:  # type: ignore[no-untyped-def]
    if el.tag in _HEADINGS or (el.tag == "a" and "comment" in (el.get("href") or "").lower()):
        return True
    node = el
    for _ in range(5):
        if node is None or node.tag in ("body", "html"):
            return False
        if cue.match(node):
            return True
        node = node.getparent()
    return False


def evidence(pi: PageIndex, cfg: HtmlConfig, inside: tuple[int, ...] = ()
             ) -> tuple[int | None, str | None, str | None, set[int]]:
    """The largest stated comment count with its text, the first 'more comments'/next-page sign and every
    stated count, read outside the extracted comments (element indices `inside`: their texts are comment
    content)."""
    spans = sorted((i, pi.ix.end[i]) for i in inside)
    starts = [a for a, _ in spans]
    count_re = re.compile(cfg.count_pattern, re.I)
    more_re = re.compile(cfg.more_pattern, re.I)
    cue = Cues(cfg.comment_cues)
    best: tuple[int | None, str | None] = (None, None)
    counts: set[int] = set()
    more = None
    for i, el in enumerate(pi.ix.elements):
        if i in pi.excluded:
            continue
        if el.tag == "link" and "next" in (el.get("rel") or "").lower().split() and el.get("href"):
            more = more or f"next page {el.get('href')}"
            continue
        n = pi.text_len(i)
        if not 0 < n <= cfg.max_count_chars or pi.count("p", i) > 2:
            continue
        k = bisect.bisect_right(starts, i) - 1
        if k >= 0 and i <= spans[k][1]:
            continue
        text = " ".join(el.text_content().split())
        if more is None and more_re.search(text) and _near_comments(el, cue):
            more = text
        m = count_re.search(text)
        if m and _near_comments(el, cue):
            num = _number(m.groups())
            if num is not None:
                counts.add(num)
            if num is not None and (best[0] is None or num > best[0]):
                best = (num, text)
    return best[0], best[1], more, counts


def missing_detail(pi: PageIndex, cfg: HtmlConfig, extracted: int, inside: tuple[int, ...] = ()) -> str | None:
    """The detail of a comments-suspected-missing row, or None when nothing points to missing comments
    (`extracted`: comments and pingbacks found; `inside`: their element indices)."""
    stated, said, more, counts = evidence(pi, cfg, inside)
    if stated is not None and stated > extracted and extracted not in counts:  # a count equal to it is this thread's
        return f"page says {stated} comments ({said!r}), {extracted} extracted" + (f"; {more!r}" if more else "")
    if more and extracted:
        return f"page shows {extracted} comments and links more ({more!r})"
    return None
