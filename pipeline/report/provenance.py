"""Provenance page data: revision, dvc.lock hashes, params, package versions, model identity (pure)."""

from __future__ import annotations

from typing import Any

PACKAGES = ("pandas", "pyarrow", "scikit-learn", "sentence-transformers", "torch", "transformers", "bertopic",
            "umap-learn", "hdbscan", "trafilatura", "pysbd", "plotly", "dvc", "dask", "pydantic")


def lock_rows(lock: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per (stage, dep/out) path with its hash, from a parsed dvc.lock."""
    rows: list[dict[str, Any]] = []
    for stage, entry in sorted(((lock or {}).get("stages") or {}).items()):
        for role in ("deps", "outs"):
            for item in entry.get(role) or []:
                digest = item.get("md5") or item.get("hash") or item.get("etag") or ""
                rows.append({"stage": stage, "role": role[:-1], "path": item.get("path", ""), "md5": digest,
                             "size": item.get("size"), "files": item.get("nfiles")})
    return rows


def flatten(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested params into (dotted key, value) rows."""
    if isinstance(obj, dict):
        out: list[tuple[str, str]] = []
        for k, v in obj.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(obj, list | tuple) and any(isinstance(v, dict) for v in obj):
        out = []
        for i, v in enumerate(obj):
            out += flatten(v, f"{prefix}[{i}]")
        return out
    return [(prefix, str(obj))]


EMBEDDINGS = ("embed", "data/processed/embeddings.parquet")


def out_hash(lock: dict[str, Any] | None, stage: str, path: str) -> str | None:
    """The hash dvc.lock records for one output of a stage (None when absent)."""
    for item in (((lock or {}).get("stages") or {}).get(stage) or {}).get("outs") or []:
        if item.get("path") == path:
            return item.get("md5") or item.get("hash")
    return None


def embedding_check(lock: dict[str, Any] | None, committed: dict[str, Any] | None) -> dict[str, Any] | None:
    """This run's embeddings hash against the one committed in git's dvc.lock (None when either is unknown)."""
    now, then = out_hash(lock, *EMBEDDINGS), out_hash(committed, *EMBEDDINGS)
    if now is None or then is None:
        return None
    return {"current": now, "committed": then, "same": now == then}


def provenance_context(revision: str, dirty: bool, lock: dict[str, Any] | None, params: dict[str, Any],
                       versions: dict[str, str], model: dict[str, Any] | None, generated: str,
                       environment: dict[str, Any] | None = None, committed_lock: dict[str, Any] | None = None
                       ) -> dict[str, Any]:
    """Everything the provenance page shows."""
    return {"revision": revision, "dirty": dirty, "lock_rows": lock_rows(lock), "params_rows": flatten(params),
            "versions": sorted(versions.items()), "model": model or {}, "generated": generated,
            "environment": environment or {}, "embedding_check": embedding_check(lock, committed_lock)}
