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


def provenance_context(revision: str, dirty: bool, lock: dict[str, Any] | None, params: dict[str, Any],
                       versions: dict[str, str], model: dict[str, Any] | None, generated: str) -> dict[str, Any]:
    """Everything the provenance page shows."""
    return {"revision": revision, "dirty": dirty, "lock_rows": lock_rows(lock), "params_rows": flatten(params),
            "versions": sorted(versions.items()), "model": model or {}, "generated": generated}
