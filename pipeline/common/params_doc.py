"""Parameter documentation: walk the typed config into one row per parameter, rendered as a table or Markdown."""

from __future__ import annotations

import json
import re
import textwrap
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

SECTION, LEAF = "section", "leaf"
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_ ./:+@()-]*")
_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}
_BOUNDS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))


@dataclass(frozen=True)
class ParamRow:
    """One parameter (kind leaf) or one section of parameters (kind section)."""

    key: str  # dotted, as `dvc exp run -S KEY=VALUE` names it; list items as key[i]
    kind: str  # SECTION or LEAF
    section: str  # key of the enclosing section ("" at the top level)
    type: str  # "int", "list[str]", "hdbscan | agglomerative", or a section's class name
    constraints: str  # ">= 2", "0 <= x" parts joined by ", "; "" when none
    default: str  # YAML flow text of the default, "(required)" when there is none; "" for sections
    value: str  # YAML flow text of the value in the params file; "" for sections or without a file
    description: str


def yaml_text(value: Any) -> str:
    """A value as YAML flow text, the way it could be written in params.yaml or after `dvc exp run -S key=`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _yaml_str(value)
    if isinstance(value, BaseModel):
        return yaml_text(value.model_dump())
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yaml_text(k)}: {yaml_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(yaml_text(v) for v in value) + "]"
    return _yaml_str(str(value))


def _yaml_str(s: str) -> str:
    """A string plain when YAML reads it back as the same string, else single-quoted (regexes stay readable)."""
    if "\n" in s:
        return json.dumps(s, ensure_ascii=False)
    plain = _PLAIN.fullmatch(s) and s == s.strip() and ": " not in s and not s.endswith(":")
    if plain and s.lower() not in _YAML_WORDS:
        return s
    return "'" + s.replace("'", "''") + "'"


def type_text(annotation: Any) -> str:
    """A readable type: int, float | null, list[str], dict[str, str], hdbscan | agglomerative."""
    if annotation is type(None):
        return "null"
    if annotation is Any:
        return "any"
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return " | ".join(yaml_text(a) for a in args)
    if origin in (Union, types.UnionType):
        return " | ".join(type_text(a) for a in args)
    if origin in (tuple, list):
        return f"list[{type_text(args[0])}]" if args else "list"
    if origin is dict:
        return f"dict[{type_text(args[0])}, {type_text(args[1])}]" if args else "dict"
    return getattr(annotation, "__name__", str(annotation))


def constraints_text(field: FieldInfo) -> str:
    """The field's bounds, length limits and pattern, e.g. `>= 2` or `> 0.0, <= 2.0`."""
    parts = []
    for meta in field.metadata:
        parts += [f"{sym} {getattr(meta, attr)}" for attr, sym in _BOUNDS if getattr(meta, attr, None) is not None]
        if getattr(meta, "min_length", None) is not None:
            parts.append(f"length >= {meta.min_length}")
        if getattr(meta, "max_length", None) is not None:
            parts.append(f"length <= {meta.max_length}")
        if getattr(meta, "pattern", None) is not None:
            parts.append(f"matches {meta.pattern}")
    return ", ".join(parts)


