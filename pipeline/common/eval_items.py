"""The coded items behind each evaluation's confusion matrix (table eval_items), for the report's drill-down (pure).

Each builder reproduces the pairing its stage evaluates, so the rows of one evaluation count exactly the
recorded confusion matrix (the report checks this before making cells clickable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from pipeline.common.codes import align_unit_codes
from pipeline.common.schema import EVAL_ITEMS, conform, empty_frame


def eval_items(evaluation: str, ids: Sequence[str], actual: Sequence[str], predicted: Sequence[str],
               texts: Mapping[str, str], level: str, concepts: Sequence[str | None] | None = None) -> pd.DataFrame:
    """Rows of one evaluation (text looked up by id; '' when unknown)."""
    ids = [str(i) for i in ids]
    if not (len(ids) == len(actual) == len(predicted)):
        raise ValueError(f"{evaluation}: {len(ids)} ids, {len(actual)} actual and {len(predicted)} predicted labels")
    df = pd.DataFrame({"evaluation": evaluation, "id": ids, "level": level,
                       "concept": list(concepts) if concepts is not None else [None] * len(ids),
                       "actual": [str(a) for a in actual], "predicted": [str(p) for p in predicted],
                       "text": [str(texts.get(i, "")) for i in ids]}, columns=EVAL_ITEMS.names)
    return conform(df, EVAL_ITEMS)


def combine(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One eval_items table from several evaluations' rows."""
    parts = [p for p in parts if len(p)]
    return conform(pd.concat(parts, ignore_index=True), EVAL_ITEMS) if parts else empty_frame(EVAL_ITEMS)


def utterance_texts(units: pd.DataFrame) -> dict[str, str]:
    """Utterance text as the frame stage sees it: its units joined in order."""
    ordered = units.sort_values(["utterance_id", "index"])
    return ordered.groupby("utterance_id")["text"].apply(" ".join).to_dict()


def frame_items(pairs: Mapping[str, pd.DataFrame], first_codes: pd.DataFrame,
                others: Mapping[str, pd.DataFrame], units: pd.DataFrame) -> pd.DataFrame:
    """Frame stage: the unit and utterance validation pairs (frame_gold, frame_pred) and, per other coder
    (evaluation name -> codes), coder 1 vs that coder on the units both coded (aligned as the intercoder metrics)."""
    unit_text = dict(zip(units["unit_id"], units["text"], strict=True))
    parts = [eval_items(lvl, pairs[lvl][f"{lvl}_id"].tolist(), pairs[lvl]["frame_gold"].tolist(),
                        pairs[lvl]["frame_pred"].tolist(), unit_text if lvl == "unit" else utterance_texts(units),
                        lvl)
             for lvl in ("unit", "utterance") if lvl in pairs]
    first = align_unit_codes(first_codes, units)[0][["unit_id", "frame"]]
    for name, codes in others.items():
        other = align_unit_codes(codes, units)[0][["unit_id", "frame"]]
        both = first.merge(other, on="unit_id", suffixes=("_1", "_2"))
        parts.append(eval_items(name, both["unit_id"].tolist(), both["frame_1"].tolist(),
                                both["frame_2"].tolist(), unit_text, "unit"))
    return combine(parts)


def role_items(uc: pd.DataFrame, coded: Sequence[int], gold: Sequence[str],
               routes: Mapping[str, Sequence[str | None]]) -> pd.DataFrame:
    """Positions stage: per role route, the coded (unit, concept) items with a prediction (None = left out)."""
    rows = uc.iloc[list(coded)]
    ids, concepts, texts = rows["unit_id"].tolist(), rows["concept"].tolist(), dict(zip(rows["unit_id"], rows["text"],
                                                                                       strict=True))
    parts = []
    for name, pred in routes.items():
        keep = [j for j, p in enumerate(pred) if p is not None]
        parts.append(eval_items(name, [ids[j] for j in keep], [gold[j] for j in keep], [str(pred[j]) for j in keep],
                                texts, "unit", [concepts[j] for j in keep]))
    return combine(parts)


def stance_items(replies: pd.DataFrame, gold: pd.DataFrame, evaluation: str = "replies.validation") -> pd.DataFrame:
    """Positions stage: hand-coded vs cue stance of the coded replies found (as validate_stances pairs them)."""
    coded = dict(zip(gold["utterance_id"], gold["stance"], strict=True))
    both = replies[replies["utterance_id"].isin(coded)]
    return eval_items(evaluation, both["utterance_id"].tolist(), [coded[u] for u in both["utterance_id"]],
                      both["stance"].tolist(), dict(zip(both["utterance_id"], both["text"], strict=True)), "utterance")
