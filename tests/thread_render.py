"""A tiny thread model, hypothesis strategies for it, and one renderer per input format (for round trips).

A `Thread` is what every adapter must recover: post author and text, then comments in thread order
(depth-first, siblings in order), each with an author, a parent (index of an earlier comment, or None
for a reply to the post) and a text. Renderers write the format the way the real exporters do.
"""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from hypothesis import strategies as st

EPOCH = 1_300_000_000  # 2011-03-13; comment k is dated EPOCH + 60 * (k + 1) so date order = file order


@dataclass(frozen=True)
class Comment:
    """One comment: author, parent (index of an earlier comment; None = reply to the post), text."""

    author: str
    parent: int | None
    text: str


@dataclass(frozen=True)
class Thread:
    """A post and its comments in thread (depth-first) order."""

    key: str
    title: str
    post_author: str
    post_text: str
    comments: tuple[Comment, ...]

    def depth(self, k: int) -> int:
        """1 for a top-level comment, parent depth + 1 for a reply."""
        p = self.comments[k].parent
        return 1 if p is None else self.depth(p) + 1


# --- strategies --------------------------------------------------------------------------------------
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäéøßœ", min_size=1, max_size=8)
_PUNCT = st.sampled_from(["", "", "", ",", "!", "?", ";", " &", " <b>", "'s", "“q”", " 5%"])


@st.composite
def sentences(draw: st.DrawFn, max_words: int = 8) -> str:
    """A sentence: a capitalised word (never a list marker or a digit), more words, a full stop."""
    words = draw(st.lists(st.tuples(_WORD, _PUNCT), min_size=2, max_size=max_words))
    text = " ".join(w + p for w, p in words)
    return text[0].upper() + text[1:] + "."


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Paragraphs (blank-line separated) of lines (newline separated) of sentences."""
    paras = draw(st.lists(st.lists(sentences(), min_size=1, max_size=2), min_size=1, max_size=2))
    return "\n\n".join("\n".join(lines) for lines in paras)


names = st.builds(lambda a, b: f"{a.capitalize()} {b.capitalize()}",
                  st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=7),
                  st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=7))


@st.composite
def threads(draw: st.DrawFn, max_comments: int = 6) -> Thread:
    """A thread whose comment list is already in depth-first order (a parent is on the current path)."""
    n = draw(st.integers(0, max_comments))
    comments: list[Comment] = []
    path: list[int] = []  # indices of the open ancestors of the next comment
    for k in range(n):
        level = draw(st.integers(0, len(path)))  # 0 = top level, i = reply to path[i-1]
        path = path[:level]
        comments.append(Comment(draw(names), path[-1] if path else None, draw(texts())))
        path.append(k)
    key = "t" + str(draw(st.integers(1, 10_000)))
    return Thread(key, draw(sentences(4)).rstrip("."), draw(names), draw(texts()), tuple(comments))


def date(k: int) -> int:
    """Epoch seconds of comment k (the post is k = -1)."""
    return EPOCH + 60 * (k + 1)


def wp_date(k: int) -> str:
    """WordPress 'YYYY-MM-DD HH:MM:SS' (UTC) of comment k."""
    return datetime.fromtimestamp(date(k), tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso(k: int) -> str:
    """ISO 8601 UTC of comment k."""
    return datetime.fromtimestamp(date(k), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_html(text: str) -> str:
    """Plain text as HTML: paragraphs in <p>, lines joined by <br>, special characters escaped."""
    return "".join("<p>" + "<br>".join(html.escape(line, quote=False) for line in p.split("\n")) + "</p>"
                   for p in text.split("\n\n"))


def _cdata(s: str) -> str:
    return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"


# --- renderers ---------------------------------------------------------------------------------------
def render_thread_text(t: Thread) -> str:
    """The seed export layout: title, post, 'N Comments', bullet items indented two spaces per level."""
    out = [t.title, "", t.post_text, "", f"{len(t.comments)} Comments"]
    for k, c in enumerate(t.comments):
        pad = "  " * (t.depth(k) - 1)
        lines = c.text.split("\n")
        out.append(f"{pad}• {lines[0]}")
        out += [f"{pad}  {line}" if line else "" for line in lines[1:]]
    return "\n".join(out) + "\n"


def render_wxr(t: Thread) -> str:
    """A WordPress WXR 1.2 export with one post item."""
    comments = "".join(
        f"<wp:comment><wp:comment_id>{k + 1}</wp:comment_id><wp:comment_author>{_cdata(c.author)}</wp:comment_author>"
        f"<wp:comment_date_gmt>{wp_date(k)}</wp:comment_date_gmt><wp:comment_content>{_cdata(to_html(c.text))}"
        f"</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_type></wp:comment_type>"
        f"<wp:comment_parent>{0 if c.parent is None else c.parent + 1}</wp:comment_parent></wp:comment>\n"
        for k, c in enumerate(t.comments))
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel><wp:wxr_version>1.2</wp:wxr_version>\n'
        f"<item><title>{html.escape(t.title)}</title><dc:creator>{_cdata(t.post_author)}</dc:creator>\n"
        f"<content:encoded>{_cdata(to_html(t.post_text))}</content:encoded>\n"
        f"<wp:post_id>{t.key}</wp:post_id><wp:post_date_gmt>{wp_date(-1)}</wp:post_date_gmt>"
        "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\n"
        f"{comments}</item>\n</channel></rss>\n")


def render_reddit(t: Thread) -> str:
    """A Reddit /comments API response (text fields HTML-escaped as Reddit does)."""
    def rec(k: int) -> dict:
        c = t.comments[k]
        kids = [j for j, d in enumerate(t.comments) if d.parent == k]
        replies = {"kind": "Listing", "data": {"children": [rec(j) for j in kids]}} if kids else ""
        parent = f"t1_c{c.parent}" if c.parent is not None else f"t3_{t.key}"
        return {"kind": "t1", "data": {"id": f"c{k}", "parent_id": parent, "author": c.author,
                                       "body": html.escape(c.text, quote=False), "created_utc": date(k),
                                       "replies": replies}}
    sub = {"kind": "t3", "data": {"id": t.key, "author": t.post_author, "title": html.escape(t.title, quote=False),
                                  "selftext": html.escape(t.post_text, quote=False), "created_utc": date(-1),
                                  "permalink": f"/r/x/comments/{t.key}/"}}
    top = [rec(k) for k, c in enumerate(t.comments) if c.parent is None]
    return json.dumps([{"kind": "Listing", "data": {"children": [sub]}},
                       {"kind": "Listing", "data": {"children": top}}])


def render_disqus(t: Thread) -> str:
    """A Disqus XML export: the thread, then its posts (parents by dsq:id)."""
    posts = "".join(
        f'<post dsq:id="p{k}"><id/><message>{_cdata(to_html(c.text))}</message><createdAt>{iso(k)}</createdAt>'
        f"<isDeleted>false</isDeleted><isSpam>false</isSpam><author><name>{html.escape(c.author)}</name></author>"
        f'<thread dsq:id="{t.key}"/>' + (f'<parent dsq:id="p{c.parent}"/>' if c.parent is not None else "")
        + "</post>\n" for k, c in enumerate(t.comments))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">\n'
        f'<thread dsq:id="{t.key}"><title>{html.escape(t.title)}</title><message>{_cdata(to_html(t.post_text))}'
        f"</message><createdAt>{iso(-1)}</createdAt><author><name>{html.escape(t.post_author)}</name></author></thread>\n"
        f"{posts}</disqus>\n")


def table_rows(t: Thread) -> list[dict]:
    """One row per utterance with the identity column mapping (doc, id, parent, author, date, text, title, kind)."""
    rows = [{"doc": t.key, "id": "p", "parent": "", "author": t.post_author, "date": iso(-1), "text": t.post_text,
             "title": t.title, "kind": "post"}]
    rows += [{"doc": t.key, "id": f"c{k}", "parent": "" if c.parent is None else f"c{c.parent}", "author": c.author,
              "date": iso(k), "text": c.text, "title": "", "kind": "comment"} for k, c in enumerate(t.comments)]
    return rows


def render_csv(t: Thread) -> str:
    """A CSV comment table with a header row."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(table_rows(t)[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(table_rows(t))
    return buf.getvalue()


