"""The seed threads parse into the trees verified by reading the files (issue 2)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.common.config import load_params
from pipeline.common.textnorm import decode, normalize_text
from pipeline.ingest.reading import read_corpora

ROOT = Path(__file__).resolve().parents[1]

# Per document: (top-level comments, replies, pingbacks), read off the files by hand.
COUNTS = {
    "livingston-multichannel": (6, 5, 4),   # 15 "•" bullets; the first lost its indentation
    "kolsky-spade": (20, 25, 1),            # 46 numbered items of "58 Replies"; nesting to depth 4
    "smm-not-enough": (1, 0, 0),            # one promotional comment; the post's own bullets are body
    "social-business-2013": (0, 0, 0),      # "Comments" heading, then only the subscription line
    "sb-strategy-beats-sm": (0, 0, 0),      # its numbered list is post body
}
HAS_POST = {"livingston-multichannel": False, "kolsky-spade": True, "smm-not-enough": True,
            "social-business-2013": True, "sb-strategy-beats-sm": True}

# Every comment in thread order: (first 28 characters, kind, first 28 characters of the parent
# comment, or None for a top-level item). Verified against the indentation of the raw files.
TREES = {
    'livingston-multichannel': [
        ('Great points, Geoff. I think', 'comment', None),
        ('Interesting point! I was loo', 'comment', 'Great points, Geoff. I think'),
        ('Great questions and issues s', 'comment', None),
        ('LOL, I guess everyone sees t', 'comment', 'Great questions and issues s'),
        ('Being a multi channel kind o', 'comment', None),
        ('This is a very interesting s', 'comment', 'Being a multi channel kind o'),
        ('Pingback:– The Blog Library\n', 'pingback', None),
        ('Really provoking Geoff, and ', 'comment', None),
        ('It seems like a lot of it is', 'comment', 'Really provoking Geoff, and '),
        ('Yeah, I think multi-channel ', 'comment', None),
        ('I think the whole social bus', 'comment', 'Yeah, I think multi-channel '),
        ('awesome points\ngreat post', 'comment', None),
        ('Pingback:Getting out of the ', 'pingback', None),
        ('Pingback:Marketing in the Ro', 'pingback', None),
        ('Pingback:The Case for Integr', 'pingback', None),
    ],
    'kolsky-spade': [
        ('Pingback: Twitted by rwang0', 'pingback', None),
        ('Esteban,\n\nIf this is merely ', 'comment', None),
        ('Prem (et al),\n\nI had this to', 'comment', 'Esteban,\n\nIf this is merely '),
        ('Mitch,\n\nVery well said — loo', 'comment', 'Prem (et al),\n\nI had this to'),
        ('Prem,\n\nThanks for the kind w', 'comment', 'Esteban,\n\nIf this is merely '),
        ('Great to hear you talking ab', 'comment', 'Prem,\n\nThanks for the kind w'),
        ('Melissa,\n\nI hear you, and I ', 'comment', 'Great to hear you talking ab'),
        ('I think the problem is more ', 'comment', None),
        ('Mark,\n\nTo me Social Business', 'comment', 'I think the problem is more '),
        ('Nice zinger to start the New', 'comment', None),
        ('Allen,\n\nHappy New Year to yo', 'comment', 'Nice zinger to start the New'),
        ('Esteban,\n\nBusinesses that “g', 'comment', None),
        ('Mike,\n\nYou don’t have to cal', 'comment', 'Esteban,\n\nBusinesses that “g'),
        ('Estaban,\n\nGood post, I think', 'comment', None),
        ('Thanks Mike,\n\nI agree on the', 'comment', 'Estaban,\n\nGood post, I think'),
        ('I agree with you wholehearte', 'comment', None),
        ('Richard (or someone else fro', 'comment', 'I agree with you wholehearte'),
        ('Well said,\n\nIt will be inter', 'comment', 'Richard (or someone else fro'),
        ('Nate,\n\nThanks for this as we', 'comment', 'Well said,\n\nIt will be inter'),
        ('Esteban,\n\nI am with Wim – ju', 'comment', None),
        ('This is a really interesting', 'comment', None),
        ('Michael,\n\nI agree that we al', 'comment', 'This is a really interesting'),
        ('Esteban,\n\nGreat post. Defini', 'comment', None),
        ('Phil,\n\nWelcome to my humble ', 'comment', 'Esteban,\n\nGreat post. Defini'),
        ('Esteban\n\nGreat post. I suspe', 'comment', None),
        ('Dennis Howlett has an intere', 'comment', None),
        ('Phil,\n\nI like the fact that ', 'comment', 'Dennis Howlett has an intere'),
        ('Hello Esteban,\n\nThanks for s', 'comment', None),
        ('Thanks Andrew,\n\nSorry for th', 'comment', 'Hello Esteban,\n\nThanks for s'),
        ('Your focus on definitions is', 'comment', None),
        ('Lamar,\n\nThanks for stopping ', 'comment', 'Your focus on definitions is'),
        ('I completely agree! Your foc', 'comment', None),
        ('Nice post!\n\nMy thoughts:\nif ', 'comment', None),
        ('Hi Ludo, (and Esteban of cou', 'comment', 'Nice post!\n\nMy thoughts:\nif '),
        ('Hi Wim,\n\nthank you for shari', 'comment', 'Hi Ludo, (and Esteban of cou'),
        ('Agree completely Ludo..\n\nAlt', 'comment', 'Hi Wim,\n\nthank you for shari'),
        ('Ludo,\n\nYou absolutely hit th', 'comment', 'Hi Wim,\n\nthank you for shari'),
        ('The collaboration+ thing — t', 'comment', None),
        ('Social media is the tool – w', 'comment', None),
        ('Mary,\n\nThanks for your read,', 'comment', 'Social media is the tool – w'),
        ('Well said! You really need t', 'comment', None),
        ('Al,\n\nAgree 100%, especially ', 'comment', 'Well said! You really need t'),
        ('Excellent post. You’re absol', 'comment', None),
        ('MariAn,\n\nThanks for the kudo', 'comment', 'Excellent post. You’re absol'),
        ('Bravo. Here’s the thing (fro', 'comment', None),
        ('Yes!\n\nNo one owns social bec', 'comment', 'Bravo. Here’s the thing (fro'),
    ],
    'smm-not-enough': [
        ('Our company, C7group, is doi', 'comment', None),
    ],
    'social-business-2013': [

    ],
    'sb-strategy-beats-sm': [

    ],
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    params = load_params(ROOT / "params.yaml")
    seeds = [c for c in params.corpora if c.name == "seeds"]
    return read_corpora(seeds, params.ingest, ROOT)


def _doc(tables: dict[str, pd.DataFrame], key: str) -> pd.DataFrame:
    u = tables["utterances"]
    return u[u.doc_id == f"seeds/{key}"].sort_values("position")


@pytest.mark.parametrize("key", sorted(COUNTS))
def test_counts_per_seed(tables: dict[str, pd.DataFrame], key: str) -> None:
    doc = _doc(tables, key)
    top = ((doc.kind == "comment") & (doc.depth == 1)).sum()
    replies = ((doc.kind == "comment") & (doc.depth > 1)).sum()
    pingbacks = (doc.kind == "pingback").sum()
    assert (top, replies, pingbacks) == COUNTS[key]
    assert (doc.kind == "post").sum() == int(HAS_POST[key])


@pytest.mark.parametrize("key", sorted(TREES))
def test_parent_of_every_comment(tables: dict[str, pd.DataFrame], key: str) -> None:
    doc = _doc(tables, key)
    text = dict(zip(doc.utterance_id, doc.text, strict=True))
    comments = doc[doc.kind != "post"]
    got = [(t[:28], k, text[p][:28] if d > 1 else None)
           for t, k, p, d in zip(comments.text, comments.kind, comments.parent_id, comments.depth, strict=True)]
    assert got == TREES[key]


def test_top_level_comments_reply_to_the_post(tables: dict[str, pd.DataFrame]) -> None:
    doc = _doc(tables, "kolsky-spade")
    assert set(doc[doc.depth == 1].parent_id) == {"seeds/kolsky-spade/post"}
    orphan = _doc(tables, "livingston-multichannel")
    assert orphan[orphan.depth == 1].parent_id.isna().all()  # no post body to reply to


def test_spans_slice_the_raw_file_back_to_the_text(tables: dict[str, pd.DataFrame]) -> None:
    u = tables["utterances"]
    assert len(u) == 66  # 15 + 47 + 2 + 1 + 1
    for source, group in u.groupby("source_file"):
        raw, _ = decode((ROOT / source).read_bytes())
        for row in group.itertuples():
            assert normalize_text(raw[row.char_start:row.char_end]) == row.text, row.utterance_id


def test_ids_are_stable_and_unique(tables: dict[str, pd.DataFrame]) -> None:
    params = load_params(ROOT / "params.yaml")
    again = read_corpora(params.corpora, params.ingest, ROOT)["utterances"]
    assert list(again.utterance_id) == list(tables["utterances"].utterance_id)
    assert tables["utterances"].utterance_id.is_unique
    assert "seeds/kolsky-spade/c16.1.1.2" in set(again.utterance_id)


def test_post_metadata_from_manifest(tables: dict[str, pd.DataFrame]) -> None:
    docs = tables["documents"].set_index("doc_id")
    assert docs.loc["seeds/kolsky-spade", "post_author"] == "Esteban Kolsky"
    assert docs.loc["seeds/kolsky-spade", "title"].startswith("Let’s Call a Spade")
    post = _doc(tables, "kolsky-spade").iloc[0]
    assert (post.author, post.author_evidence) == ("Esteban Kolsky", "manifest:post_author")
    assert post.text.startswith("It seems that 2010 is the year")
    assert post.text.endswith("(other than using a not-so-gory example)?")


def test_boilerplate_and_headings_are_recorded_not_lost(tables: dict[str, pd.DataFrame]) -> None:
    sk = tables["skipped"]
    reasons = sorted(zip(sk.doc_id.str.split("/").str[1], sk.reason, strict=True))
    assert reasons == sorted([
        ("livingston-multichannel", "boilerplate-after-thread"),
        ("kolsky-spade", "title"), ("kolsky-spade", "comment-heading"),
        ("kolsky-spade", "boilerplate-after-thread"),
        ("smm-not-enough", "title"), ("smm-not-enough", "boilerplate-after-thread"),
        ("social-business-2013", "comment-heading"), ("social-business-2013", "boilerplate-after-thread"),
        ("sb-strategy-beats-sm", "boilerplate-after-thread"),
    ])
    assert tables["problems"].empty
