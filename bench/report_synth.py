"""Report inputs for N synthetic comments without running the pipeline: every table the report stage reads (schemas
of pipeline/common/schema.py), its stage metrics, per-item confusion rows and BERTopic-shaped figures.

Threads follow bench.synth's measured shape (thread sizes, reply depth, log-normal comment length) and its
sentence templates; one sentence is one argument unit. Participants are Zipf-distributed over a pool that grows
with the corpus (a few very active people, many who speak once), topics grow as sqrt(units), a quarter of the
units are outliers. Frames, roles, stances and topics are drawn at random: the point is the shape and size of
what the report shows, not what it says.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from bench.synth import (
    ADJS,
    CONCEPTS,
    DEFAULT_SHAPE,
    NAMES,
    NOUNS,
    SURNAMES,
    TEMPLATES,
    VERBS,
    Shape,
)
from pipeline.common.schema import TABLES, conform

ROOT = Path(__file__).resolve().parents[1]
CORPUS = "synth"
STANCES = ("agree", "partly_agree", "rebut", "neutral")
STANCE_P = (0.3, 0.15, 0.2, 0.35)
FRAME_P = (0.18, 0.39, 0.28, 0.15)  # shares of the seed run's frames, in codebook order
OUTLIER_SHARE = 0.25
CODED_UNITS, CODED_UTTERANCES, CODED_ROLES = 400, 120, 300  # hand coding does not grow with the corpus
CONCEPT_IDS = {"social media": "social_media", "social crm": "social_crm", "crm": "crm",
               "social business": "social_business", "enterprise 2.0": "social_business",
               "customer experience": "customer_experience", "customer service": "customer_service",
               "social media marketing": "social_media", "community management": "co_creation",
               "collaboration": "co_creation"}
WORDS = sorted({w.lower() for phrase in (*NOUNS, *ADJS, *CONCEPTS, *VERBS) for w in re.findall(r"[A-Za-z0-9.]+", phrase)
                if len(w) > 2})


@dataclass(frozen=True)
class Codebook:
    """The codebook ids the synthetic labels are drawn from (codebook order)."""

    frames: tuple[str, ...]
    roles: tuple[str, ...]
    concepts: tuple[str, ...]
    relations: tuple[str, ...]


def codebook(path: Path | None = None) -> Codebook:
    """Frames, roles, concepts and relation types of the project's codebook (params.yaml segment.codebook)."""
    if path is None:
        params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
        path = ROOT / params["segment"]["codebook"]
    c = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return Codebook(tuple(c["frames"]), tuple(c["roles"]), tuple(c["concepts"]), tuple(c["relations"]["types"]))


