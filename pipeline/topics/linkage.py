"""Combining runs: co-association counted over atoms (units with the same label in every run) and weighted
average linkage cut where the mean co-association between two groups falls below the threshold."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.topics.clustering import OUTLIER

EPS = 1e-9


def atoms(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct label vectors over the runs (R, n) -> (signatures (m, R), atom of each column); atoms ordered by first member."""
    sig, inv = np.unique(np.asarray(labels).T, axis=0, return_inverse=True)
    inv = inv.ravel()
    first = np.full(len(sig), len(inv), dtype=np.int64)
    np.minimum.at(first, inv, np.arange(len(inv)))
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return sig[order], rank[inv]


def coassoc_counts(sig: np.ndarray) -> np.ndarray:
    """Runs in which two atoms share a non-outlier topic: (m, m) int32 from signatures (m, R)."""
    m, R = sig.shape
    C = np.zeros((m, m), dtype=np.int32)
    for r in range(R):
        col = sig[:, r]
        order = np.argsort(col, kind="stable")
        vals, starts = np.unique(col[order], return_index=True)
        for v, s, e in zip(vals, starts, np.append(starts[1:], m), strict=True):
            if v != OUTLIER:
                g = order[s:e]
                C[np.ix_(g, g)] += 1
    return C


def average_linkage(D: np.ndarray, weights: np.ndarray, max_dist: float) -> list[tuple[int, int, float]]:
    """Weighted average linkage (UPGMA) on distances D (m, m): the merges (kept row, merged row, height) in order,
    up to height max_dist. Greedy closest pair, ties to the smaller index."""
    m = len(D)
    D = np.array(D, dtype=np.float64)
    np.fill_diagonal(D, np.inf)
    w = np.asarray(weights, dtype=np.float64).copy()
    merges: list[tuple[int, int, float]] = []
    if m < 2:
        return merges
    nn = np.argmin(D, axis=1)
    nnd = D[np.arange(m), nn]
    while True:
        i = int(np.argmin(nnd))
        h = float(nnd[i])
        if not h <= max_dist + EPS:
            break
        a, b = sorted((i, int(nn[i])))
        merges.append((a, b, h))
        new = (w[a] * D[a] + w[b] * D[b]) / (w[a] + w[b])
        D[a, :] = new
        D[:, a] = new
        D[b, :] = np.inf
        D[:, b] = np.inf
        D[a, a] = np.inf
        w[a] += w[b]
        nnd[b] = np.inf
        stale = np.flatnonzero((nn == a) | (nn == b) | (D[:, a] < nnd) | ((D[:, a] == nnd) & (a < nn)))
        stale = stale[np.isfinite(nnd[stale]) | (stale == a)]
        for k in stale.tolist():
            nn[k] = int(np.argmin(D[k]))
            nnd[k] = D[k, nn[k]]
    return merges


def apply_merges(m: int, merges: Sequence[tuple[int, int, float]], cut: float) -> np.ndarray:
    """Cluster id (smallest member) per row after the merges with height <= cut."""
    cl = np.arange(m)
    for a, b, h in merges:
        if h > cut + EPS:
            break
        cl[cl == cl[b]] = cl[a]
    return cl


def average_linkage_cut(D: np.ndarray, weights: np.ndarray, max_dist: float) -> np.ndarray:
    """Weighted average linkage on D cut at max_dist: a cluster id (its smallest member) per row."""
    return apply_merges(len(D), average_linkage(D, weights, max_dist), max_dist)


def consensus_partition(labels: np.ndarray, weights: np.ndarray, threshold: float, min_size: int) -> np.ndarray:
    """Raw consensus labels (n,) from run labels (R, n): average linkage on 1 - co-association, cut at 1 - threshold.

    Clusters with fewer than min_size members (distinct vectors) are outliers; ids are not canonical yet."""
    labels = np.asarray(labels)
    R, n = labels.shape
    out = np.full(n, OUTLIER, dtype=np.int64)
    if n == 0 or R == 0:
        return out
    sig, atom = atoms(labels)
    self_runs = (sig != OUTLIER).sum(axis=1)
    eligible = np.flatnonzero(self_runs >= np.ceil(threshold * R - EPS))
    if len(eligible) == 0:
        return out
    w = np.bincount(atom, weights=np.asarray(weights, dtype=np.float64), minlength=len(sig))[eligible]
    cl = average_linkage_cut(R - coassoc_counts(sig[eligible]), w, R * (1.0 - threshold))
    atom_cluster = np.full(len(sig), OUTLIER, dtype=np.int64)
    atom_cluster[eligible] = cl
    out = atom_cluster[atom]
    ids, sizes = np.unique(out[out != OUTLIER], return_counts=True)
    out[np.isin(out, ids[sizes < min_size])] = OUTLIER
    return out
