"""The engine's actions on a page: what the person may do on an item (for themselves, or for
someone who delegated to them), reading the action form a page posts back, and the engine's
reasons placed at the form's fields. Shared by the nominations' and the decisions' pages."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, request
from sqlalchemy import select

from workflow import Option
from workflow.domain.models import Decision, Delegation, Nomination, User
from workflow.domain.organisation import actor_for
from workflow.models import WorkflowInstance

from .access import today
from .database import db
from .extensions import laurel
from .i18n import localized
from .params import as_id

__all__ = ["Choice", "Requested", "choices", "principals", "requested", "field_errors"]


@dataclass(frozen=True)
class Choice:
    """An action offered on the page: allowed (a form) or blocked (its reasons), and for whom."""

    option: Option
    acting_for: User | None


def principals(user: User) -> list[User]:
    """The people who delegated their role to ``user`` today."""
    on = today()
    return list(db().scalars(select(User).join(Delegation, Delegation.principal_id == User.id).where(
        Delegation.deputy_id == user.id, Delegation.starts <= on, Delegation.ends >= on)))


def choices(subject: Nomination | Decision, instance: WorkflowInstance, user: User) -> list[Choice]:
    """The actions the person's roles (or those of someone they act for) offer on ``subject``;
    steps that are not theirs at all are left out."""
    found: dict[str, Choice] = {}
    for principal in [None] + principals(user):
        actor = actor_for(db(), user, subject, on=today(), acting_for=principal)
        for option in laurel.state.engine.available(db(), instance, actor):
            if any(r.code == "role" for r in option.reasons):
                continue  # not this person's step: not shown
            current = found.get(option.trigger)
            if current is None or (option.allowed and not current.option.allowed):
                found[option.trigger] = Choice(option, principal)
    return list(found.values())


@dataclass(frozen=True)
class Requested:
    """An action form as posted: which action, on which version, for whom, with what."""

    option: Option
    version: int
    acting_for: User | None
    comment: str | None
    inputs: dict[str, str]

    @property
    def trigger(self) -> str:
        return self.option.trigger


def requested(offered: list[Choice]) -> Requested:
    """The posted action form, checked against what the page offered (400 when malformed,
    403 when the action is not the person's)."""
    trigger = request.form.get("trigger", "")[:64]
    version = as_id(request.form.get("version"))
    if version is None:
        abort(400)
    acting_for = None
    if request.form.get("acting_for"):
        acting_for = db().get(User, as_id(request.form["acting_for"]) or 0) or abort(400)
    option = next((c.option for c in offered if c.option.trigger == trigger), None)
    if option is None:
        abort(403)
    return Requested(option, version, acting_for, request.form.get("comment"),
                     {name: request.form.get(f"input:{name}", "") for name in option.inputs})


def field_errors(reasons) -> tuple[dict[str, list[str]], list[str]]:
    """The engine's reasons: those about a field (comment, an input, a document) at the field,
    the others for the top of the form."""
    fields: dict[str, list[str]] = {}
    general = []
    for reason in reasons:
        if reason.field:
            fields.setdefault(reason.field, []).append(localized(reason))
        else:
            general.append(localized(reason))
    return fields, general
