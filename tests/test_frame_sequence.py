"""Frame sequences: transition counts, forward-backward posteriors, the utterance block, post-hoc selection."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.common.config import FrameConfig
from pipeline.frames.batch import make_batch, utterance_vectors
from pipeline.frames.features import FeatureBuilder, uses_block
from pipeline.frames.framers import StackedFramer
from pipeline.frames.sequence import Transitions, count_transitions, forward_backward
from tests.frame_toys import select_on_runs, toy_units


def test_count_transitions_exact_adjacent_only() -> None:
    # u1: a a a b (steps a->a twice, a->b once); u2: b alone; u3: positions 0 and 2 are not adjacent.
    labels = ["b", "a", "a", "a", "b", "a", "b"]
    utts = ["u1", "u1", "u1", "u1", "u2", "u3", "u3"]
    pos = [3, 0, 1, 2, 0, 0, 2]  # rows out of order: positions decide the sequence
    t = count_transitions(labels, utts, pos, ["a", "b"], prior=1.0)
    assert np.exp(t.log_start) == pytest.approx([3 / 5, 2 / 5])  # starts: a (u1), b (u2), a (u3), plus 1 each
    assert np.exp(t.log_step) == pytest.approx(np.array([[3 / 5, 2 / 5], [1 / 2, 1 / 2]]))


def test_forward_backward_exact_two_units() -> None:
    trans = Transitions(np.log([0.5, 0.5]), np.log([[0.9, 0.1], [0.1, 0.9]]))
    em = np.array([[0.2, 0.8], [0.6, 0.4]])  # row 0 is the second unit (position 1)
    post = forward_backward(em, ["u", "u"], [1, 0], trans, 1.0)
    # unit at position 0: a 0.5*0.6*(0.9*0.2+0.1*0.8) = 0.078, b 0.5*0.4*(0.1*0.2+0.9*0.8) = 0.148
    assert post[1] == pytest.approx([0.078 / 0.226, 0.148 / 0.226])
    assert post[0] == pytest.approx([0.058 / 0.226, 0.168 / 0.226])
    assert (forward_backward(em, ["u", "u"], [1, 0], trans, 0.0) == em).all()
    single = forward_backward(np.array([[0.3, 0.7]]), ["v"], [0], trans, 1.0)
    assert single[0] == pytest.approx([0.3, 0.7])  # a uniform start leaves a lone unit unchanged


def test_stacked_framer_learns_transitions_and_decodes(tiny_frames) -> None:
    units = toy_units({"u": ["x", "y"], "v": ["z"]})
    b = make_batch(units, np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]))
    cfg = FrameConfig(method="stacked", stacked={"blocks": ["unit"], "sequence_weight": 1.0})
    framer = StackedFramer(tiny_frames, None, cfg).fit(b, ["tools", "org", "other"])
    ids = [f.id for f in tiny_frames]
    want = count_transitions(["tools", "org", "other"], ["u", "u", "v"], [0, 1, 0], ids, 1.0)
    assert np.exp(framer.transitions.log_step) == pytest.approx(np.exp(want.log_step))
    assert framer.predict(b).scores.sum(axis=1) == pytest.approx(np.ones(3))


def test_utterance_block_needs_vectors_and_embeds_each_utterance_once() -> None:
    units = toy_units({"u": ["a b", "c"], "v": ["d"]})
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.array([[float(len(t)), 1.0] for t in texts])

    vec = utterance_vectors(units, embed)
    assert calls == [["a b c", "d"]]
    assert vec.tolist() == [[5.0, 1.0], [5.0, 1.0], [1.0, 1.0]]
    cfg = FrameConfig(method="stacked", stacked={"blocks": ["unit", "utterance"]})
    with pytest.raises(ValueError, match="utterance text vectors"):
        FeatureBuilder(cfg.stacked.blocks, None, cfg).fit(make_batch(units, np.eye(3)))
    z = FeatureBuilder(cfg.stacked.blocks, None, cfg).fit(make_batch(units, np.eye(3), None, vec)).transform(
        make_batch(units, np.eye(3), None, vec))
    assert z.shape == (3, 5) and z.toarray()[2, 3:] == pytest.approx([np.sqrt(0.5), np.sqrt(0.5)])
    assert uses_block(FrameConfig(method="stacked", select={"stacked.blocks": [["unit"], ["unit", "utterance"]]}), "utterance")
    assert not uses_block(FrameConfig(method="stacked"), "utterance")


def test_select_options_chooses_sequence_weight_when_frames_run_in_utterances(tiny_frames) -> None:
    # Each utterance: one clear unit then two ambiguous ones continuing its frame; transitions can only help.
    sel = select_on_runs(tiny_frames, 5, 20, 2, "stacked.sequence_weight", [0.0, 2.0])
    assert sel.options == {"stacked.sequence_weight": 2.0}
    assert sel.inner[1][1] > sel.inner[0][1]
