"""Tiny hand-built analysis tables for the report's frames, topics and positions pages (hostile text inside)."""

from __future__ import annotations

import pandas as pd

from pipeline.common.schema import (
    CLEAN_UTTERANCES,
    DOCUMENTS,
    PARTICIPANT_MAP,
    PARTICIPANTS,
    POSITIONS,
    PROBLEMS,
    RELATIONS,
    REPLIES,
    REPLY_PAIRS,
    SKIPPED,
    TOPICS,
    UNIT_FRAMES,
    UNIT_TOPICS,
    UNITS,
    UTTERANCE_FRAMES,
    UTTERANCES,
    make_table,
)

PAYLOAD = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'
MF, OT = "marketing-first", "other"  # codebook order in utterance_frames.share_frames: OT before MF


def _utt(doc: str, uid: str, parent: str | None, depth: int, author: str | None, text: str) -> dict:
    return {"corpus": "t", "doc_id": doc, "utterance_id": f"{doc}/{uid}", "parent_id": parent and f"{doc}/{parent}",
            "position": depth, "depth": depth, "kind": "post" if depth == 0 else "comment", "author": author,
            "author_evidence": None, "date": None, "text": text, "source_file": "t.txt", "char_start": 0, "char_end": 1}


def _unit(doc: str, utt: str, i: int, author: str | None, text: str, concepts: list[str]) -> dict:
    return {"corpus": "t", "doc_id": doc, "utterance_id": f"{doc}/{utt}", "unit_id": f"{doc}/{utt}/s{i}", "index": i,
            "author": author, "text": text, "clean_start": 0, "clean_end": len(text), "raw_start": None,
            "raw_end": None, "concepts": concepts}


def base_tables() -> dict[str, pd.DataFrame]:
    """Two documents (one dated), three utterances, four units."""
    docs = make_table([{"corpus": "t", "doc_id": "t/d", "title": f"Doc {PAYLOAD}", "url": None, "post_author": "Pat",
                   "date": "2011-03-02", "platform": None, "format": "thread_text", "source_file": "t.txt",
                   "source_sha256": "0"},
                  {"corpus": "t", "doc_id": "t/e", "title": None, "url": None, "post_author": "Kim", "date": None,
                   "platform": None, "format": "thread_text", "source_file": "t.txt", "source_sha256": "0"}], DOCUMENTS)
    utts = make_table([_utt("t/d", "post", None, 0, "Pat", "CRM is a tool. Buy it."),
                  _utt("t/d", "c1", "post", 1, PAYLOAD, PAYLOAD),
                  _utt("t/e", "post", None, 0, "Kim", "Strategy first.")], UTTERANCES)
    units = make_table([_unit("t/d", "post", 0, "Pat", "CRM is a tool.", ["crm"]),
                   _unit("t/d", "post", 1, "Pat", "Buy it.", []),
                   _unit("t/d", "c1", 0, PAYLOAD, PAYLOAD, ["crm"]),
                   _unit("t/e", "post", 0, "Kim", "Strategy first.", ["strategy"])], UNITS)
    problems = make_table([], PROBLEMS)
    clean = {"t/d/post": "CRM is a tool. Buy it.", "t/d/c1": PAYLOAD, "t/e/post": "Strategy first."}
    attributed = make_table([{**r, "clean_text": clean[r["utterance_id"]], "commentluv": None, "signature": None,
                         "included": True, "exclusion_reason": None, "author_confidence": 1.0}
                        for r in utts.to_dict("records")], CLEAN_UTTERANCES)
    units.loc[units["unit_id"] == "t/d/post/s1", ["clean_start", "clean_end"]] = [15, 22]
    return {"documents": docs, "utterances": utts, "problems": problems, "skipped": make_table([], SKIPPED), "units": units,
            "attributed": attributed}


def frame_tables() -> dict[str, pd.DataFrame]:
    """Frames: post/s0 MF 0.9, post/s1 MF 0.4, c1/s0 OT 0.7, e/post/s0 OT 0.8."""
    rows = [("t/d/post", "t/d/post/s0", MF, 0.9), ("t/d/post", "t/d/post/s1", MF, 0.4),
            ("t/d/c1", "t/d/c1/s0", OT, 0.7), ("t/e/post", "t/e/post/s0", OT, 0.8)]
    uf = make_table([{"corpus": "t", "utterance_id": u, "unit_id": i, "frame": f, "score": s, "method": "zeroshot",
                      "on_topic": i != "t/e/post/s0", "relevance": "thread" if i != "t/e/post/s0" else "off-topic",
                      "model_frame": f} for u, i, f, s in rows], UNIT_FRAMES)
    utf = make_table([{"corpus": "t", "utterance_id": u, "frame": f, "score": 1.0, "n_units": n, "share_frames": [OT, MF],
                  "shares": sh, "on_topic": u != "t/e/post"}
                      for u, f, n, sh in (("t/d/post", MF, 2, [0.0, 1.0]), ("t/d/c1", OT, 1, [1.0, 0.0]),
                                          ("t/e/post", OT, 1, [1.0, 0.0]))], UTTERANCE_FRAMES)
    return {"unit_frames": uf, "utterance_frames": utf}