def slug(name: str) -> str:
    """Participant id part of a name (lower case, dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def person_pool(n: int) -> list[str]:
    """n distinct display names: first-last combinations, then numbered ones."""
    base = [f"{f} {s}" for s in SURNAMES for f in NAMES]
    return [base[i] if i < len(base) else f"{base[i % len(base)]} {i // len(base) + 1}" for i in range(n)]


def zipf_weights(n: int, s: float = 1.1) -> list[float]:
    """Cumulative Zipf weights 1/rank^s over n ranks (for random.choices)."""
    out, acc = [], 0.0
    for r in range(1, n + 1):
        acc += 1.0 / r**s
        out.append(acc)
    return out


def sentence(rng: random.Random) -> tuple[str, list[str]]:
    """One templated sentence and the codebook concepts it names."""
    t = rng.choice(TEMPLATES)
    c, c2 = rng.choice(CONCEPTS), rng.choice(CONCEPTS)
    text = t.format(c=c, C=c[0].upper() + c[1:], c2=c2, n=rng.choice(NOUNS), a=rng.choice(ADJS), v=rng.choice(VERBS))
    named = [c] + ([c2] if "{c2}" in t else []) if "{c" in t.lower() or "{C}" in t else []
    return text, sorted({CONCEPT_IDS[x.lower()] for x in named if x.lower() in CONCEPT_IDS})


def body(rng: random.Random, shape: Shape, vocative: str | None) -> list[list[tuple[str, list[str]]]]:
    """Paragraphs of sentences (with their concepts) of one comment of a log-normal length."""
    target = max(8, int(rng.lognormvariate(shape.log_len_mu, shape.log_len_sd)))
    n_par = max(1, round(target / shape.chars_per_paragraph))
    paragraphs = []
    for _ in range(n_par):
        sents, size = [], 0
        while size < target / n_par:
            s = sentence(rng)
            sents.append(s)
            size += len(s[0]) + 1
        paragraphs.append(sents)
    if vocative:
        first = paragraphs[0][0]
        paragraphs[0][0] = (f"{vocative.split()[0]}, {first[0]}", first[1])
    return paragraphs


def layout(paragraphs: list[list[tuple[str, list[str]]]]) -> tuple[str, list[tuple[int, int, str, list[str]]]]:
    """The text (sentences joined by spaces, paragraphs by blank lines) and each sentence's span and concepts."""
    parts, spans, pos = [], [], 0
    for i, par in enumerate(paragraphs):
        if i:
            parts.append("\n\n")
            pos += 2
        for j, (text, concepts) in enumerate(par):
            if j:
                parts.append(" ")
                pos += 1
            parts.append(text)
            spans.append((pos, pos + len(text), text, concepts))
            pos += len(text)
    return "".join(parts), spans


class Columns:
    """Rows of one table collected column by column (cheaper than one dict per row at 500,000 rows)."""

    def __init__(self, names: list[str]) -> None:
        self.cols: dict[str, list[Any]] = {n: [] for n in names}

    def add(self, **row: Any) -> None:
        """Append one row (every column given)."""
        for k, v in row.items():
            self.cols[k].append(v)

    def frame(self, table: str) -> pd.DataFrame:
        """The rows as a checked table of the schema `table`."""
        return conform(pd.DataFrame(self.cols), TABLES[table])