def section_model(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """(model class, is a list of them) when a field holds a section or a list of sections, else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    args = get_args(annotation)
    if get_origin(annotation) in (tuple, list) and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], True
    return None


def first_line(doc: str | None) -> str:
    """The first line of a docstring ("" without one)."""
    return (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""


def param_rows(model: type[BaseModel], current: BaseModel | None = None, prefix: str = "") -> Iterator[ParamRow]:
    """Every section and parameter of `model` in field order, depth first, with values from `current` if given."""
    section = prefix.rstrip(".")
    for name, field in model.model_fields.items():
        key = prefix + name
        value = getattr(current, name) if current is not None else None
        nested = section_model(field.annotation)
        if nested is None:
            yield leaf_row(key, section, field, value, current is not None)
            continue
        cls, many = nested
        described = field.description or first_line(cls.__doc__)
        if not many:
            yield ParamRow(key, SECTION, section, cls.__name__, "", "", "", described)
            yield from param_rows(cls, value, key + ".")
            continue
        yield ParamRow(key, SECTION, section, f"list[{cls.__name__}]", constraints_text(field), "", "", described)
        items: list[tuple[str, BaseModel | None]] = [(f"{key}[{i}]", item) for i, item in enumerate(value or ())]
        for item_key, item in items or [(f"{key}[*]", None)]:
            yield ParamRow(item_key, SECTION, key, cls.__name__, "", "", "", first_line(cls.__doc__))
            yield from param_rows(cls, item, item_key + ".")


def leaf_row(key: str, section: str, field: FieldInfo, value: Any, has_value: bool) -> ParamRow:
    """The row of one parameter."""
    default = "(required)" if field.is_required() else yaml_text(field.get_default(call_default_factory=True))
    return ParamRow(key, LEAF, section, type_text(field.annotation), constraints_text(field), default,
                    yaml_text(value) if has_value else "", field.description or "")


def select(rows: list[ParamRow], prefix: str) -> list[ParamRow]:
    """The rows whose key starts with `prefix` (all rows for an empty prefix)."""
    return [r for r in rows if r.key.startswith(prefix)]


def table(rows: list[ParamRow], width: int = 120) -> str:
    """A plain-text table: key, value, description, wrapped to `width` columns; sections show no value."""
    kw = max(max((len(r.key) for r in rows), default=3), len("KEY"))
    vw = max(min(max((len(r.value) for r in rows), default=5), 28), len("VALUE"))
    dw = max(width - kw - vw - 4, 30)
    lines = [f"{'KEY':<{kw}}  {'VALUE':<{vw}}  DESCRIPTION"]
    for r in rows:
        values = textwrap.wrap(r.value, vw, break_on_hyphens=False, drop_whitespace=False, expand_tabs=False,
                               replace_whitespace=False) if r.value else [""]
        descs = textwrap.wrap(r.description, dw, break_on_hyphens=False) or [""]
        for i in range(max(len(values), len(descs))):
            key = r.key if i == 0 else ""
            val = values[i] if i < len(values) else ""
            desc = descs[i] if i < len(descs) else ""
            lines.append(f"{key:<{kw}}  {val.rstrip():<{vw}}  {desc}".rstrip())
    return "\n".join(lines) + "\n"


def md_code(text: str) -> str:
    """Text as a Markdown code span that is safe inside a table cell."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def md_cell(text: str) -> str:
    """Prose safe inside a Markdown table cell: pipes escaped, and `<` outside code spans (no raw HTML)."""
    parts = re.split(r"(`[^`]*`)", text)
    text = "".join(p if len(p) > 1 and p[0] == p[-1] == "`" else p.replace("<", "\\<") for p in parts)
    return text.replace("|", "\\|")


def markdown(rows: list[ParamRow], source: str = "params.yaml") -> str:
    """A Markdown document: one heading per section with its description, one table of its parameters."""
    out = [
        "# Parameters",
        "",
        "<!-- Generated by `python -m pipeline params --markdown > docs/params.md`; do not edit by hand "
        "(tests/test_params_doc.py checks that it is up to date). -->",
        "",
        f"Every parameter of `{source}`: its type and constraints, its default in `pipeline/common/config.py`, its "
        f"value in `{source}`, and what it does. Every stage reads its own section; dvc.yaml lists the exact keys per "
        "stage. The descriptions live in the typed config (pydantic "
        "`Field(description=...)`), so they survive `dvc exp run -S key=value`, which rewrites the file. "
        "`python -m pipeline params [KEY_PREFIX]` prints the same as a table.",
    ]
    described = {r.key: r.description for r in rows if r.kind == SECTION}
    leaves: dict[str, list[ParamRow]] = {}
    order: list[str] = []
    for r in rows:
        sec = r.key if r.kind == SECTION else r.section
        if sec not in leaves:
            leaves[sec] = []
            order.append(sec)
        if r.kind == LEAF:
            leaves[sec].append(r)
    for sec in order:
        out += ["", f"## `{sec}`" if sec else "## top level"]
        if described.get(sec):
            out += ["", md_cell(described[sec])]
        if leaves[sec]:
            out += ["", "| key | type | default | value | description |", "|---|---|---|---|---|"]
            out += [md_row(r) for r in leaves[sec]]
    return "\n".join(out) + "\n"


def md_row(r: ParamRow) -> str:
    """One parameter as a Markdown table row."""
    kind = md_code(r.type) + (f"; {md_code(r.constraints)}" if r.constraints else "")
    default = "required" if r.default == "(required)" else md_code(r.default)
    value = md_code(r.value) if r.value else ""
    return f"| {md_code(r.key)} | {kind} | {default} | {value} | {md_cell(r.description)} |"
