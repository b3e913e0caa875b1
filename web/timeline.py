"""The timeline of an item (a nomination, a decision): who did what, when, for whom, why.

Read from the engine's audit events of the item's workflow instance; each transition is named
by its label in the procedure and the state it led to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from workflow.domain.models import Attachment, User
from workflow.models import AuditEvent, WorkflowInstance

from .database import db
from .extensions import laurel
from .i18n import localized
from .params import ids_in

__all__ = ["Entry", "timeline"]


@dataclass(frozen=True)
class Entry:
    when: object
    what: str
    who: str
    acting_for: str | None
    comment: str | None
    details: list[tuple[str, str]]
    files: list[Attachment]


def _person(users: dict[str, User], actor_id: str | None) -> str | None:
    if actor_id is None:
        return None
    if actor_id == "system":
        return _("Laurel (scheduled)")
    user = users.get(actor_id)
    return user.display_name if user else actor_id


def timeline(instance: WorkflowInstance, *, created: str,
             files: Mapping[str, Attachment] | None = None) -> list[Entry]:
    """The instance's events, oldest first. ``created`` names its start event; ``files`` (content
    hash → attachment) are the documents an event may link to."""
    files = files or {}
    spec = laurel.state.engine.spec_of(db(), instance)
    events = list(db().scalars(select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.seq)))
    ids = {n for e in events for n in ids_in(i for i in (e.actor_id, e.acting_for_id) if i)}
    users = {str(u.id): u for u in db().scalars(select(User).where(User.id.in_(ids)))}
    entries = []
    for e in events:
        if e.kind == "start":
            what = created
        elif e.kind == "reminder":
            what = _("Reminder: the deadline has passed")
        elif e.kind == "migration":
            what = _("Moved to version %(v)s of the procedure", v=e.workflow_version)
        else:
            labels = [t.label for ts in spec.candidates.get(e.from_state, {}).values() for t in ts
                      if t.trigger == e.trigger]
            what = localized(labels[0]) if labels else e.trigger
        to = spec.states.get(e.to_state)
        if e.kind != "reminder" and to is not None and e.from_state != e.to_state:
            what += " → " + localized(to.label)
        inputs = [(name, str(value)) for name, value in (e.inputs or {}).items()
                  if name not in ("subject_kind", "subject_ref")]
        entries.append(Entry(e.occurred_at, what, _person(users, e.actor_id) or "", _person(users, e.acting_for_id),
                             e.comment, inputs, [files[s] for s in (e.attachments or {}).values() if s in files]))
    return entries