def render_jsonl(t: Thread) -> str:
    """JSON Lines, one object per utterance."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in table_rows(t))


def render_html(t: Thread) -> str:
    """A WordPress-style page: the post in an article, comments in a nested ol.comment-list."""
    def item(k: int) -> str:
        c = t.comments[k]
        kids = [j for j, d in enumerate(t.comments) if d.parent == k]
        children = f'<ol class="children">{"".join(item(j) for j in kids)}</ol>' if kids else ""
        return (f'<li id="comment-{k + 1}" class="comment depth-{t.depth(k)}"><article id="div-comment-{k + 1}" '
                f'class="comment-body"><footer class="comment-meta"><div class="comment-author vcard">'
                f'<b class="fn">{html.escape(c.author)}</b> <span class="says">says:</span></div>'
                f'<div class="comment-metadata"><time datetime="{iso(k)}">{wp_date(k)}</time></div></footer>'
                f'<div class="comment-content">{to_html(c.text)}</div></article>{children}</li>\n')
    top = "".join(item(k) for k, c in enumerate(t.comments) if c.parent is None)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(t.title)}</title>'
        '<meta name="generator" content="WordPress 5.3"></head>\n<body><main id="main">'
        f'<article class="post type-post"><header><h1 class="entry-title">{html.escape(t.title)}</h1>'
        f'<span class="byline"><span class="author vcard">{html.escape(t.post_author)}</span></span> '
        f'<time class="entry-date" datetime="{iso(-1)}">{wp_date(-1)}</time></header>\n'
        f'<div class="entry-content">{to_html(t.post_text)}</div></article>\n'
        f'<section id="comments" class="comments-area"><ol class="comment-list">\n{top}</ol></section>'
        "</main></body></html>\n")


RENDERERS = {"thread_text": render_thread_text, "wxr": render_wxr, "reddit_json": render_reddit,
             "disqus_xml": render_disqus, "csv": render_csv, "jsonl": render_jsonl, "html": render_html}
EXTENSIONS = {"thread_text": "txt", "wxr": "xml", "reddit_json": "json", "disqus_xml": "xml", "csv": "csv",
              "jsonl": "jsonl", "html": "html"}
