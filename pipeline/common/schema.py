"""The project's tables: one place that defines every table, its columns, their types and meaning."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa


@dataclass(frozen=True)
class Column:
    """One column of a table: name, Arrow type, whether null is allowed, and what it means."""

    name: str
    type: pa.DataType
    nullable: bool
    doc: str


@dataclass(frozen=True)
class Table:
    """A named table with ordered columns."""

    name: str
    doc: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    @property
    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema used for Parquet files of this table."""
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])


S, I, F, B = pa.string(), pa.int64(), pa.float64(), pa.bool_()
LS = pa.list_(pa.string())

KINDS = ("post", "comment", "pingback")

DOCUMENTS = Table(
    "documents",
    "One row per discussion (a post with its thread, a Reddit submission, a talk page).",
    (
        Column("corpus", S, False, "corpus name from params.yaml"),
        Column("doc_id", S, False, "stable id: '<corpus>/<document key>'"),
        Column("title", S, True, "title of the post or thread"),
        Column("url", S, True, "canonical URL where known"),
        Column("post_author", S, True, "author of the post (manifest, markup or export field)"),
        Column("date", S, True, "publication date, ISO 8601 (as precise as known)"),
        Column("platform", S, True, "site or platform (wordpress, blogger, reddit, ...)"),
        Column("format", S, False, "adapter that parsed the source (thread_text, html, ...)"),
        Column("source_file", S, False, "source path relative to the project root"),
        Column("source_sha256", S, False, "SHA-256 of the source file's bytes"),
    ),
)

UTTERANCES = Table(
    "utterances",
    "One row per post, comment or pingback, in thread order within its document.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("doc_id", S, False, "document the utterance belongs to"),
        Column("utterance_id", S, False, "stable id: '<doc_id>/<local id>'"),
        Column("parent_id", S, True, "utterance replied to; null for the post and for orphans"),
        Column("position", I, False, "0-based index in thread (reading) order within the document"),
        Column("depth", I, False, "0 = post, 1 = top-level comment, 2 = reply, ..."),
        Column("kind", S, False, "post | comment | pingback"),
        Column("author", S, True, "speaker name, null when unknown"),
        Column("author_evidence", S, True, "why the author is believed (field, manifest, signature, ...)"),
        Column("date", S, True, "ISO 8601 date or datetime where known"),
        Column("text", S, False, "utterance text, normalised (see pipeline.common.textnorm)"),
        Column("source_file", S, False, "source path relative to the project root"),
        Column("char_start", I, True, "start offset (characters of the decoded source) of the span"),
        Column("char_end", I, True, "end offset (exclusive) of the span in the decoded source"),
    ),
)

PROBLEMS = Table(
    "problems",
    "One row per source item that could not be turned into data, with the reason.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("source", S, False, "file path or URL"),
        Column("location", S, True, "line, element or record where known"),
        Column("stage", S, False, "stage that met the problem"),
        Column("reason", S, False, "short machine-readable reason (e.g. empty-file, bad-xml)"),
        Column("detail", S, False, "human-readable message naming the file"),
    ),
)

SKIPPED = Table(
    "skipped_spans",
    "Spans of a source deliberately not turned into utterances (title line, headings, site boilerplate).",
    (
        Column("corpus", S, False, "corpus name"),
        Column("doc_id", S, False, "document"),
        Column("source_file", S, False, "source path"),
        Column("char_start", I, False, "start offset in the decoded source"),
        Column("char_end", I, False, "end offset (exclusive) in the decoded source"),
        Column("reason", S, False, "title | comment-heading | boilerplate-after-thread | ..."),
        Column("text", S, False, "the skipped text"),
    ),
)

REMOVALS = Table(
    "removals",
    "What cleaning took out of the analysis, and why (nothing leaves without a row here).",
    (
        Column("corpus", S, False, "corpus name"),
        Column("doc_id", S, False, "document"),
        Column("utterance_id", S, False, "utterance the removed piece belongs to"),
        Column("scope", S, False, "utterance (whole utterance excluded) | span (text moved out)"),
        Column("reason", S, False, "pingback | duplicate | empty | boilerplate | commentluv | signature | ..."),
        Column("text", S, False, "the removed text"),
    ),
)

