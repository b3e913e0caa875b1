"""The shapes of the YAML files in ``definitions/``, as pydantic models.

These models check structure and types only (keys, kinds of values, required keys); the
meaning (do named states, roles and guards exist? can every state be reached?) is checked in
``validation.py``. Pydantic reports every structural error at once; ``problems_from`` turns
its errors into ``path:line: message`` problems a person editing the file can act on.
"""

from __future__ import annotations

import difflib
import types
import typing
import datetime as dt
from typing import Annotated, Any, Literal, Union

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StringConstraints,
                      Tag, TypeAdapter, ValidationError, field_validator, model_validator)

from .yamlsource import Located, Problem

M = typing.TypeVar("M", bound=BaseModel)

__all__ = ["Label", "DocumentKind", "Deadline", "ExpiryFire", "StateSchema", "InputSchema", "TransitionSchema",
           "WorkflowSchema", "VocabularySchema", "CalendarSchema", "Holiday", "parse", "lenient"]

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=64)]
WorkflowId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]


def _as_list(value: Any) -> Any:
    """Lets a single name stand where a list of names is expected (``from: draft``)."""
    return [value] if isinstance(value, str) else value


NameList = Annotated[list[Name], BeforeValidator(_as_list)]


class Strict(BaseModel):
    """Base of every file shape: unknown keys are errors, values are not silently coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class Label(Strict):
    """A name shown to people, in Vietnamese (first) and English."""

    vi: Text
    en: Text


class ExpiryFire(Strict):
    """On expiry, fire this trigger as the ``system`` actor."""

    fire: Name


_EXPIRY_TAGS = ("expiry_remind", "expiry_fire")
Expiry = Annotated[
    Annotated[Literal["remind"], Tag("expiry_remind")] | Annotated[ExpiryFire, Tag("expiry_fire")],
    Discriminator(lambda value: "expiry_fire" if isinstance(value, (dict, ExpiryFire)) else "expiry_remind"),
]


class Deadline(Strict):
    """How long an instance may stay in a state, and what happens when that time is up.

    The length is ``days``, ``working_days``, or ``duration``: the name of a registered
    function that reads it from the item's data (a posting period set per award, say).
    """

    days: Annotated[int, Field(gt=0, le=3650)] | None = None
    working_days: Annotated[int, Field(gt=0, le=3650)] | None = None
    duration: Name | None = None
    on_expiry: Expiry = "remind"

    @model_validator(mode="after")
    def _one_length(self) -> "Deadline":
        if sum(x is not None for x in (self.days, self.working_days, self.duration)) != 1:
            raise ValueError("give exactly one of 'days', 'working_days' or 'duration'")
        return self


class StateSchema(Strict):
    label: Label
    final: bool = False
    deadline: Deadline | None = None
    on_enter: NameList = []
    on_exit: NameList = []


class InputSchema(Strict):
    """A value the actor types in when firing a transition (a score, reasons, a date, ...)."""

    label: Label
    type: Literal["text", "number", "date", "choice"] = "text"
    choices: list[Text] = []
    optional: bool = False

    @model_validator(mode="after")
    def _choices_for_choice(self) -> "InputSchema":
        if self.type == "choice" and not self.choices:
            raise ValueError("an input of type 'choice' needs a list of 'choices'")
        if self.type != "choice" and self.choices:
            raise ValueError("'choices' only applies to inputs of type 'choice'")
        return self


class TransitionSchema(Strict):
    trigger: Name
    label: Label
    from_: Annotated[list[Annotated[str, StringConstraints(pattern=r"^([a-z][a-z0-9_]*|\*)$")]],
                     BeforeValidator(_as_list), Field(alias="from", min_length=1)]
    to: Name
    roles: Annotated[NameList, Field(min_length=1)]
    guards: NameList = []
    unless: NameList = []
    comment: Literal["required", "optional", "none"] = "optional"
    inputs: dict[Name, InputSchema] = {}
    attachments: NameList = []
    distinct_from: Annotated[list[Literal["proposer", "previous_actor"]], BeforeValidator(_as_list)] = []
    after: NameList = []
    task: bool = True  # false: being able to do this (say, withdraw) does not make the item one's task

    @field_validator("from_")
    @classmethod
    def _star_alone(cls, sources: list[str]) -> list[str]:
        if "*" in sources and len(sources) > 1:
            raise ValueError("'from: \"*\"' means every non-final state; do not list other states with it")
        return sources


class WorkflowSchema(Strict):
    id: WorkflowId
    version: Annotated[int, Field(gt=0, le=2_147_483_647)]
    label: Label
    subject: Annotated[NameList, Field(min_length=1)]
    initial: Name
    states: Annotated[dict[Name, StateSchema], Field(min_length=1)]
    transitions: list[TransitionSchema]


FileType = Literal["pdf", "docx", "xlsx", "odt", "ods", "png", "jpg"]


class DocumentKind(Label):
    """A kind of dossier document: its labels, the file types accepted and the largest size."""

    types: Annotated[list[FileType], Field(min_length=1)] = ["pdf"]
    max_mb: Annotated[int, Field(gt=0, le=200)] = 20


class VocabularySchema(Strict):
    """The names workflow definitions may use: roles, subject kinds and dossier documents."""

    roles: dict[Name, Label]
    subjects: dict[Name, Label]
    documents: dict[Name, DocumentKind]


class Holiday(Strict):
    """A public holiday: one ``date``, or a range ``from`` … ``to`` (both included)."""

    date: dt.date | None = None
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None
    label: Text | None = None

    @model_validator(mode="after")
    def _one_form(self) -> "Holiday":
        if self.date is not None and (self.from_ or self.to):
            raise ValueError("give either 'date' or 'from' and 'to', not both")
        if self.date is None and (self.from_ is None or self.to is None):
            raise ValueError("give a 'date', or both 'from' and 'to'")
        if self.from_ and self.to and self.to < self.from_:
            raise ValueError("'to' is before 'from'")
        return self


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class CalendarSchema(Strict):
    """Working days: the local time zone, the weekend, holidays and make-up working days."""

    timezone: Text
    weekend: list[Weekday] = ["saturday", "sunday"]
    holidays: list[Holiday] = []
    working_weekends: list[dt.date] = []

    @model_validator(mode="after")
    def _some_working_day(self) -> "CalendarSchema":
        if len(set(self.weekend)) >= 7:
            raise ValueError("'weekend' lists every day of the week: no day would be a working day")
        return self


# --- turning pydantic's errors into path:line problems ------------------------------------

_MESSAGES = {
    "missing": "missing required key",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "date_type": "must be a date written as YYYY-MM-DD",
    "string_too_short": "must not be empty",
    "too_short": "must not be empty",
}
_PATTERNS = {
    NAME_PATTERN: "must be a lowercase name of letters, digits and underscores, starting with a letter",
    r"^[a-z][a-z0-9_-]*$": "must be a lowercase name of letters, digits, underscores and hyphens, starting with a letter",
    r"^[A-Z][A-Z0-9_]*$": "must be an upper-case code of letters, digits and underscores, starting with a letter "
                          "(like CSTDCS)",
    r"^([a-z][a-z0-9_]*|\*)$": "must be a state name, or \"*\" for every non-final state",
}
_KINDS = {"list": "a list", "dict": "a mapping", "str": "text", "int": "a number", "float": "a number",
          "bool": "true or false", "NoneType": "nothing", "date": "a date"}


def _shown(value: Any) -> str:
    """A value as the person wrote it in YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return repr(value)


