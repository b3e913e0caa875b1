"""What the actor must supply with a transition: a comment, typed inputs, dossier documents.

Everything supplied is distrusted: undeclared inputs are refused, values are checked against
their declared type and normalised (numbers as numbers, dates as ISO text) before they are
stored in the audit trail.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from .reasons import Reason, engine_reason
from .schema import InputSchema, Label, TransitionSchema

__all__ = ["Supplied", "check_supplied", "MAX_TEXT"]

MAX_TEXT = 4000
"""Longest comment or text input accepted, in characters."""


class Supplied:
    """The normalised comment, inputs and attachments of one action, and what is wrong."""

    def __init__(self) -> None:
        self.comment: str | None = None
        self.inputs: dict[str, Any] = {}
        self.attachments: dict[str, str] = {}
        self.reasons: list[Reason] = []


def _input_value(spec: InputSchema, raw: Any) -> tuple[Any, tuple[str, str] | None]:
    """(normalised value, None) or (None, (problem_vi, problem_en))."""
    if spec.type == "number":
        if isinstance(raw, bool):
            return None, ("cần một số", "a number is needed")
        if isinstance(raw, (int, float)):
            value = raw
        else:
            try:
                text = str(raw).strip().replace(",", ".")
                value = float(text) if any(c in text for c in ".eE") else int(text)
            except ValueError:
                return None, ("cần một số", "a number is needed")
        if isinstance(value, float) and not math.isfinite(value):
            return None, ("cần một số hữu hạn", "a finite number is needed")
        return value, None
    if spec.type == "date":
        if isinstance(raw, date):
            return raw.isoformat(), None
        try:
            return date.fromisoformat(str(raw).strip()).isoformat(), None
        except ValueError:
            return None, ("cần ngày dạng YYYY-MM-DD", "a date as YYYY-MM-DD is needed")
    text = _clean(str(raw))
    if text is None:
        return None, ("có ký tự điều khiển không hợp lệ", "contains control characters")
    if len(text) > MAX_TEXT:
        return None, (f"dài quá {MAX_TEXT} ký tự", f"longer than {MAX_TEXT} characters")
    if spec.type == "choice" and text not in spec.choices:
        return None, ("chọn một trong: " + ", ".join(spec.choices), "choose one of: " + ", ".join(spec.choices))
    return text, None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str | None:
    """``text`` without surrounding blanks, or None when it holds control characters."""
    return None if _CONTROL.search(text) else text.strip()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_supplied(t: TransitionSchema, documents: Mapping[str, Label], comment: str | None,
                   inputs: Mapping[str, Any] | None, attachments: Mapping[str, str] | None) -> Supplied:
    """Checks and normalises what the actor supplied for transition ``t``."""
    out = Supplied()
    cleaned = _clean(str(comment or ""))
    if cleaned is None:
        out.reasons.append(engine_reason("comment_invalid", "comment"))
        comment = None
    else:
        comment = cleaned or None
    if comment and len(comment) > MAX_TEXT:
        out.reasons.append(engine_reason("comment_too_long", "comment", limit=MAX_TEXT))
    elif t.comment == "required" and not comment:
        out.reasons.append(engine_reason("comment_required", "comment"))
    elif t.comment == "none" and comment:
        out.reasons.append(engine_reason("comment_not_allowed", "comment"))
    else:
        out.comment = comment
    inputs = dict(inputs or {})
    for name in sorted(set(inputs) - set(t.inputs)):
        out.reasons.append(engine_reason("input_unexpected", name=str(name)[:64]))
    for name, spec in t.inputs.items():
        raw = inputs.get(name)
        if _blank(raw):
            if not spec.optional:
                out.reasons.append(engine_reason("input_missing", name, label_vi=spec.label.vi, label_en=spec.label.en))
            continue
        value, problem = _input_value(spec, raw)
        if problem:
            out.reasons.append(engine_reason("input_invalid", name, label_vi=spec.label.vi, label_en=spec.label.en,
                                             problem_vi=problem[0], problem_en=problem[1]))
        else:
            out.inputs[name] = value
    attachments = dict(attachments or {})
    for name in sorted(set(attachments) - set(t.attachments)):
        out.reasons.append(engine_reason("attachment_unexpected", name=str(name)[:64]))
    for kind in t.attachments:
        ref = attachments.get(kind)
        if ref is not None and _clean(str(ref)) is None:
            ref = None
        if _blank(ref):
            label = documents[kind]
            out.reasons.append(engine_reason("attachment_missing", kind, label_vi_lower=label.vi[:1].lower() + label.vi[1:],
                                             label_en_lower=label.en[:1].lower() + label.en[1:]))
        else:
            out.attachments[kind] = str(ref)[:256]
    return out