CLEAN_UTTERANCES = Table(
    "clean_utterances",
    "Utterances after cleaning: the same rows as `utterances` plus cleaned text and moved-out fields.",
    UTTERANCES.columns
    + (
        Column("clean_text", S, False, "text with boilerplate, CommentLuv and signature lines moved out"),
        Column("commentluv", S, True, "CommentLuv line(s) moved out of the text"),
        Column("signature", S, True, "signature line(s) moved out of the text"),
        Column("included", B, False, "true when the utterance enters the analysis"),
        Column("exclusion_reason", S, True, "why an utterance is excluded (pingback, duplicate, empty)"),
        Column("author_confidence", F, True, "confidence in `author` (0-1); set by attribution"),
    ),
)

PARTICIPANTS = Table(
    "participants",
    "One row per person, after merging spelling variants.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("participant_id", S, False, "stable id: '<corpus>/<normalised name>'"),
        Column("name", S, False, "canonical display name"),
        Column("aliases", LS, False, "every spelling seen for this participant"),
        Column("n_utterances", I, False, "utterances attributed to the participant"),
        Column("documents", LS, False, "doc_ids the participant speaks in"),
    ),
)

UNITS = Table(
    "units",
    "Argument units: sentences of included utterances, short fragments merged into a neighbour.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("doc_id", S, False, "document"),
        Column("utterance_id", S, False, "utterance the unit comes from"),
        Column("unit_id", S, False, "stable id: '<utterance_id>/s<index>'"),
        Column("index", I, False, "0-based index of the unit in its utterance"),
        Column("author", S, True, "speaker (from attribution), null when unknown"),
        Column("text", S, False, "unit text, a slice of clean_text"),
        Column("clean_start", I, False, "start offset in the utterance's clean_text"),
        Column("clean_end", I, False, "end offset in the utterance's clean_text"),
        Column("raw_start", I, True, "start offset in the decoded source file"),
        Column("raw_end", I, True, "end offset in the decoded source file"),
        Column("concepts", LS, False, "codebook concepts mentioned in the unit"),
    ),
)

F32L = pa.list_(pa.float32())

EMBEDDINGS = Table(
    "embeddings",
    "One row per argument unit: its sentence embedding (model identity in metrics/embed.json).",
    (
        Column("corpus", S, False, "corpus name"),
        Column("unit_id", S, False, "unit embedded"),
        Column("text_sha256", S, False, "SHA-256 of the unit text (the cache key with the model identity)"),
        Column("vector", F32L, False, "embedding, float32, L2-normalised when embed.normalize"),
    ),
)

UNIT_TOPICS = Table(
    "unit_topics",
    "One row per argument unit: the consensus topic it was assigned (docs/clustering.md).",
    (
        Column("corpus", S, False, "corpus name"),
        Column("doc_id", S, False, "document"),
        Column("unit_id", S, False, "unit"),
        Column("author", S, True, "speaker of the unit, null when unknown"),
        Column("topic", I, False, "consensus topic id; -1 = outlier or unstable topic (when not reassigned)"),
        Column("confidence", F, False, "share of the clustering runs that agree with the unit's consensus topic (0-1)"),
        Column("outlier", B, False, "true when the consensus left the unit unassigned (before any reassignment)"),
    ),
)

TOPICS = Table(
    "topics",
    "One row per topic (including -1 for outliers when present): size, keywords, representative units.",
    (
        Column("topic", I, False, "topic id; -1 = outliers"),
        Column("name", S, False, "BERTopic name: id and top keywords"),
        Column("size", I, False, "units in the topic"),
        Column("share", F, False, "size / all units"),
        Column("keywords", LS, False, "top c-TF-IDF keywords, best first"),
        Column("keyword_scores", pa.list_(F), False, "c-TF-IDF weight of each keyword"),
        Column("representative_unit_ids", LS, False, "units closest to the topic centroid (cosine), best first"),
        Column("representative_texts", LS, False, "texts of those units"),
        Column("stability", F, True, "mean best-match Jaccard of the topic over the clustering runs (null for -1)"),
        Column("mean_confidence", F, True, "mean confidence of its units (null for -1)"),
        Column("stable", B, True, "stability >= cluster.consensus.stability_threshold (null for -1)"),
    ),
)