def _fields_at(model: Any, loc: tuple) -> list[str] | None:
    """The keys allowed by the model that validates the mapping at ``loc`` (for suggestions)."""
    tp = model
    for step in loc:
        tp = _unwrap(tp, step)
        if tp is None:
            return None
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next((f for n, f in tp.model_fields.items() if (f.alias or n) == step), None)
            tp = field.annotation if field else None
        else:
            origin = typing.get_origin(tp)
            args = typing.get_args(tp)
            tp = args[-1] if origin in (dict, list) and args else None
    tp = _unwrap(tp, None)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return None


def _unwrap(tp: Any, step: Any) -> Any:
    """Strips Annotated/Optional/unions down to the type that holds the next step."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
            containers = [a for a in options if typing.get_origin(a) in (dict, list)]
            tp = (models or containers or options or [None])[0]
        else:
            return tp


def _describe(loc: tuple) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _data_path(data: Any, loc: tuple) -> tuple:
    """``loc`` without pydantic's own steps (union tags such as 'function-after[…]'): a step
    is kept when the data has it, or when it is the last (a missing key's name)."""
    path: list = []
    node = data
    for i, step in enumerate(loc):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        elif isinstance(step, str) and ("[" in step or step in _EXPIRY_TAGS):
            continue
        elif i != len(loc) - 1:
            continue
        path.append(step)
    return tuple(path)


def problems_from(error: ValidationError, located: Located, model: type[BaseModel]) -> list[Problem]:
    """One readable problem per pydantic error, located by the YAML line map."""
    problems = []
    for err in error.errors(include_url=False):
        loc = _data_path(located.data, err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden" and loc:
            key = loc[-1]
            allowed = _fields_at(model, loc[:-1]) or []
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "allowed here: " + ", ".join(allowed)
            if err.get("input") is None and not close:
                hint += "; if it is part of a text with commas, put that text in quotes"
            where = f" in {_describe(loc[:-1])}" if loc[:-1] else ""
            problems.append(located.problem(loc, f"unknown key '{key}'{where} ({hint})"))
            continue
        if kind == "missing" and loc:
            where = f" in {_describe(loc[:-1])}" if loc[:-1] else ""
            problems.append(located.problem(loc[:-1], f"missing required key '{loc[-1]}'{where}"))
            continue
        if loc and loc[-1] == "on_expiry" and kind in ("literal_error", "model_type", "model_attributes_type"):
            problems.append(located.problem(loc, f"{_describe(loc)}: must be 'remind', or {{fire: <trigger>}} "
                                                 "to fire a transition when the time is up"))
            continue
        if kind == "string_pattern_mismatch":
            text = _PATTERNS.get(err["ctx"]["pattern"], f"does not match the pattern {err['ctx']['pattern']}")
        elif kind == "literal_error":
            text = f"must be one of {err['ctx']['expected']}"
        elif kind in ("value_error", "assertion_error"):
            text = str(err["ctx"].get("error", err["msg"])) if err.get("ctx") else err["msg"]
        else:
            text = _MESSAGES.get(kind, err["msg"][0].lower() + err["msg"][1:])
        subject = _describe(loc) or "the document"
        value = err.get("input")
        got = f", got {_shown(value)}" if kind.endswith(("_type", "_parsing")) and not isinstance(value, (dict, list)) else ""
        if kind == "string_type" and isinstance(value, bool):
            got += " (YAML reads unquoted yes/no/on/off/true/false as true or false: quote the word)"
        problems.append(located.problem(loc, f"{subject}: {text}{got}"))
    return problems


_FIELD_ADAPTERS: dict[type, dict[str, tuple[str, TypeAdapter]]] = {}


def _adapter(field: Any) -> TypeAdapter:
    annotation = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    model = _unwrap(annotation, None)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return TypeAdapter(annotation)  # a model brings its own (strict) configuration
    return TypeAdapter(annotation, config=ConfigDict(strict=True))


def lenient(model: type[M], raw: Any) -> M | None:
    """A model built from the fields of ``raw`` that are valid on their own (others: default
    or None), so the meaning of a malformed item can still be checked. Never raises."""
    if not isinstance(raw, dict):
        return None
    adapters = _FIELD_ADAPTERS.get(model)
    if adapters is None:
        adapters = _FIELD_ADAPTERS[model] = {name: (field.alias or name, _adapter(field))
                                             for name, field in model.model_fields.items()}
    values = {}
    for name, (key, adapter) in adapters.items():
        field = model.model_fields[name]
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        try:
            values[name] = adapter.validate_python(raw[key]) if key in raw else default
        except ValidationError:
            values[name] = default
    return model.model_construct(**values)


def parse(located: Located, model: type[Strict]) -> tuple[Any, list[Problem]]:
    """Validates a located document against a file shape; returns (model or None, problems)."""
    if not isinstance(located.data, dict):
        kind = _KINDS.get(type(located.data).__name__, type(located.data).__name__)
        return None, [located.problem((), f"the document must be a mapping of keys to values, not {kind}")]
    try:
        return model.model_validate(located.data), []
    except ValidationError as err:
        return None, problems_from(err, located, model)