def threads(n_comments: int, shape: Shape, rng: random.Random) -> dict[str, pd.DataFrame]:
    """documents, utterances, attributed, units, skipped, removals, problems for `n_comments` comments."""
    pool = person_pool(max(200, n_comments // 4))
    cum = zipf_weights(len(pool))
    docs = Columns(TABLES["documents"].names)
    utts = Columns(TABLES["clean_utterances"].names)
    units = Columns(TABLES["units"].names)
    skipped = Columns(TABLES["skipped_spans"].names)
    removals = Columns(TABLES["removals"].names)
    done = d = 0
    while done < n_comments:
        size = min(rng.choice(shape.thread_sizes), n_comments - done)
        doc = f"{CORPUS}/t{d:06d}"
        src = f"data/raw/{CORPUS}/t{d:06d}.txt"
        year, month = 2009 + rng.randrange(5), 1 + rng.randrange(12)
        date = f"{year}-{month:02d}-{1 + rng.randrange(28):02d}"
        host = rng.choices(pool, cum_weights=cum)[0]
        title = f"Thread {d}: {rng.choice(CONCEPTS).title()} and {rng.choice(NOUNS).title()}"
        docs.add(corpus=CORPUS, doc_id=doc, title=title, url=f"https://example.org/{d}", post_author=host, date=date,
                 platform="wordpress", format="thread_text", source_file=src, source_sha256=f"{d:064x}")
        skipped.add(corpus=CORPUS, doc_id=doc, source_file=src, char_start=0, char_end=len(title), reason="title",
                    text=title)
        heading = f"{size} Replies to “{title}”"
        skipped.add(corpus=CORPUS, doc_id=doc, source_file=src, char_start=len(title) + 1,
                    char_end=len(title) + 1 + len(heading), reason="comment-heading", text=heading)
        post = [[sentence(rng) for _ in range(rng.randint(3, 8))] for _ in range(rng.randint(1, 4))]
        latest: dict[int, tuple[str, str | None]] = {}  # depth -> (local id, author) of its latest comment
        children: Counter[str] = Counter()
        entries = [("post", None, 0, "post", host, post)]
        for _ in range(size):
            depth = min(rng.choices(range(1, len(shape.depth_probs) + 1), shape.depth_probs)[0], max(latest, default=0) + 1)
            for k in [k for k in latest if k >= depth]:
                del latest[k]
            parent = latest.get(depth - 1, ("post", host))[0] if depth > 1 else "post"
            children[parent] += 1
            local = f"c{children[parent]}" if parent == "post" else f"{parent}.{children[parent]}"
            author = None if rng.random() < 0.08 else rng.choices(pool, cum_weights=cum)[0]
            kind = "pingback" if rng.random() < 0.02 else "comment"
            addressed = latest.get(depth - 1, (None, None))[1] if depth > 1 and rng.random() < 0.35 else None
            entries.append((local, parent, depth, kind, author, body(rng, shape, addressed)))
            latest[depth] = (local, author)
        for pos, (local, parent, depth, kind, author, paragraphs) in enumerate(entries):
            uid = f"{doc}/{local}"
            text, spans = layout(paragraphs)
            included = kind != "pingback"
            utts.add(corpus=CORPUS, doc_id=doc, utterance_id=uid, parent_id=f"{doc}/{parent}" if parent else None,
                     position=pos, depth=depth, kind=kind, author=author, author_evidence="source" if author else None,
                     date=date, text=text, source_file=src, char_start=None, char_end=None, clean_text=text,
                     commentluv=None, signature=None, included=included,
                     exclusion_reason=None if included else "pingback",
                     author_confidence=1.0 if author else None)
            if not included:
                removals.add(corpus=CORPUS, doc_id=doc, utterance_id=uid, scope="utterance", reason="pingback",
                             text=text)
                continue
            for i, (start, end, sent, concepts) in enumerate(spans):
                units.add(corpus=CORPUS, doc_id=doc, utterance_id=uid, unit_id=f"{uid}/s{i}", index=i, author=author,
                          text=sent, clean_start=start, clean_end=end, raw_start=None, raw_end=None, concepts=concepts)
        done += size
        d += 1
    problems = [{"corpus": CORPUS, "source": f"data/raw/{CORPUS}/broken{i}.txt", "location": None, "stage": "ingest",
                 "reason": "empty-file", "detail": f"data/raw/{CORPUS}/broken{i}.txt: file is empty"}
                for i in range(max(1, n_comments // 5000))]
    attributed = utts.frame("clean_utterances")
    return {"documents": docs.frame("documents"), "attributed": attributed,
            "utterances": conform(attributed, TABLES["utterances"]), "units": units.frame("units"),
            "skipped": skipped.frame("skipped_spans"), "removals": removals.frame("removals"),
            "problems": conform(pd.DataFrame(problems, columns=TABLES["problems"].names), TABLES["problems"])}


def frames(units: pd.DataFrame, book: Codebook, rng: random.Random) -> dict[str, pd.DataFrame]:
    """unit_frames (one frame per unit, shares as in the seed run, every unit on topic) and utterance_frames
    (majority frame)."""
    labels = rng.choices(book.frames, weights=FRAME_P[: len(book.frames)] or None, k=len(units))
    uf = pd.DataFrame({"corpus": CORPUS, "utterance_id": units["utterance_id"].to_numpy(),
                       "unit_id": units["unit_id"].to_numpy(), "frame": labels,
                       "score": [round(rng.uniform(0.2, 0.9), 4) for _ in labels], "method": "zeroshot",
                       "on_topic": True, "relevance": "thread", "model_frame": labels})
    rows = []
    order = list(book.frames)
    for utt, g in uf.groupby("utterance_id", sort=False)["frame"]:
        c = Counter(g)
        top = max(order, key=lambda f: (c.get(f, 0), -order.index(f)))
        rows.append({"corpus": CORPUS, "utterance_id": utt, "frame": top, "score": c[top] / len(g), "n_units": len(g),
                     "share_frames": order, "shares": [c.get(f, 0) / len(g) for f in order], "on_topic": True})
    return {"unit_frames": conform(uf, TABLES["unit_frames"]),
            "utterance_frames": conform(pd.DataFrame(rows), TABLES["utterance_frames"])}


def n_topics(n_units: int) -> int:
    """Topics found in a corpus of n_units units (grows as the square root; 30 at 5,600 units, 300 at 560,000)."""
    return max(8, min(400, round(math.sqrt(n_units) / 2.5)))


def topics(units: pd.DataFrame, rng: random.Random) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, Any]]]:
    """unit_topics, topics, topic_hierarchy and BERTopic-shaped figures (intertopic map, keyword bars, dendrogram)."""
    import numpy as np
    from scipy.cluster.hierarchy import dendrogram, linkage

    k = n_topics(len(units))
    cum = zipf_weights(k, 0.8)
    assign = [-1 if rng.random() < OUTLIER_SHARE else rng.choices(range(k), cum_weights=cum)[0]
              for _ in range(len(units))]
    ut = pd.DataFrame({"corpus": CORPUS, "doc_id": units["doc_id"].to_numpy(), "unit_id": units["unit_id"].to_numpy(),
                       "author": units["author"].to_numpy(), "topic": assign,
                       "confidence": [round(rng.random(), 3) for _ in assign], "outlier": [t == -1 for t in assign]})
    texts = dict(zip(units["unit_id"], units["text"], strict=True))
    members: dict[int, list[str]] = defaultdict(list)
    for u, t in zip(ut["unit_id"], assign, strict=True):
        members[t].append(u)
    keywords = {t: rng.sample(WORDS, 10) for t in range(-1, k)}
    rows = []
    for t in sorted(members, key=lambda t: (t == -1, t)):
        reps = members[t][:3]
        rows.append({"topic": t, "name": f"{t}_" + "_".join(keywords[t][:4]), "size": len(members[t]),
                     "share": len(members[t]) / len(units), "keywords": keywords[t],
                     "keyword_scores": sorted((round(rng.uniform(0.01, 0.2), 4) for _ in range(10)), reverse=True),
                     "representative_unit_ids": reps, "representative_texts": [texts[u] for u in reps],
                     "stability": None if t == -1 else round(rng.uniform(0.3, 1.0), 3),
                     "mean_confidence": None if t == -1 else round(rng.uniform(0.5, 1.0), 3),
                     "stable": None if t == -1 else rng.random() > 0.2})
    table = pd.DataFrame(rows)
    inner = [t for t in range(k) if members.get(t)]
    centroids = np.array([[rng.gauss(0, 1) for _ in range(5)] for _ in inner])
    z = linkage(centroids, method="average")
    leaves: dict[int, list[int]] = {i: [t] for i, t in enumerate(inner)}
    names = {i: "_".join(keywords[t][:3]) for i, t in enumerate(inner)}
    hier = []
    for i, (a, b, dist, _) in enumerate(z):
        a, b, node = int(a), int(b), len(inner) + i
        leaves[node] = sorted(leaves[a] + leaves[b])
        names[node] = names[a] if len(leaves[a]) >= len(leaves[b]) else names[b]
        hier.append({"parent_id": k + i, "parent_name": names[node], "topics": leaves[node],
                     "child_left_id": inner[a] if a < len(inner) else k + a - len(inner), "child_left_name": names[a],
                     "child_right_id": inner[b] if b < len(inner) else k + b - len(inner),
                     "child_right_name": names[b], "distance": float(dist)})
    dendro = dendrogram(z, no_plot=True, labels=[f"{t}_" + "_".join(keywords[t][:3]) for t in inner])
    tables = {"unit_topics": conform(ut, TABLES["unit_topics"]), "topics": conform(table, TABLES["topics"]),
              "topic_hierarchy": conform(pd.DataFrame(hier), TABLES["topic_hierarchy"])}
    return tables, {"topics_map": topic_map(table, rng), "topics_barchart": keyword_bars(table),
                    "topics_hierarchy": hierarchy_figure(dendro)}


def topic_map(table: pd.DataFrame, rng: random.Random) -> dict[str, Any]:
    """Intertopic distance map as BERTopic draws it: one bubble per topic, customdata [topic, words, size]."""
    inner = table[table["topic"] != -1]
    return {"data": [{"type": "scatter", "mode": "markers", "name": "", "showlegend": False,
                      "customdata": [[int(t), " | ".join(kw[:5]), int(n)] for t, kw, n in
                                     zip(inner["topic"], inner["keywords"], inner["size"], strict=True)],
                      "x": [round(rng.gauss(0, 5), 3) for _ in range(len(inner))],
                      "y": [round(rng.gauss(0, 5), 3) for _ in range(len(inner))],
                      "marker": {"size": [max(6.0, math.sqrt(int(n))) for n in inner["size"]], "color": "#B0BEC5",
                                 "line": {"width": 2, "color": "DarkSlateGrey"}},
                      "hovertemplate": "<b>Topic %{customdata[0]}</b><br>%{customdata[1]}<br>Size: %{customdata[2]}"}],
            "layout": {"width": 650, "height": 650, "xaxis": {"visible": False}, "yaxis": {"visible": False},
                       "title": {"text": "Intertopic Distance Map"}}}


def keyword_bars(table: pd.DataFrame, n: int = 8, words: int = 5) -> dict[str, Any]:
    """Keyword bars of the n largest topics, one subplot each (BERTopic's visualize_barchart layout)."""
    from plotly.subplots import make_subplots

    inner = table[table["topic"] != -1].sort_values(["size", "topic"], ascending=[False, True]).head(n)
    cols = 4
    rows = max(1, math.ceil(len(inner) / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[f"Topic {t}" for t in inner["topic"]])
    for i, r in enumerate(inner.to_dict("records")):
        fig.add_bar(x=list(r["keyword_scores"][:words])[::-1], y=[f"{w}  " for w in r["keywords"][:words]][::-1],
                    orientation="h", row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(showlegend=False, width=1000, height=250 * rows)
    import json

    return json.loads(fig.to_json())


def hierarchy_figure(dendro: dict[str, Any]) -> dict[str, Any]:
    """Left-oriented dendrogram (BERTopic's visualize_hierarchy): U-shaped links, leaves at x = 0 on the y ticks."""
    data = [{"type": "scatter", "mode": "lines", "hoverinfo": "text", "marker": {"color": "rgb(61,153,112)"},
             "text": ["", "", "", ""], "x": [float(v) for v in dc], "y": [-float(v) for v in ic]}
            for ic, dc in zip(dendro["icoord"], dendro["dcoord"], strict=True)]
    labels = list(dendro["ivl"])
    return {"data": data, "layout": {"width": 1000, "height": max(440, 18 * len(labels)), "showlegend": False,
                                     "hovermode": "closest",
                                     "yaxis": {"tickmode": "array", "ticktext": labels,
                                               "tickvals": [-(5.0 + 10 * i) for i in range(len(labels))]},
                                     "xaxis": {"rangemode": "tozero"}}}


def people(attributed: pd.DataFrame) -> pd.DataFrame:
    """participants: one row per named speaker of posts and comments."""
    named = attributed[(attributed["kind"] != "pingback") & attributed["author"].notna()]
    rows = [{"corpus": CORPUS, "participant_id": f"{CORPUS}/{slug(name)}", "name": name, "aliases": [name],
             "n_utterances": len(g), "documents": sorted(set(g["doc_id"]))} for name, g in named.groupby("author")]
    return conform(pd.DataFrame(rows), TABLES["participants"])


def evaluation(ids: list[str], actual: list[str], predicted: list[str], labels: list[str], rows: str = "gold",
               cols: str = "predicted") -> tuple[dict[str, Any], pd.DataFrame]:
    """A metrics evaluation block (confusion, accuracy, macro-F1, n, intervals) and its per-item rows."""
    index = {lab: i for i, lab in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for a, p in zip(actual, predicted, strict=True):
        matrix[index[a]][index[p]] += 1
    f1s = []
    for i in range(len(labels)):
        tp, row, col = matrix[i][i], sum(matrix[i]), sum(r[i] for r in matrix)
        prec, rec = (tp / col if col else 0.0), (tp / row if row else 0.0)
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    acc = sum(matrix[i][i] for i in range(len(labels))) / max(len(ids), 1)
    macro = sum(f1s) / len(f1s)
    block = {"n": len(ids), "accuracy": round(acc, 4), "macro_f1": round(macro, 4),
             "ci95": {"accuracy": [round(max(0, acc - 0.05), 4), round(min(1, acc + 0.05), 4)],
                      "macro_f1": [round(max(0, macro - 0.06), 4), round(min(1, macro + 0.06), 4)]},
             "confusion": {"labels": labels, f"rows_{rows}_cols_{cols}": matrix}}
    return block, pd.DataFrame({"actual": actual, "predicted": predicted, "id": ids})


def noisy(gold: list[str], labels: tuple[str, ...], rng: random.Random, right: float = 0.6) -> list[str]:
    """Predictions that agree with gold with probability `right`."""
    return [g if rng.random() < right else rng.choice(labels) for g in gold]


def positions(units: pd.DataFrame, unit_frames: pd.DataFrame, book: Codebook, rng: random.Random
              ) -> dict[str, pd.DataFrame]:
    """unit_roles (one row per unit x concept named, some hand-coded), positions, participant_map, relations."""
    roles = list(book.roles)
    informative = [r for r in roles if r != "unclear"]
    ur = Columns(TABLES["unit_roles"].names)
    rel = Columns(TABLES["relations"].names)
    coded = set(rng.sample(range(len(units)), min(CODED_ROLES, len(units))))
    for i, (doc, utt, uid, author, text, concepts) in enumerate(zip(
            units["doc_id"], units["utterance_id"], units["unit_id"], units["author"], units["text"],
            units["concepts"], strict=True)):
        pid = f"{CORPUS}/{slug(author)}" if isinstance(author, str) else None
        for c in concepts:
            role = rng.choice(roles)
            zs = role if rng.random() < 0.5 else rng.choice(roles)
            ur.add(corpus=CORPUS, doc_id=doc, utterance_id=utt, unit_id=uid, author=author, participant_id=pid,
                   concept=c, context=text, role=role, score=0.5, method="supervised", zeroshot_role=zs,
                   zeroshot_score=0.4, supervised_role=role, supervised_score=0.5, candidate_roles=informative,
                   candidate_scores=[0.4] * len(informative),
                   gold_role=(role if rng.random() < 0.6 else rng.choice(roles)) if i in coded else None)
        if len(concepts) >= 2 and rng.random() < 0.5:
            r = rng.choice(book.relations)
            rel.add(corpus=CORPUS, doc_id=doc, utterance_id=utt, unit_id=uid, author=author, source=concepts[0],
                    relation=r, targets=concepts[1:], negated=rng.random() < 0.1, cue="depends on",
                    pattern=f"{r}#0", text=text)
    unit_roles = ur.frame("unit_roles")
    frame_of = dict(zip(unit_frames["unit_id"], unit_frames["frame"], strict=True))
    known = unit_roles.dropna(subset=["participant_id"])
    frame_mix: dict[str, Counter[str]] = defaultdict(Counter)
    for pid, uid in zip(known["participant_id"], known["unit_id"], strict=True):
        frame_mix[pid][frame_of[uid]] += 1

    def mix(counts: Counter[str], order: list[str]) -> tuple[list[str], list[float]]:
        total = sum(counts.values()) or 1
        labels = [o for o in order if counts.get(o)]
        return labels, [counts[o] / total for o in labels]

    def dominant(counts: Counter[str]) -> str | None:
        options = [r for r in informative if counts.get(r)]
        if options:
            return max(options, key=lambda r: (counts[r], -roles.index(r)))
        return "unclear" if counts.get("unclear") else None

    pos_rows, totals = [], defaultdict(Counter)
    for (pid, author, concept), g in known.groupby(["participant_id", "author", "concept"], sort=True):
        counts = Counter(g["role"])
        totals[(pid, author)].update(counts)
        rs, shares = mix(counts, roles)
        fs, fshares = mix(frame_mix[pid], list(book.frames))
        pos_rows.append({"corpus": CORPUS, "participant_id": pid, "name": author, "concept": concept,
                         "dominant_role": dominant(counts), "roles": rs, "role_shares": shares, "n_units": len(g),
                         "unit_ids": sorted(g["unit_id"]), "frames": fs, "frame_shares": fshares})
    n_units = units.dropna(subset=["author"]).groupby("author").size()
    map_rows = []
    for (pid, author), counts in sorted(totals.items()):
        rs, shares = mix(counts, roles)
        fs, fshares = mix(frame_mix[pid], list(book.frames))
        map_rows.append({"corpus": CORPUS, "participant_id": pid, "name": author, "n_units": int(n_units[author]),
                         "x": rng.gauss(0, 1), "y": rng.gauss(0, 1), "dominant_role": dominant(counts),
                         "dominant_frame": max(fs, key=lambda f: frame_mix[pid][f]) if fs else None, "roles": rs,
                         "role_shares": shares, "frames": fs, "frame_shares": fshares})
    return {"unit_roles": unit_roles, "relations": rel.frame("relations"),
            "positions": conform(pd.DataFrame(pos_rows), TABLES["positions"]),
            "participant_map": conform(pd.DataFrame(map_rows), TABLES["participant_map"])}


def replies(attributed: pd.DataFrame, rng: random.Random) -> dict[str, pd.DataFrame]:
    """replies (every included comment with a parent: who answers whom, a random stance) and reply_pairs."""
    author = dict(zip(attributed["utterance_id"], attributed["author"], strict=True))
    rows = []
    for r in attributed[attributed["included"] & attributed["parent_id"].notna()].itertuples(index=False):
        a, b = r.author, author.get(r.parent_id)
        stance = rng.choices(STANCES, weights=STANCE_P)[0]
        rows.append({"corpus": CORPUS, "doc_id": r.doc_id, "utterance_id": r.utterance_id, "parent_id": r.parent_id,
                     "depth": r.depth, "replier": a, "replier_id": f"{CORPUS}/{slug(a)}" if isinstance(a, str) else None,
                     "addressee": b, "addressee_id": f"{CORPUS}/{slug(b)}" if isinstance(b, str) else None,
                     "stance": stance, "cues": [], "text": r.clean_text})
    rep = conform(pd.DataFrame(rows), TABLES["replies"])
    both = rep.dropna(subset=["replier_id", "addressee_id"])
    pairs = []
    for (a, b), g in both.groupby(["replier_id", "addressee_id"], sort=True):
        c = Counter(g["stance"])
        pairs.append({"corpus": CORPUS, "replier_id": a, "addressee_id": b, "n_replies": len(g),
                      **{f"n_{s}": c.get(s, 0) for s in STANCES},
                      "dominant_stance": max(STANCES, key=lambda s: (c.get(s, 0), -STANCES.index(s))),
                      "utterance_ids": sorted(g["utterance_id"])})
    return {"replies": rep, "reply_pairs": conform(pd.DataFrame(pairs), TABLES["reply_pairs"])}


def metrics(t: dict[str, pd.DataFrame], book: Codebook, rng: random.Random
            ) -> tuple[dict[str, dict[str, Any]], dict[str, pd.DataFrame]]:
    """Stage metrics with evaluation blocks over a fixed-size hand-coded sample, and their per-item rows."""
    units, uf = t["units"], t["unit_frames"]
    frame = dict(zip(uf["unit_id"], uf["frame"], strict=True))
    coded = rng.sample(list(units["unit_id"]), min(CODED_UNITS, len(units)))
    gold = [frame[u] if rng.random() < 0.55 else rng.choice(book.frames) for u in coded]
    labels = list(book.frames)
    unit_block, unit_items = evaluation(coded, gold, [frame[u] for u in coded], labels)
    utf = t["utterance_frames"]
    utt_frame = dict(zip(utf["utterance_id"], utf["frame"], strict=True))
    coded_utts = rng.sample(sorted(utt_frame), min(CODED_UTTERANCES, len(utt_frame)))
    utt_block, utt_items = evaluation(coded_utts, [utt_frame[u] if rng.random() < 0.6 else rng.choice(labels)
                                                   for u in coded_utts], [utt_frame[u] for u in coded_utts], labels)
    second = coded[:100]
    inter, inter_items = evaluation(second, gold[:100], noisy(gold[:100], book.frames, rng, 0.7), labels, "coder1",
                                    "coder2")
    inter["kappa"] = 0.55
    ur = t["unit_roles"]
    g = ur[ur["gold_role"].notna()]
    roles = list(book.roles)
    zs, _ = evaluation(g["unit_id"].tolist(), g["gold_role"].tolist(), g["zeroshot_role"].tolist(), roles)
    sup, _ = evaluation(g["unit_id"].tolist(), g["gold_role"].tolist(), g["supervised_role"].tolist(), roles)
    n_docs = len(t["documents"])
    stage = {
        "frames": {"method": "stacked", "unit": unit_block, "utterance": utt_block, "intercoder": inter,
                   "per_corpus": {CORPUS: {"units": len(units), "coded_units": len(coded),
                                           "coded_documents": min(20, n_docs), "validated": True,
                                           "unit_across_documents": {"macro_f1": unit_block["macro_f1"],
                                                                     "n": len(coded),
                                                                     "ci95": {"macro_f1": unit_block["ci95"]["macro_f1"]}}}}},
        "positions": {"zeroshot": zs, "supervised_cv": sup},
        "segment": {"units": len(units)},
        "cluster": {"n_topics": int((t["topics"]["topic"] != -1).sum()),
                    "outlier_share": round(float((t["unit_topics"]["topic"] == -1).mean()), 4)},
        "stability": {"n_units": len(units), "method": "hdbscan", "seeds": [1, 2, 3, 4, 5], "ari_mean": 0.5,
                      "ari_min": 0.4, "ari_clustered_mean": 0.6,
                      "n_topics": {str(s): int((t["topics"]["topic"] != -1).sum()) for s in range(1, 6)},
                      "outlier_share": {str(s): 0.25 for s in range(1, 6)},
                      "pairs": [{"seeds": [a, b], "ari": 0.5, "ari_clustered": 0.6}
                                for a in range(1, 6) for b in range(a + 1, 6)]},
    }
    return stage, {"frames.unit": unit_items, "frames.utterance": utt_items, "frames.intercoder": inter_items}


@dataclass(frozen=True)
class ReportInputs:
    """What the report stage reads: tables by name, stage metrics by file stem, figures, per-item confusion rows."""

    tables: dict[str, pd.DataFrame]
    metrics: dict[str, dict[str, Any]]
    figures: dict[str, dict[str, Any]]
    confusion: dict[str, pd.DataFrame]

    def counts(self) -> dict[str, int]:
        """Rows per table (the size of what was synthesised)."""
        return {k: len(v) for k, v in sorted(self.tables.items())}


def report_inputs(n_comments: int, seed: int = 0, shape: Shape = DEFAULT_SHAPE,
                  book: Codebook | None = None) -> ReportInputs:
    """Every report input for `n_comments` synthetic comments (deterministic for a seed)."""
    rng = random.Random(seed)
    book = book or codebook()
    t = threads(n_comments, shape, rng)
    t["participants"] = people(t["attributed"])
    t.update(frames(t["units"], book, rng))
    topic_tables, figures = topics(t["units"], rng)
    t.update(topic_tables)
    t.update(positions(t["units"], t["unit_frames"], book, rng))
    t.update(replies(t["attributed"], rng))
    stage, confusion = metrics(t, book, rng)
    return ReportInputs(t, stage, figures, confusion)