TOPIC_HIERARCHY = Table(
    "topic_hierarchy",
    "BERTopic's hierarchical merge tree over topics: one row per merge.",
    (
        Column("parent_id", I, False, "merged topic id (new ids above the leaf topics)"),
        Column("parent_name", S, False, "keywords of the merged topic"),
        Column("topics", pa.list_(I), False, "leaf topics under the parent"),
        Column("child_left_id", I, False, "left child"),
        Column("child_left_name", S, False, "left child keywords"),
        Column("child_right_id", I, False, "right child"),
        Column("child_right_name", S, False, "right child keywords"),
        Column("distance", F, False, "linkage distance of the merge"),
    ),
)

TOPIC_SHARES = Table(
    "topic_shares",
    "Share of each topic among a document's or a participant's units (rows per key sum to 1).",
    (
        Column("corpus", S, False, "corpus name"),
        Column("level", S, False, "document | participant"),
        Column("key", S, False, "doc_id or author name"),
        Column("topic", I, False, "topic id (-1 = outliers)"),
        Column("n_units", I, False, "units of the key in the topic"),
        Column("share", F, False, "n_units / units of the key"),
    ),
)

UNIT_FRAMES = Table(
    "unit_frames",
    "One row per argument unit: its codebook frame (frames stage) and the framer's score.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("utterance_id", S, False, "utterance the unit comes from"),
        Column("unit_id", S, False, "unit"),
        Column("frame", S, False, "codebook frame id (codebook `frames:`)"),
        Column("score", F, False, "zero-shot: cosine to the frame prototype; supervised: predicted probability"),
        Column("method", S, False, "framer that assigned the frame (frame.method)"),
        Column("on_topic", pa.bool_(), False, "whether the unit belongs to the codebook's debate (relevance)"),
        Column("relevance", S, False, "why: the first relevance level reaching its threshold (thread, utterance, "
               "unit, ...), off-topic (then the frame is the residual one), or not-checked (relevance off)"),
        Column("model_frame", S, False, "the framer's frame before the relevance filter"),
    ),
)

UTTERANCE_FRAMES = Table(
    "utterance_frames",
    "One row per utterance with units: its frame and the share of each frame among its units.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("utterance_id", S, False, "utterance"),
        Column("frame", S, False, "most frequent unit frame (residual frame only when all units are residual)"),
        Column("score", F, False, "share of the utterance's units with that frame"),
        Column("n_units", I, False, "units of the utterance"),
        Column("share_frames", LS, False, "codebook frame ids, in codebook order"),
        Column("shares", pa.list_(F), False, "share of the units with each frame in share_frames (sums to 1)"),
        Column("on_topic", pa.bool_(), False, "whether any unit of the utterance is on topic (relevance)"),
    ),
)

FRAME_TOPICS = Table(
    "frame_topics",
    "Cross-tab of codebook frames x emergent topics (long format; empty when no topics were given).",
    (
        Column("frame", S, False, "codebook frame id"),
        Column("topic", I, False, "topic id (-1 = outliers)"),
        Column("n_units", I, False, "units with this frame and topic"),
        Column("share_of_frame", F, False, "n_units / units with the frame"),
        Column("share_of_topic", F, False, "n_units / units in the topic"),
    ),
)

UNIT_CODES = Table(
    "unit_codes",
    "Hand coding of units (git-tracked CSV in data/annotations/): keyed by unit_id, text kept for re-alignment.",
    (
        Column("unit_id", S, False, "unit coded (re-aligned by text when segmentation changes ids)"),
        Column("text", S, False, "unit text as the coder read it"),
        Column("frame", S, False, "codebook frame id"),
        Column("coder", S, False, "coder id (coder1, coder2, ...)"),
        Column("note", S, True, "coder's note or alignment note"),
    ),
)

UTTERANCE_CODES = Table(
    "utterance_codes",
    "Hand coding of whole utterances (post or comment): keyed by utterance_id, text kept for re-alignment.",
    (
        Column("utterance_id", S, False, "utterance coded"),
        Column("text", S, False, "utterance text as the coder read it"),
        Column("frame", S, False, "codebook frame id"),
        Column("coder", S, False, "coder id"),
        Column("note", S, True, "coder's note"),
    ),
)

