"""The clustering runs behind the consensus topics: distinct vectors, near-duplicates merged, one shared kNN graph
and spectral layout, R seeded UMAP layouts + HDBSCAN over it (docs/clustering.md).

Because the shared graph depends only on who is whose neighbour, a last-bit change of the vectors (batch
size, thread count, 1e-6 noise) leaves it, and every run, bit-identical as long as no neighbour set changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from pipeline.common.config import ClusterConfig, ConsensusConfig
from pipeline.topics.clustering import OUTLIER, cluster_labels, make_parts

TIE_MARGIN = 16  # candidates beyond k considered when ranking neighbours


MIN_EPOCHS = 10  # UMAP prunes edges by 1 / n_epochs; fewer epochs than this is no layout

RunMap = Callable[[Callable[["RunSpec"], np.ndarray], list["RunSpec"]], Iterable[np.ndarray]]


@dataclass(frozen=True)
class RunSpec:
    """One clustering run: its seed and the sd of the Gaussian noise added to the vectors."""

    seed: int
    noise: float = 0.0


@dataclass(frozen=True)
class SharedGraph:
    """What the runs share: the graph over the exact kNN, its spectral layout, UMAP's curve parameters a, b."""

    graph: Any
    init: np.ndarray
    a: float
    b: float
    n_components: int


def run_specs(cfg: ConsensusConfig, base_seed: int) -> list[RunSpec]:
    """The runs: seeds base_seed, base_seed + 1, ...; each with cfg.noise."""
    return [RunSpec(base_seed + r, cfg.noise) for r in range(cfg.runs)]


def unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows left as they are), float32."""
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms == 0, 1.0, norms)


def cosine_knn(X: np.ndarray, k: int, Y: np.ndarray | None = None, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest rows of Y (default X) for every row of X by cosine distance; ties -> smaller index.

    With Y None each row's first neighbour is itself (distance 0), as UMAP expects."""
    A = unit_rows(X)
    B = A if Y is None else unit_rows(Y)
    k = min(k, len(B))
    idx = np.empty((len(A), k), dtype=np.int64)
    dist = np.empty((len(A), k), dtype=np.float32)
    for s in range(0, len(A), block):
        sims = A[s:s + block] @ B.T
        if Y is None:
            rows = np.arange(sims.shape[0])
            sims[rows, rows + s] = np.inf  # self first
        c = min(k + TIE_MARGIN, sims.shape[1])  # a few extra candidates so that ties at the k-th place go by index
        part = np.argpartition(-sims, c - 1, axis=1)[:, :c] if c < sims.shape[1] else np.tile(np.arange(c), (len(sims), 1))
        ps = np.take_along_axis(sims, part, axis=1)
        order = np.lexsort((part, -ps), axis=1)[:, :k]
        idx[s:s + block] = np.take_along_axis(part, order, axis=1)
        d = 1.0 - np.take_along_axis(ps, order, axis=1)
        if Y is None:
            d[:, 0] = 0.0
        dist[s:s + block] = np.clip(d, 0.0, 2.0)
    return idx, dist


def knn_graph(idx: np.ndarray) -> Any:
    """The undirected kNN graph with unit weights (self loops dropped): it depends only on who is whose neighbour."""
    import scipy.sparse as sp

    n, k = idx.shape
    rows = np.repeat(np.arange(n), k)
    keep = idx.ravel() != rows
    G = sp.coo_matrix((np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], idx.ravel()[keep])), shape=(n, n)).tocsr()
    G = ((G + G.T) > 0).astype(np.float32)
    return G.tocoo()


def link_components(G: Any, weight: float = 1e-3) -> Any:
    """G plus weak edges chaining its connected components (first member to first member, in index order)."""
    import scipy.sparse as sp

    n_comp, comp = sp.csgraph.connected_components(G, directed=False)
    if n_comp == 1:
        return G
    first = np.full(n_comp, G.shape[0], dtype=np.int64)
    np.minimum.at(first, comp, np.arange(G.shape[0]))
    first = np.sort(first)
    a, b = first[:-1], first[1:]
    link = sp.coo_matrix((np.full(2 * len(a), weight, dtype=np.float32), (np.r_[a, b], np.r_[b, a])), shape=G.shape)
    return (G.tocsr() + link.tocsr()).tocoo()


def shared_graph(X: np.ndarray, cluster: ClusterConfig, kind: str = "knn") -> SharedGraph:
    """The graph every run shares, over the exact cosine kNN, and its spectral layout, computed once.

    kind "knn": unit weights on kNN edges, so the graph (and every run on it) stays bit-identical while the
    neighbour sets do; its components are chained by weak edges for the spectral layout. kind "fuzzy":
    UMAP's own fuzzy simplicial set (weights move with every last-bit change of the distances)."""
    from umap.spectral import spectral_layout
    from umap.umap_ import find_ab_params, fuzzy_simplicial_set

    n = len(X)
    k = max(2, min(cluster.n_neighbors, n - 1))
    dim = max(1, min(cluster.n_components, n - 2))
    idx, dist = cosine_knn(X, k)
    if kind == "knn":
        graph = knn_graph(idx)
        layout_graph = link_components(graph)
    else:
        rs = np.random.RandomState(0)  # unused by fuzzy_simplicial_set when the kNN is given
        graph, _, _ = fuzzy_simplicial_set(X, k, rs, "cosine", knn_indices=idx, knn_dists=dist)
        layout_graph = graph
    init = np.asarray(spectral_layout(X, layout_graph, dim, np.random.RandomState(0), metric="cosine"), dtype=np.float64)
    a, b = find_ab_params(1.0, cluster.min_dist)
    return SharedGraph(graph, init, float(a), float(b), dim)


