"""Annotation-tool set-up from the codebook: Label Studio labeling config, doccano label list, coding sheets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

import pandas as pd

from pipeline.coding.sheets import SHEET_COLUMNS, with_context
from pipeline.common.codebook import Frame

# Okabe-Ito colour-blind-safe palette, in codebook order (cycled)
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
SHORTCUTS = "1234567890abcdefghijklmnopqrstuvwxyz"
DOCCANO_DESCRIPTION_MAX = 200  # doccano's label description column length


def _attr(text: str) -> str:
    """A double-quoted XML attribute value: whitespace collapsed, & < > \" escaped."""
    return '"' + escape(re.sub(r"\s+", " ", str(text)).strip(), {'"': "&quot;"}) + '"'


def frame_hint(f: Frame) -> str:
    """One line a coder sees for a frame: its label and definition."""
    return f"{f.label}: {f.definition}"


def label_studio_config(frames: Sequence[Frame], context_fields: Sequence[str] = ("context_before", "context_after"),
                        control: str = "frame") -> str:
    """Label Studio labeling config (XML) for one frame per unit: the codebook's frames with their definitions
    (as headers and as choice hints), the unit's text between its context fields, a single required choice.

    Task data keys are `text` and the `context_fields` (as written by `code export --out x.jsonl`); the
    choice values are the frame ids, so `code import` reads the export back unchanged.
    """
    if not frames:
        raise ValueError("label_studio_config: the codebook has no frames")
    before, after = (list(context_fields[:1]), list(context_fields[1:])) if context_fields else ([], [])
    lines = ["<View>", '  <Header value="Frames (codebook)" size="5"/>']
    lines += [f'  <Header value={_attr(f"{f.id} = {frame_hint(f)}")} size="6"/>' for f in frames]
    for name in before:
        lines.append(f'  <Text name={_attr(name)} value={_attr("$" + name)}/>')
    lines += ['  <Header value="Unit to code" size="5"/>', '  <Text name="text" value="$text"/>']
    for name in after:
        lines.append(f'  <Text name={_attr(name)} value={_attr("$" + name)}/>')
    lines.append(f'  <Choices name={_attr(control)} toName="text" choice="single" required="true">')
    lines += [f"    <Choice value={_attr(f.id)} hint={_attr(frame_hint(f))}/>" for f in frames]
    lines += ["  </Choices>", "</View>"]
    return "\n".join(lines) + "\n"


def _text_colour(background: str) -> str:
    """Black on light backgrounds, white on dark ones (relative luminance above 0.5)."""
    r, g, b = (int(background[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000000" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 else "#ffffff"


def doccano_labels(frames: Sequence[Frame]) -> list[dict[str, str | None]]:
    """doccano's label-type import list (Labels > Import): text = frame id, shortcut, colours, description."""
    out: list[dict[str, str | None]] = []
    for i, f in enumerate(frames):
        colour = PALETTE[i % len(PALETTE)]
        hint = re.sub(r"\s+", " ", frame_hint(f)).strip()
        if len(hint) > DOCCANO_DESCRIPTION_MAX:
            hint = hint[:DOCCANO_DESCRIPTION_MAX - 1] + "…"
        out.append({"text": f.id, "suffix_key": SHORTCUTS[i] if i < len(SHORTCUTS) else None,
                    "background_color": colour, "text_color": _text_colour(colour), "description": hint})
    return out


def coding_sheet(chosen: pd.DataFrame, units: pd.DataFrame, window: int) -> pd.DataFrame:
    """A blank coding sheet (SHEET_COLUMNS, then `pick` and `reason` when given) for the chosen units, in pick order."""
    missing = sorted(set(chosen["unit_id"]) - set(units["unit_id"]))
    if missing:
        raise ValueError(f"coding sheet: {len(missing)} chosen units are not in the units table (e.g. {missing[0]!r})")
    rows = units.set_index("unit_id").loc[chosen["unit_id"]].reset_index()
    sheet = with_context(rows, units, window).assign(frame="", coder="", note="")
    extra = [c for c in ("pick", "reason") if c in chosen.columns]
    for c in extra:
        sheet[c] = chosen[c].to_numpy()
    return sheet[SHEET_COLUMNS + extra].reset_index(drop=True)