TABLES = {t.name: t for t in (DOCUMENTS, UTTERANCES, PROBLEMS, SKIPPED, REMOVALS, CLEAN_UTTERANCES, PARTICIPANTS, UNITS, EMBEDDINGS, UNIT_TOPICS, TOPICS, TOPIC_HIERARCHY, TOPIC_SHARES, UNIT_FRAMES, UTTERANCE_FRAMES, FRAME_TOPICS, UNIT_CODES, UTTERANCE_CODES)}


def empty_frame(table: Table) -> pd.DataFrame:
    """An empty DataFrame with the table's columns."""
    return conform(pd.DataFrame(columns=table.names), table)


def conform(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Return `df` with exactly the table's columns, in order, checked against its schema."""
    missing = [c for c in table.names if c not in df.columns]
    if missing:
        raise ValueError(f"table {table.name}: missing columns {missing}")
    out = df.loc[:, table.names].reset_index(drop=True)
    for col in table.columns:
        if not col.nullable and out[col.name].isna().any():
            bad = out.index[out[col.name].isna()].tolist()[:5]
            raise ValueError(f"table {table.name}: column {col.name} has nulls (rows {bad})")
    # Validate the types by converting once through Arrow.
    pa.Table.from_pandas(out, schema=table.arrow_schema, preserve_index=False)
    return out


def make_table(rows: list[dict], table: Table) -> pd.DataFrame:
    """Build a checked DataFrame of `table` from a list of row dicts."""
    if not rows:
        return empty_frame(table)
    return conform(pd.DataFrame.from_records(rows, columns=table.names), table)


# --- positions stage (issue 7): roles, relations, participant positions, reply network ---
LF = pa.list_(pa.float64())

UNIT_ROLES = Table(
    "unit_roles",
    "One row per (unit, concept mentioned): the role the unit gives the concept, with scores.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("doc_id", S, False, "document"),
        Column("utterance_id", S, False, "utterance of the unit"),
        Column("unit_id", S, False, "unit"),
        Column("author", S, True, "speaker, null when unknown"),
        Column("participant_id", S, True, "participant of the speaker, null when unknown"),
        Column("concept", S, False, "codebook concept id"),
        Column("context", S, False, "the stretch of the unit that speaks of the concept (what was scored)"),
        Column("role", S, False, "assigned role (codebook roles; method = positions.role_method)"),
        Column("score", F, False, "score of the assigned role (zero-shot score or supervised probability)"),
        Column("method", S, False, "zeroshot | supervised"),
        Column("zeroshot_role", S, False, "zero-shot role"),
        Column("zeroshot_score", F, False, "zero-shot score of that role (cosine + cue bonus)"),
        Column("supervised_role", S, True, "supervised role (null when no coded units)"),
        Column("supervised_score", F, True, "probability of the supervised role"),
        Column("candidate_roles", LS, False, "roles with a zero-shot score (codebook order)"),
        Column("candidate_scores", LF, False, "zero-shot score of each candidate role"),
        Column("gold_role", S, True, "hand-coded role where coded"),
    ),
)

RELATIONS = Table(
    "relations",
    "One row per relation statement between concepts found in a unit by the codebook's relation cues.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("doc_id", S, False, "document"),
        Column("utterance_id", S, False, "utterance of the unit"),
        Column("unit_id", S, False, "quoting unit"),
        Column("author", S, True, "speaker, null when unknown"),
        Column("source", S, False, "concept the statement is about (A)"),
        Column("relation", S, False, "part_of | equals | leads_to | opposed | depends_on | uses (codebook)"),
        Column("targets", LS, False, "concept(s) A is related to (several for 'A = B + C')"),
        Column("negated", B, False, "true when the statement denies the relation ('does not depend on')"),
        Column("cue", S, False, "the matched cue text"),
        Column("pattern", S, False, "codebook pattern that matched: '<relation>#<index>'"),
        Column("text", S, False, "unit text (the quote)"),
    ),
)

