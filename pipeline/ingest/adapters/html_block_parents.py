"""Parents of found comments (either finder): DOM nesting, data-*parent* attributes and depth marks.

`thread_parents` is the one resolver: html_thread's containment and child-list rules, then data-*parent*
attributes, then a page wrapper's children set free, then depth marks (with use_indentation).

Depth marks on a comment's element or its wrappers: data-depth/level attributes, depth-N/level-N classes,
an `indented` class, left padding/margin in px, indent attributes and spacer images; they nest comments
with a stack (html_thread.indent_parents). A data-*parent* attribute naming another block's id (or the
digits in it) makes that block the parent.
"""

from __future__ import annotations

import re

from lxml import html as lxml_html

from pipeline.ingest.adapters.html_dom import DomIndex
from pipeline.ingest.adapters.html_thread import indent_parents, parents_of

El = lxml_html.HtmlElement
_LEVEL_CLASS = re.compile(r"(?:depth|level|lvl)[-_]*(\d+)$", re.I)
_STYLE = re.compile(r"(?:margin|padding)-left\s*:\s*(\d+)\s*px", re.I)
_DATA_LEVEL = re.compile(r"^data-[\w-]*(depth|level)$", re.I)
_DATA_PARENT = re.compile(r"^data-[\w-]*parent[\w-]*$", re.I)
_DATA_ID = re.compile(r"^data-(?:[\w-]*-)?id$", re.I)


def level_marks(ix: DomIndex, block: El, el: El) -> dict[str, int]:
    """Depth marks of a comment: on its element, up to its block and three wrappers above, or two levels inside."""
    out: dict[str, int] = {}
    chain = [el]
    for a in el.iterancestors():
        chain.append(a)
        if a is block:
            break
    top = chain[-1]
    for _ in range(3):
        top = top.getparent()
        if top is None or top.tag in ("body", "html"):
            break
        chain.append(top)
    inner = [c for c in el if isinstance(c.tag, str)]
    inner += [g for c in inner for g in c if isinstance(g.tag, str)]
    for node in chain + inner:  # the comment's element, its wrappers, then two levels inside it
        for k, v in node.attrib.items():
            if _DATA_LEVEL.match(k) and v.strip().isdigit():
                out.setdefault("data", int(v))
        for tok in (node.get("class") or "").split():
            m = _LEVEL_CLASS.search(tok)
            if m:
                out.setdefault("class", int(m.group(1)))
            elif "indent" in tok.lower():
                out.setdefault("indented", 1)
        m = _STYLE.search(node.get("style") or "")
        if m:
            out.setdefault("style", int(m.group(1)))
    limit = ix.order[el] + 12  # before the comment's element, or among its first elements
    for node in block.iter():
        if not isinstance(node.tag, str) or ix.order.get(node, 0) > limit:
            break
        if (node.get("indent") or "").isdigit():
            out.setdefault("attr", int(node.get("indent")))
        if node.tag == "img" and (node.get("width") or "").isdigit() and node.get("height") in ("0", "1"):
            out.setdefault("spacer", int(node.get("width")))
    return out


def level_parents(marks: list[dict[str, int]], parents: list[int | None]) -> list[int | None]:
    """Parents from depth marks: a numeric kind three in four comments carry (with 2+ values) nests those;
    else the DOM-top-level comments are nested by the one kind of mark they all carry."""
    for kind in ("data", "class", "attr", "spacer", "style"):
        have = [i for i, m in enumerate(marks) if kind in m]
        if len(have) >= 2 and len(have) >= 0.75 * len(marks) and len({marks[i][kind] for i in have}) >= 2:
            nested = indent_parents([marks[i][kind] for i in have], [None] * len(have))
            out = list(parents)
            for n, i in enumerate(have):
                out[i] = have[nested[n]] if nested[n] is not None else None  # type: ignore[index]
            return out
    top = [i for i, p in enumerate(parents) if p is None]
    if len(top) < 2:
        return parents
    for kind in ("data", "class", "attr", "spacer", "style", "indented"):
        have = [i for i in top if kind in marks[i]]
        if not ((kind == "indented" and have) or len(have) == len(top)):
            continue
        levels = [marks[i].get(kind, 0) for i in range(len(marks))]
        if len({levels[i] for i in top}) >= 2:
            return indent_parents([levels[i] if parents[i] is None else None for i in range(len(marks))], parents)
    return parents


def data_parents(blocks: list[El], elements: list[El], parents: list[int | None]) -> list[int | None]:
    """Parents named by data-*parent* attributes, when they name other blocks' ids."""
    def attrs(b: El, e: El, pattern: re.Pattern[str]) -> list[str]:
        """Values of the matching attributes on e and its ancestors up to the block b."""
        chain = [e, *[a for a in e.iterancestors()]]
        chain = chain[: chain.index(b) + 1] if b in chain else [e]
        return [v.strip() for n in chain for k, v in n.attrib.items() if pattern.match(k) and v.strip()]

    own = {}
    for k, (b, e) in enumerate(zip(blocks, elements, strict=True)):
        for v in attrs(b, e, _DATA_ID) + [x for x in (e.get("id"), b.get("id")) if x]:
            own.setdefault(v, k)
            digits = re.findall(r"\d+", v)
            if digits:
                own.setdefault(max(digits, key=len), k)
    named = [attrs(b, e, _DATA_PARENT) for b, e in zip(blocks, elements, strict=True)]
    if not any(v in own for vs in named for v in vs):
        return parents
    out = list(parents)
    for k, vs in enumerate(named):
        if vs:
            hit = next((own[v] for v in vs if v in own and own[v] != k), None)
            out[k] = hit
    return out


def thread_parents(ix: DomIndex, blocks: list[El], els: list[El], kinds: list[str],
                   use_indentation: bool) -> list[int | None]:
    """Parent index (or None) of each found item: DOM nesting, data-*parent* attributes, then depth marks."""
    parents = data_parents(blocks, els, parents_of(blocks, kinds))
    n = len(parents)
    for k in range(n):  # a block holding most others is a page wrapper (a post row, a widget), not their parent
        kids = [j for j in range(n) if parents[j] == k]
        if n >= 6 and len(kids) >= 0.5 * n:
            for j in kids:
                parents[j] = None
    if use_indentation:
        comments = [k for k, kind in enumerate(kinds) if kind == "comment"]
        marks = [level_marks(ix, blocks[k], els[k]) for k in comments]
        sub = level_parents(marks, [parents[k] if parents[k] is None or kinds[parents[k]] == "comment" else None
                                    for k in comments])
        for m, k in enumerate(comments):
            if parents[k] is None or kinds[parents[k]] == "comment":
                parents[k] = comments[sub[m]] if sub[m] is not None else None
    return parents
