"""Training the block classifier on gold pages (scikit-learn logistic regression, seeded), as JSON.

Pages are prepared once (index, candidates, labels, dense features); a model is fitted on any subset
of them (a leave-one-platform-out fold or all pages): the token-part vocabulary is re-derived from the
subset's positives (parts seen on comment blocks of at least `min_platforms` platforms), features are
standardised, and the coefficients are stored in a BlockModel.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from lxml import html as lxml_html

from pipeline.common.config import HtmlConfig
from pipeline.evaluation.extraction_labels import label_page
from pipeline.ingest.adapters.html_block_features import feature_names, features, vocab_features
from pipeline.ingest.adapters.html_blocks import PageIndex, candidates, index_page, token_parts
from pipeline.ingest.adapters.html_model import BlockModel, Tree


@dataclass
class PageData:
    """One gold page ready for training: candidates, their labels and dense features."""

    name: str
    platform: str
    pi: PageIndex
    cands: list[int]
    labels: list[int | None]
    dense: list[list[float]]
    positives: list[int | None]


def prepare(name: str, platform: str, root: lxml_html.HtmlElement, items: list[dict[str, Any]],
            cfg: HtmlConfig) -> PageData:
    """Index a page, list its candidates, label them from the gold items, compute dense features."""
    pi = index_page(root, cfg)
    cands = candidates(pi, cfg.min_repeats)
    labels, positives = label_page(pi, cands, items)
    return PageData(name, platform, pi, cands, labels, features(pi, cands, ()), positives)


def derive_vocab(pages: list[PageData], min_platforms: int, size: int = 60) -> tuple[str, ...]:
    """Token parts on positive blocks, their parents or their insides, of at least `min_platforms`
    platforms (the `size` most widespread)."""
    seen: dict[str, set[str]] = {}
    for p in pages:
        for i, y in zip(p.cands, p.labels, strict=True):
            if y == 1:
                el = p.pi.ix.elements[i]
                parent = el.getparent()
                parts = set(token_parts(el)) | (set(token_parts(parent)) if parent is not None else set())
                for j in range(i + 1, min(p.pi.ix.end[i], i + 400) + 1):
                    parts.update(token_parts(p.pi.ix.elements[j]))
                for part in parts:
                    if len(part) >= 3:
                        seen.setdefault(part, set()).add(p.platform)
    ranked = sorted((w for w, ps in seen.items() if len(ps) >= min_platforms), key=lambda w: (-len(seen[w]), w))
    return tuple(sorted(ranked[:size]))


def _trees(gbt: Any) -> tuple[tuple[Tree, ...], float]:
    """The fitted boosted trees as Tree records, and the initial log-odds."""
    import numpy as np

    out = []
    for est in gbt.estimators_[:, 0]:
        t = est.tree_
        out.append(Tree(tuple(int(f) for f in t.feature), tuple(float(v) for v in t.threshold),
                        tuple(int(v) for v in t.children_left), tuple(int(v) for v in t.children_right),
                        tuple(float(v) for v in t.value[:, 0, 0])))
    prior = float(np.clip(gbt.init_.class_prior_[1], 1e-12, 1 - 1e-12))
    return tuple(out), float(np.log(prior / (1 - prior)))


def fit(pages: list[PageData], c: float, min_platforms: int, threshold: float, seed: int = 0,
        kind: str = "linear", trees: int = 60, depth: int = 3, rate: float = 0.1) -> BlockModel:
    """A block model (logistic regression, boosted trees or both) on the labelled candidates of `pages`."""
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    vocab = derive_vocab(pages, min_platforms)
    xs: list[list[float]] = []
    ys: list[int] = []
    weights: list[float] = []
    for p in pages:
        rows = [d + v for d, v in zip(p.dense, vocab_features(p.pi, p.cands, vocab), strict=True)]
        n_pos = max(1, sum(y == 1 for y in p.labels))
        n_neg = max(1, sum(y == 0 for y in p.labels))
        for x, y in zip(rows, p.labels, strict=True):
            if y is None:
                continue
            xs.append(x)
            ys.append(y)
            weights.append(1.0 / n_pos if y == 1 else 1.0 / n_neg)  # every page counts the same
    x = np.asarray(xs, dtype=float)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    w = np.asarray(weights) * len(pages)
    coef: tuple[float, ...] = ()
    intercept = 0.0
    if kind in ("linear", "ensemble"):
        clf = LogisticRegression(C=c, max_iter=5000, random_state=seed).fit(z, np.asarray(ys), sample_weight=w)
        coef, intercept = tuple(float(v) for v in clf.coef_[0]), float(clf.intercept_[0])
    forest: tuple[Tree, ...] = ()
    init = 0.0
    if kind in ("trees", "ensemble"):
        gbt = GradientBoostingClassifier(n_estimators=trees, max_depth=depth, learning_rate=rate,
                                         random_state=seed).fit(z, np.asarray(ys), sample_weight=w)
        forest, init = _trees(gbt)
    counts = Counter(ys)
    return BlockModel(vocab, tuple(feature_names(vocab)), tuple(float(v) for v in mean),
                      tuple(float(v) for v in scale), coef, intercept, threshold,
                      {"C": c, "min_platforms": min_platforms, "seed": seed, "pages": len(pages),
                       "positives": counts[1], "negatives": counts[0], "trees": trees, "depth": depth,
                       "platforms": sorted({p.platform for p in pages})},
                      kind, forest, init, rate)
