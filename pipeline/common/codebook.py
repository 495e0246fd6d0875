"""The codebook, loaded in one place: concepts (surface forms), frames, and the raw sections other stages validate.

A codebook is data (codebooks/*.yaml): concepts with their surface forms, frames with definitions,
inclusion/exclusion rules and examples, concept roles, relation and reply-stance cues. Each stage takes
the validated section it needs from a `Codebook`; a missing or malformed section raises ConfigError naming
the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pipeline.common.concepts import Form, load_forms
from pipeline.common.config import ConfigError, load_yaml

UNCLEAR = "unclear"  # the role id every roles codebook must hold: no clear role (positions stage, report)


@dataclass(frozen=True)
class Frame:
    """One codebook frame: definition, inclusion/exclusion rules and example statements."""

    id: str
    label: str
    definition: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    examples: tuple[str, ...]
    residual: bool

    @property
    def prototype_texts(self) -> list[str]:
        """Texts whose mean embedding is the frame's zero-shot prototype: definition and examples."""
        return [self.definition, *self.examples]


def load_frames(codebook: Mapping[str, Any], source: str = "codebook") -> tuple[Frame, ...]:
    """The codebook's `frames:` section as Frame objects; exactly one frame is `residual: true`."""
    section = codebook.get("frames") or {}
    if not isinstance(section, Mapping) or len(section) < 2:
        raise ConfigError(f"{source}: section 'frames' needs at least two frames")
    frames = []
    for fid, spec in section.items():
        where = f"{source}: frames.{fid}"
        if not isinstance(spec, Mapping) or not spec.get("definition"):
            raise ConfigError(f"{where}: needs a 'definition'")
        frames.append(Frame(
            str(fid), str(spec.get("label", fid)), str(spec["definition"]),
            tuple(map(str, spec.get("include") or ())), tuple(map(str, spec.get("exclude") or ())),
            tuple(map(str, spec.get("examples") or ())), bool(spec.get("residual", False)),
        ))
    n_res = sum(f.residual for f in frames)
    if n_res != 1:
        raise ConfigError(f"{source}: frames must mark exactly one frame 'residual: true' (found {n_res})")
    return tuple(frames)


def residual_frame(frames: Sequence[Frame]) -> str:
    """Id of the residual ('other') frame."""
    return next(f.id for f in frames if f.residual)


@dataclass(frozen=True)
class Codebook:
    """A codebook file read once; sections are validated when first asked for."""

    source: str
    raw: Mapping[str, Any]

    @cached_property
    def concepts(self) -> tuple[Form, ...]:
        """The `concepts:` section as compiled surface forms."""
        return load_forms(self.raw.get("concepts"), self.source)

    @cached_property
    def frames(self) -> tuple[Frame, ...]:
        """The `frames:` section (exactly one residual frame)."""
        return load_frames(self.raw, self.source)


def load_codebook(path: Path | str) -> Codebook:
    """Read a codebook YAML file (safe_load); errors name the file."""
    raw = load_yaml(path) or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: a codebook must be a mapping of sections")
    return Codebook(str(path), raw)