def topic_tables() -> dict[str, pd.DataFrame]:
    """Topic 0 = the d/post units, topic -1 = the rest."""
    ut = make_table([{"corpus": "t", "doc_id": i[:3], "unit_id": i, "author": None, "topic": t, "confidence": 1.0,
                 "outlier": t == -1} for i, t in (("t/d/post/s0", 0), ("t/d/post/s1", 0), ("t/d/c1/s0", -1),
                                                  ("t/e/post/s0", -1))], UNIT_TOPICS)
    topics = make_table([{"topic": 0, "name": "0_crm_tool", "size": 2, "share": 0.5, "keywords": ["crm", PAYLOAD],
                     "keyword_scores": [0.2, 0.1], "representative_unit_ids": ["t/d/post/s0"],
                     "representative_texts": ["CRM is a tool."]},
                    {"topic": -1, "name": "-1_strategy", "size": 2, "share": 0.5, "keywords": ["strategy"],
                     "keyword_scores": [0.3], "representative_unit_ids": [], "representative_texts": []}], TOPICS)
    return {"unit_topics": ut, "topics": topics}


def position_tables() -> dict[str, pd.DataFrame]:
    """Pat: crm tool (post/s0); the hostile speaker: crm strategy; Kim: strategy evolution; replies and pairs."""
    hp = "t/hostile"
    parts = make_table([{"corpus": "t", "participant_id": "t/pat", "name": "Pat", "aliases": ["Pat", "pat"],
                    "n_utterances": 1, "documents": ["t/d"]},
                   {"corpus": "t", "participant_id": hp, "name": PAYLOAD, "aliases": [PAYLOAD], "n_utterances": 1,
                    "documents": ["t/d"]},
                   {"corpus": "t", "participant_id": "t/kim", "name": "Kim", "aliases": ["Kim"], "n_utterances": 1,
                    "documents": ["t/e"]}], PARTICIPANTS)
    pos = make_table([{"corpus": "t", "participant_id": p, "name": n, "concept": c, "dominant_role": r, "roles": rs,
                  "role_shares": sh, "n_units": len(ids), "unit_ids": ids, "frames": [], "frame_shares": []}
                 for p, n, c, r, rs, sh, ids in (
                     ("t/pat", "Pat", "crm", "tool", ["tool"], [1.0], ["t/d/post/s0"]),
                     (hp, PAYLOAD, "crm", "strategy", ["strategy", "unclear"], [0.5, 0.5], ["t/d/c1/s0"]),
                     ("t/kim", "Kim", "strategy", "evolution", ["tool", "evolution"], [0.5, 0.5], ["t/e/post/s0"]))],
                POSITIONS)
    rel = make_table([{"corpus": "t", "doc_id": "t/d", "utterance_id": "t/d/c1", "unit_id": "t/d/c1/s0", "author": PAYLOAD,
                  "source": "crm", "relation": "opposed", "targets": ["strategy"], "negated": True, "cue": PAYLOAD,
                  "pattern": "opposed#0", "text": PAYLOAD}], RELATIONS)
    pmap = make_table([{"corpus": "t", "participant_id": p, "name": n, "n_units": k, "x": x, "y": 0.0, "dominant_role": r,
                   "dominant_frame": None, "roles": [], "role_shares": [], "frames": [], "frame_shares": []}
                  for p, n, k, x, r in (("t/pat", "Pat", 2, -1.0, "tool"), (hp, PAYLOAD, 1, 0.0, "strategy"),
                                        ("t/kim", "Kim", 1, 1.0, None))], PARTICIPANT_MAP)
    replies = make_table([{"corpus": "t", "doc_id": "t/d", "utterance_id": "t/d/c1", "parent_id": "t/d/post", "depth": 1,
                      "replier": PAYLOAD, "replier_id": hp, "addressee": "Pat", "addressee_id": "t/pat",
                      "stance": "rebut", "cues": ["but"], "text": PAYLOAD}], REPLIES)
    pairs = make_table([{"corpus": "t", "replier_id": hp, "addressee_id": "t/pat", "n_replies": 1, "n_agree": 0,
                    "n_partly_agree": 0, "n_rebut": 1, "n_neutral": 0, "dominant_stance": "rebut",
                    "utterance_ids": ["t/d/c1"]}], REPLY_PAIRS)
    return {"participants": parts, "positions": pos, "relations": rel, "participant_map": pmap, "replies": replies,
            "reply_pairs": pairs}


def metrics() -> dict[str, dict]:
    """A frames metrics file with one evaluation block, and a stability file."""
    block = {"accuracy": 0.75, "macro_f1": 0.7, "kappa": 0.5, "n": 12,
             "ci95": {"accuracy": [0.5, 0.9], "macro_f1": [0.4, 0.9], "kappa": [0.1, 0.8]},
             "confusion": {"labels": [MF, PAYLOAD], "rows_gold_cols_predicted": [[8, 2], [1, 1]]}}
    stab = {"n_units": 4, "method": "hdbscan", "seeds": [1, 2, 3], "ari_mean": 0.5, "ari_min": 0.2,
            "ari_clustered_mean": 0.6, "n_topics": {"1": 2, "2": 3, "3": 2},
            "outlier_share": {"1": 0.1, "2": 0.2, "3": 0.3},
            "pairs": [{"seeds": [1, 2], "ari": 0.2, "ari_clustered": 0.5}, {"seeds": [1, 3], "ari": 0.8,
                                                                            "ari_clustered": 0.9},
                      {"seeds": [2, 3], "ari": 0.5, "ari_clustered": 0.4}]}
    return {"frames": {"method": "zeroshot", "unit": block}, "stability": stab, "clean": {"kept": 3}}


def all_tables() -> dict[str, pd.DataFrame]:
    """Every table the report pages read."""
    return {**base_tables(), **frame_tables(), **topic_tables(), **position_tables()}
