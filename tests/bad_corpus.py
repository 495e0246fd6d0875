"""Build a corpus of bad inputs (plus good files beside them) under a temporary project root.

Generated, never committed: the 50 MB line and the binary file are written at test time. BAD maps each
bad file to the (reason, location) rows ingest must record for it, exactly once each; GOOD maps each
good file to the utterance texts it must yield (post first).
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import yaml
from thread_render import (
    Comment,
    Thread,
    render_csv,
    render_jsonl,
    render_reddit,
    render_thread_text,
    render_wxr,
)

BIG_LINE_BYTES = 50 * 1024 * 1024


def thread(key: str, post: str, *comments: str) -> Thread:
    """A thread whose comments alternate top level / reply to the one before."""
    cs = tuple(Comment(f"Author {k}", None if k % 2 == 0 else k - 1, text) for k, text in enumerate(comments))
    return Thread(key, f"Title {key}", "Poster", post, cs)


def _without_body(reddit: str) -> str:
    """A Reddit response whose first comment record lacks its `body` field."""
    obj = json.loads(reddit)
    del obj[1]["data"]["children"][0]["data"]["body"]
    return json.dumps(obj)


def build(root: Path) -> tuple[dict[str, list[tuple[str, str | None]]], dict[str, list[str]]]:
    """Write data/raw/bad/* and params.yaml under `root`; return (BAD, GOOD) keyed by project-relative path."""
    d = root / "data" / "raw" / "bad"
    d.mkdir(parents=True)
    good: dict[str, list[str]] = {}
    bad: dict[str, list[tuple[str, str | None]]] = {}

    def put(name: str, data: bytes) -> str:
        (d / name).write_bytes(data)
        return f"data/raw/bad/{name}"

    t = thread("plain", "A plain post.", "First comment.", "A reply.")
    good[put("plain.txt", render_thread_text(t).encode())] = ["A plain post.", "First comment.", "A reply."]
    t = thread("cp", "Café “quoted” – naïve.", "Très bien… €5.")
    good[put("cp1252.txt", render_thread_text(t).encode("cp1252"))] = ["Café “quoted” – naïve.", "Très bien… €5."]
    t = thread("lat", "Ångström über façade ±1.", "Ça va.")
    good[put("latin1.txt", render_thread_text(t).replace("• ", "1. ").encode("latin-1"))] = ["Ångström über façade ±1.", "Ça va."]
    t = thread("u16", "UTF-16 post – ok.", "Ünïcode comment.")
    good[put("utf16.txt", codecs.BOM_UTF16_LE + render_thread_text(t).encode("utf-16-le"))] = [
        "UTF-16 post – ok.", "Ünïcode comment."]
    t = thread("mix", "UTF-8 post – fine.", "PLACEHOLDER", "Ünïcode reply.")
    raw = render_thread_text(t).encode().replace(b"PLACEHOLDER", "Pasted from Word “smart” quotes.".encode("cp1252"))
    line = raw[: raw.index(b"Pasted")].count(b"\n") + 1
    path = put("mixed.txt", raw)
    good[path] = ["UTF-8 post – fine.", "Pasted from Word “smart” quotes.", "Ünïcode reply."]
    bad[path] = [("mixed-encoding", f"line {line}")]

    bad[put("empty.txt", b"")] = [("empty-file", None)]
    bad[put("blank.html", b"  \n\n ")] = [("empty-file", None)]
    bad[put("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)] = [("binary-file", None)]
    bad[put("notes.dat", b"Just some words in a file with no known extension.\n")] = [("unknown-format", None)]
    bad[put("huge.txt", b"x" * BIG_LINE_BYTES)] = [("too-large", None)]

    page = ('<!DOCTYPE html><html><head><title>Cut</title></head><body><article><div class="entry-content">'
            "<p>The post text survives the cut.</p></div></article><ol class=\"comment-list\">"
            + "".join(f'<li id="comment-{k}" class="comment"><div class="comment-author vcard"><b class="fn">'
                      f'Reader {k}</b></div><div class="comment-meta"><time datetime="2012-05-0{k}">May {k}, 2012'
                      f'</time></div><div class="comment-content"><p>Comment number {k}.</p></div></li>'
                      for k in (1, 2))
            + '<li id="comment-3" class="comment"><div class="comment-author vcard"><b class="fn">Reader 3</b>')
    path = put("truncated.html", page.encode())
    bad[path] = [("truncated-html", f"char {len(page)}")]
    good[path] = ["The post text survives the cut.", "Comment number 1.", "Comment number 2."]
    bad[put("notext.html", b"<!DOCTYPE html><html><head><title></title></head><body><div><span></span></div>"
                            b"</body></html>\n")] = [("no-text", None)]

    wxr = render_wxr(thread("w1", "A WXR post.", "WXR comment."))
    good[put("export.xml", wxr.encode())] = ["A WXR post.", "WXR comment."]
    bad[put("export_copy.xml", wxr.encode())] = [("duplicate-doc-id", "char 324"), ("duplicate-doc-id", "char 537")]
    wxr = render_wxr(thread("w2", "A cut WXR post.", "Lost comment."))
    broken = wxr[: wxr.index("<wp:comment>")] + "<wp:comment><wp:comment_id>1</wp:comment_id></item></channel>"
    path = put("malformed.xml", broken.encode())
    bad[path] = [("bad-xml", "line 7"), ("bad-xml", "line 7"), ("wxr-not-approved", "line 7")]
    good[path] = ["A cut WXR post."]

    t = thread("r1", "Reddit post.", "Has no body.", "Reply to the bodiless one.", "Fine comment.")
    path = put("reddit.json", _without_body(render_reddit(t)).encode())
    bad[path] = [("missing-field", "char 256"), ("orphan-reply", "char 416")]
    good[path] = ["Reddit post.", "Reply to the bodiless one.", "Fine comment."]

    t = thread("j1", "JSONL post.", "JSONL comment.", "Row without text.")
    lines = render_jsonl(t).splitlines()
    row = json.loads(lines[2])
    del row["text"]
    lines[2] = json.dumps(row)
    path = put("rows.jsonl", ("\n".join(lines) + "\n").encode())
    bad[path] = [("bad-row", "line 3")]
    good[path] = ["JSONL post.", "JSONL comment."]

    t = thread("c1", "CSV post.", "CSV comment.", "Another comment.")
    lines = render_csv(t).splitlines()
    lines.insert(2, "c1,extra,,Someone,2013-01-01,too,many,fields,here")
    path = put("table.csv", ("\n".join(lines) + "\n").encode())
    bad[path] = [("bad-row", "line 3")]
    good[path] = ["CSV post.", "CSV comment.", "Another comment."]

    params = yaml.safe_load((Path(__file__).resolve().parents[1] / "params.yaml").read_text(encoding="utf-8"))
    params["corpora"] = [{"name": "bad", "path": "data/raw/bad", "format": "auto"},
                         {"name": "gone", "path": "data/raw/gone", "format": "auto"}]
    (root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    bad["data/raw/gone"] = [("missing-folder", None)]
    return bad, good
