"""Synthetic discussion corpora shaped like the real ones, written as thread_text files (the seed format).

Thread shapes (comments per thread, reply depth, comment length, paragraphs) are measured from the
seeds and ../shared/real threads by `derive_shape`; `DEFAULT_SHAPE` records what that gave on
2026-11-22 and is used when the real folder is absent. Texts are drawn from sentence templates over
a small domain vocabulary (the codebook's concepts), so segmentation, cleaning (signatures,
CommentLuv lines, duplicates) and attribution (vocatives) all have work to do.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Shape:
    """What a thread looks like: sizes, depth distribution, comment length (log-normal), paragraphs."""

    thread_sizes: tuple[int, ...]
    depth_probs: tuple[float, ...]  # P(depth = 1, 2, ...)
    log_len_mu: float
    log_len_sd: float
    chars_per_paragraph: float
    sources: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """The parameters as JSON-ready numbers."""
        d = asdict(self)
        d["mean_thread_size"] = round(sum(self.thread_sizes) / len(self.thread_sizes), 2)
        d["median_comment_chars"] = round(math.exp(self.log_len_mu))
        d.pop("thread_sizes")
        return d


# Measured by derive_shape() over the seeds + real reddit_json, wordpress_wxr, hackernews_html threads
# (58 threads with comments, 768 comments; median comment 133 characters) on 2026-11-22.
DEFAULT_SHAPE = Shape(
    thread_sizes=(1,) * 28 + (2,) * 12 + (3,) * 6 + (4, 5, 5, 6, 6, 6, 8, 10, 11, 45, 100, 492),
    depth_probs=(0.391, 0.217, 0.124, 0.108, 0.065, 0.046, 0.026, 0.014, 0.008, 0.001),
    log_len_mu=4.887, log_len_sd=1.133, chars_per_paragraph=133.6, sources=("recorded default",))


def derive_shape(utterances: list[Any], sources: list[str]) -> Shape:
    """Measure a Shape from utterances tables (pandas frames with kind, doc_id, depth, text)."""
    import numpy as np
    import pandas as pd

    comments = pd.concat([u[u["kind"] == "comment"] for u in utterances], ignore_index=True)
    sizes = tuple(int(s) for s in comments.groupby("doc_id").size().tolist())
    depth = Counter(int(d) for d in comments["depth"])
    top = max(depth)
    probs = tuple(round(depth.get(d, 0) / len(comments), 3) for d in range(1, top + 1))
    lengths = comments["text"].str.len().clip(lower=1).to_numpy()
    paragraphs = comments["text"].str.count("\n\n").add(1).to_numpy()
    return Shape(sizes, probs, round(float(np.log(lengths).mean()), 3), round(float(np.log(lengths).std()), 3),
                 round(float(lengths.sum() / paragraphs.sum()), 1), tuple(sources))


NAMES = ("Prem", "Mitch", "Esteban", "Melissa", "Geoff", "Laura", "Wim", "Mark", "Jon", "Brian", "Denise", "Paul",
         "Ana", "Chris", "Dana", "Ravi", "Sofia", "Tom", "Ines", "Kwame")
SURNAMES = ("Kumar", "Lieberman", "Kolsky", "Greenberg", "Rasmus", "Tamis", "Ferrara", "Solis", "Vogel", "Okafor")
CONCEPTS = ("social media", "Social CRM", "social business", "Enterprise 2.0", "CRM", "customer experience",
            "social media marketing", "community management", "collaboration", "customer service")
NOUNS = ("strategy", "process", "culture", "budget", "the customer", "marketing", "sales", "the org chart", "ROI",
         "governance", "engagement", "the brand", "IT", "management", "the market", "listening", "metrics")
ADJS = ("critical", "overrated", "inevitable", "misunderstood", "strategic", "tactical", "expensive", "essential",
        "premature", "disruptive", "a distraction", "a means, not an end")
VERBS = ("drives", "depends on", "replaces", "supports", "is part of", "leads to", "undermines", "requires")
TEMPLATES = (
    "I think {c} is {a} for most companies.",
    "{C} {v} {n}, not the other way around.",
    "The real question is whether {c} {v} {n}.",
    "We tried {c} at my company and {n} was the hard part.",
    "Without {n}, {c} is just another tool.",
    "Most vendors sell {c} as if it were {a}.",
    "Agreed, {c} {v} {n} in the long run.",
    "I'm not sure {c} is {a}; {n} matters more.",
    "In 2011 everyone said {c} would change {n}.",
    "Can {c} really fix {n}?",
    "That's the point: {c} is {a} when {n} is ignored.",
    "Dr. Smith made the same argument about {c} vs. {n} at the conference.",
    "{C} and {c2} are different things, e.g. in how they treat {n}.",
    "Thanks for the read!",
    "Great post.",
)


def sentence(rng: random.Random) -> str:
    """One sentence from a template."""
    t = rng.choice(TEMPLATES)
    c = rng.choice(CONCEPTS)
    return t.format(c=c, C=c[0].upper() + c[1:], c2=rng.choice(CONCEPTS), n=rng.choice(NOUNS), a=rng.choice(ADJS),
                    v=rng.choice(VERBS))


def comment_body(rng: random.Random, shape: Shape, parent_author: str | None) -> list[str]:
    """Paragraphs of one comment of a log-normal length; sometimes a vocative, signature or CommentLuv line."""
    target = max(8, int(rng.lognormvariate(shape.log_len_mu, shape.log_len_sd)))
    n_par = max(1, round(target / shape.chars_per_paragraph))
    per = target / n_par
    paragraphs = []
    for _ in range(n_par):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < per:
            words.append(sentence(rng))
        paragraphs.append(" ".join(words))
    if parent_author and rng.random() < 0.35:
        paragraphs[0] = f"{parent_author.split()[0]}, {paragraphs[0]}"
    if rng.random() < 0.1:
        paragraphs.append(f"– {rng.choice(NAMES)}")
    elif rng.random() < 0.05:
        paragraphs.append(f".-= {rng.choice(NAMES)} {rng.choice(SURNAMES)}´s last blog ..{sentence(rng)[:30]} =-.")
    return paragraphs


def thread_text(rng: random.Random, shape: Shape, n_comments: int, key: int) -> str:
    """One thread in the thread_text layout: title, post, "N Replies" heading, numbered nested comments."""
    title = f"Thread {key}: {rng.choice(CONCEPTS).title()} and {rng.choice(NOUNS).title()}"
    post = [" ".join(sentence(rng) for _ in range(rng.randint(3, 8))) for _ in range(rng.randint(1, 4))]
    lines = [title, "", *[p for par in post for p in (par, "")], f"{n_comments} Replies to “{title}”", ""]
    last_at: dict[int, str] = {0: "Host"}  # depth -> author of the latest comment there
    counters: dict[int, int] = {}
    weights = list(shape.depth_probs)
    for _ in range(n_comments):
        depth = rng.choices(range(1, len(weights) + 1), weights)[0]
        depth = min(depth, max(last_at) + 1)
        for d in [d for d in last_at if d > depth]:
            del last_at[d]
            counters.pop(d + 1, None)
        counters[depth] = counters.get(depth, 0) + 1
        counters.pop(depth + 1, None)
        author = f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}"
        body = comment_body(rng, shape, last_at.get(depth - 1) if depth > 1 else None)
        pad = "  " * depth
        lines.append(f"{pad}{counters[depth]}. {body[0]}")
        for par in body[1:]:
            lines += ["", f"{pad}  {par}"]
        lines += ["", ""]
        last_at[depth] = author
    lines.append("Comments are closed.")
    return "\n".join(lines) + "\n"


def write_corpus(folder: Path, n_comments: int, shape: Shape = DEFAULT_SHAPE, seed: int = 0) -> dict[str, int]:
    """Write threads totalling `n_comments` comments into `folder`; returns files and comments written."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    done = files = 0
    while done < n_comments:
        size = min(rng.choice(shape.thread_sizes), n_comments - done)
        (folder / f"t{seed:03d}_{files:06d}.txt").write_text(thread_text(rng, shape, size, files), encoding="utf-8")
        done += size
        files += 1
    return {"files": files, "comments": done}