POSITIONS = Table(
    "positions",
    "One row per participant x concept: the roles the participant gives the concept, with evidence.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("participant_id", S, False, "participant"),
        Column("name", S, False, "display name"),
        Column("concept", S, False, "concept"),
        Column("dominant_role", S, False, "most frequent role other than unclear (ties: codebook order); unclear only when no other"),
        Column("roles", LS, False, "roles given, codebook order"),
        Column("role_shares", LF, False, "share of the participant's units on the concept per role"),
        Column("n_units", I, False, "units of the participant mentioning the concept"),
        Column("unit_ids", LS, False, "supporting unit ids"),
        Column("frames", LS, False, "the participant's frames over all units (empty without unit_frames)"),
        Column("frame_shares", LF, False, "share per frame"),
    ),
)

PARTICIPANT_MAP = Table(
    "participant_map",
    "One row per participant: 2-D layout (PCA of mean unit embedding + role and frame mix) and mixes.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("participant_id", S, False, "participant"),
        Column("name", S, False, "display name"),
        Column("n_units", I, False, "units of the participant"),
        Column("x", F, False, "first principal component"),
        Column("y", F, False, "second principal component"),
        Column("dominant_role", S, True, "most frequent role other than unclear over all concepts, null when none"),
        Column("dominant_frame", S, True, "most frequent frame, null without unit_frames"),
        Column("roles", LS, False, "roles given, codebook order"),
        Column("role_shares", LF, False, "share per role"),
        Column("frames", LS, False, "frames, codebook order"),
        Column("frame_shares", LF, False, "share per frame"),
    ),
)

REPLIES = Table(
    "replies",
    "One row per reply (utterance with a known parent): who answers whom, and the stance from cues.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("doc_id", S, False, "document"),
        Column("utterance_id", S, False, "the reply"),
        Column("parent_id", S, True, "utterance replied to; null for a top-level comment answering a missing post"),
        Column("depth", I, False, "depth of the reply"),
        Column("replier", S, True, "author of the reply"),
        Column("replier_id", S, True, "participant of the replier"),
        Column("addressee", S, True, "author of the parent"),
        Column("addressee_id", S, True, "participant of the addressee"),
        Column("stance", S, False, "agree | partly_agree | rebut | neutral"),
        Column("cues", LS, False, "cue matches that decided the stance"),
        Column("text", S, False, "reply text (clean_text)"),
    ),
)

REPLY_PAIRS = Table(
    "reply_pairs",
    "One row per (replier, addressee) pair of known participants: replies per stance.",
    (
        Column("corpus", S, False, "corpus name"),
        Column("replier_id", S, False, "participant who replies"),
        Column("addressee_id", S, False, "participant replied to"),
        Column("n_replies", I, False, "replies from replier to addressee"),
        Column("n_agree", I, False, "agree replies"),
        Column("n_partly_agree", I, False, "partly_agree replies"),
        Column("n_rebut", I, False, "rebut replies"),
        Column("n_neutral", I, False, "neutral replies"),
        Column("dominant_stance", S, False, "most frequent stance (ties: agree, partly_agree, rebut, neutral)"),
        Column("utterance_ids", LS, False, "the replies"),
    ),
)

TABLES.update({t.name: t for t in (UNIT_ROLES, RELATIONS, POSITIONS, PARTICIPANT_MAP, REPLIES, REPLY_PAIRS)})

# --- report drill-down (issue 8): the coded items behind each evaluation's confusion matrix ---
EVAL_ITEMS = Table(
    "eval_items",
    "One row per coded item of an evaluation a stage records in its metrics JSON: the items behind each "
    "confusion-matrix cell (actual = matrix row, predicted = matrix column).",
    (
        Column("evaluation", S, False, "dotted path of the evaluation block inside the stage's metrics file, "
                                       "e.g. 'intercoder', 'zeroshot_threshold_cv', 'replies.validation'"),
        Column("id", S, False, "the item: a unit_id (level unit) or an utterance_id (level utterance)"),
        Column("level", S, False, "unit | utterance"),
        Column("concept", S, True, "concept of a (unit, concept) role item; null otherwise"),
        Column("actual", S, False, "row label: gold code, or coder 1"),
        Column("predicted", S, False, "column label: prediction, or coder 2"),
        Column("text", S, False, "text of the unit or utterance"),
    ),
)

TABLES[EVAL_ITEMS.name] = EVAL_ITEMS