def _embed_shared(X: np.ndarray, shared: SharedGraph, seed: int, n_epochs: int | None = None) -> np.ndarray:
    """One UMAP layout from the shared graph and init: seeded init jitter and SGD sampling."""
    from umap.umap_ import noisy_scale_coords, simplicial_set_embedding

    rs = np.random.RandomState(seed)
    init = noisy_scale_coords(shared.init, rs, max_coord=10.0, noise=0.0001)
    emb, _ = simplicial_set_embedding(X, shared.graph, shared.n_components, 1.0, shared.a, shared.b, 1.0, 5, n_epochs,
                                      init, rs, "cosine", {}, False, {}, False)
    return np.asarray(emb)


def epochs_for(n: int, cfg: ConsensusConfig) -> int:
    """UMAP epochs per run for n fitted vectors: cfg.n_epochs (or UMAP's default), capped at max_vector_epochs / n."""
    epochs = cfg.n_epochs or (500 if n <= 10000 else 200)
    if cfg.max_vector_epochs is not None:
        epochs = min(epochs, max(MIN_EPOCHS, cfg.max_vector_epochs // max(n, 1)))
    return epochs


def shared_run(X: np.ndarray, shared: SharedGraph, cluster: ClusterConfig, epochs: int, spec: RunSpec) -> np.ndarray:
    """Labels of one run on the shared graph: its seeded layout, then HDBSCAN."""
    _, clusterer = make_parts(cluster, len(X), spec.seed)
    return clusterer.fit(_embed_shared(X, shared, spec.seed, epochs)).labels_


def independent_run(X: np.ndarray, cluster: ClusterConfig, spec: RunSpec) -> np.ndarray:
    """Labels of one full fit (UMAP + HDBSCAN) on the vectors plus the run's noise."""
    Xr = X + np.random.default_rng(spec.seed).normal(0.0, spec.noise, X.shape).astype(np.float32) if spec.noise else X
    return cluster_labels(Xr, cluster, spec.seed)


def serial_map(fn: Callable[[RunSpec], np.ndarray], specs: list[RunSpec]) -> Iterable[np.ndarray]:
    """The runs one after the other in this process."""
    return map(fn, specs)


def cluster_runs(X: np.ndarray, cluster: ClusterConfig, cfg: ConsensusConfig, specs: Sequence[RunSpec],
                 run_map: RunMap | None = None) -> np.ndarray:
    """Labels (R, n) of every run over X: shared graph when cfg.share_graph, else full independent fits.

    `run_map(fn, specs)` runs them (results in spec order; e.g. an engine's imap: each run is seeded on its own,
    so the labels do not depend on where it runs); serial in this process by default."""
    X = np.asarray(X, dtype=np.float32)
    n = len(X)
    if n < 3:
        return np.full((len(specs), n), OUTLIER, dtype=np.int64)
    if cfg.share_graph and cluster.method == "hdbscan":
        fn = partial(shared_run, X, shared_graph(X, cluster, cfg.graph), cluster, epochs_for(n, cfg))
    else:
        fn = partial(independent_run, X, cluster)
    rows = list((run_map or serial_map)(fn, list(specs)))
    return np.stack(rows).astype(np.int64) if rows else np.empty((0, n), dtype=np.int64)


def merge_near_duplicates(X: np.ndarray, tol: float, k: int = 8) -> np.ndarray:
    """Group of each row: rows within cosine distance tol of each other (chained over k nearest) share the id of
    their first row. Vectors of different texts that embed (almost) identically would otherwise tie in every
    neighbour ranking and let last-bit noise decide the graph."""
    import scipy.sparse as sp

    n = len(X)
    if n == 0 or tol <= 0:
        return np.arange(n)
    idx, dist = cosine_knn(X, min(k, n))
    rows = np.repeat(np.arange(n), idx.shape[1])
    close = (dist.ravel() <= tol) & (idx.ravel() != rows)
    G = sp.coo_matrix((np.ones(int(close.sum())), (rows[close], idx.ravel()[close])), shape=(n, n))
    _, comp = sp.csgraph.connected_components(G, directed=False)
    first = np.full(comp.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, comp, np.arange(n))
    return first[comp]


def distinct_by_text(texts: Sequence[str], vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units -> (vectors of the distinct texts in first-occurrence order, their unit counts, unit -> distinct row)."""
    first: dict[str, int] = {}
    inverse = np.array([first.setdefault(t, len(first)) for t in texts], dtype=np.int64)
    rows = np.zeros(len(first), dtype=np.int64)
    rows[inverse[::-1]] = np.arange(len(texts))[::-1]
    return np.asarray(vectors)[rows], np.bincount(inverse, minlength=len(first)), inverse


def fit_sample_index(n: int, cfg: ConsensusConfig, seed: int) -> np.ndarray:
    """Rows fitted: all, or a seeded sample of cfg.fit_sample rows (sorted); depends only on n and the seed."""
    if cfg.fit_sample is None or n <= cfg.fit_sample:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, cfg.fit_sample, replace=False))
