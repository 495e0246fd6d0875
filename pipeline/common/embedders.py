"""Sentence embedders behind one small interface, built from `EmbedConfig` in one place."""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from pipeline.common.config import EmbedConfig

PACKAGE_PREFIX = "package:"
# Files that do not change what a model computes; left out of its identity hash.
_NOT_MODEL_FILES = {"README.md", ".gitattributes"}


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into a float32 matrix of shape (len(texts), dim)."""

    identity: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts, one row per text, in order."""
        ...


class EmbedderError(ValueError):
    """The configured model cannot be found or loaded."""


def set_offline_env() -> None:
    """Forbid hub downloads: the model must be installed or on disk."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def resolve_model_path(model: str) -> Path:
    """'package:NAME' -> the installed package's model folder; else a local path or a cached hub name."""
    if model.startswith(PACKAGE_PREFIX):
        name = model[len(PACKAGE_PREFIX):]
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise EmbedderError(f"embed.model {model!r}: package {name!r} is not installed") from None
        return Path(module.get_model_path())
    local = Path(model)
    if local.is_dir():
        return local
    set_offline_env()
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model, local_files_only=True))
    except Exception as e:  # noqa: BLE001 - any hub failure means "not available offline"
        raise EmbedderError(f"embed.model {model!r}: not a folder and not in the local hub cache ({e})") from None


def model_fingerprint(path: Path) -> str:
    """SHA-256 over the relative names and bytes of a model folder's weight and config files."""
    h = hashlib.sha256()
    files = sorted(p for p in Path(path).rglob("*") if p.is_file() and p.name not in _NOT_MODEL_FILES)
    if not files:
        raise EmbedderError(f"model folder {path} has no files")
    for p in files:
        h.update(p.relative_to(path).as_posix().encode("utf-8") + b"\0")
        with p.open("rb") as f:
            for block in iter(lambda f=f: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def model_identity(name: str, fingerprint: str, normalize: bool) -> str:
    """Cache-safe identity: readable name, weight hash and whether vectors are L2-normalised."""
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name.split("/")[-1].replace(PACKAGE_PREFIX, ""))
    return f"{slug}-{fingerprint[:16]}-{'norm' if normalize else 'raw'}"


class SentenceTransformerEmbedder:
    """A sentence-transformers model on CPU, loaded from a local folder (no network)."""

    def __init__(self, cfg: EmbedConfig) -> None:
        set_offline_env()
        from sentence_transformers import SentenceTransformer

        self.path = resolve_model_path(cfg.model)
        self.model = SentenceTransformer(str(self.path), device=cfg.device)
        self.batch_size = cfg.batch_size
        self.normalize = cfg.normalize
        self.identity = model_identity(cfg.model, model_fingerprint(self.path), cfg.normalize)
        # sentence-transformers >= 6 renamed the method; older releases only have the long name.
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed in batches of `batch_size`; float32 (n, dim)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=self.normalize,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)


class HashingEmbedder:
    """Model-free bag-of-words hashing vectors: cheap, deterministic (smoke runs, not analysis)."""

    def __init__(self, cfg: EmbedConfig) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.dim = cfg.hashing_dim
        self.normalize = cfg.normalize
        self.vectorizer = HashingVectorizer(n_features=self.dim, alternate_sign=False, norm=None)
        fp = hashlib.sha256(f"hashing:{self.dim}".encode()).hexdigest()
        self.identity = model_identity("hashing", fp, cfg.normalize)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Token-count vectors hashed into `dim` buckets; float32 (n, dim)."""
        x = self.vectorizer.transform(list(texts)).toarray().astype(np.float32)
        if self.normalize:
            norms = np.linalg.norm(x, axis=1, keepdims=True)
            x = x / np.where(norms == 0, 1.0, norms)
        return x


EMBEDDERS: dict[str, Callable[[EmbedConfig], Embedder]] = {
    "sentence-transformers": SentenceTransformerEmbedder,
    "hashing": HashingEmbedder,
}


def make_embedder(cfg: EmbedConfig | None = None) -> Embedder:
    """Build the embedder named by `cfg.backend` (defaults: EmbedConfig())."""
    cfg = cfg or EmbedConfig()
    try:
        factory = EMBEDDERS[cfg.backend]
    except KeyError:
        raise EmbedderError(f"embed.backend {cfg.backend!r}: choose one of {sorted(EMBEDDERS)}") from None
    return factory(cfg)


def embedding_matrix(embeddings: pd.DataFrame) -> np.ndarray:
    """The (n, dim) float32 matrix of an embeddings table, in row order."""
    if embeddings.empty:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([np.asarray(v, dtype=np.float32) for v in embeddings["vector"]])
