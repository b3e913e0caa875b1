"""What the administration's views share: the choices their forms offer, and the flow of a form."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from workflow.domain.administration import Invalid, body_tree
from workflow.domain.models import Cluster, Council, Person, User

from ..database import db
from ..extensions import laurel
from ..i18n import localized
from ..params import as_id
from .forms import refuse, values


def body_choices(empty: str | None = None) -> list[SelectChoice]:
    """Bodies as a tree, indented (the empty choice first, when given)."""
    choices = [SelectChoice(None, empty)] if empty is not None else []
    return choices + [SelectChoice(b.id, "\u2003" * depth + b.name) for b, depth in body_tree(db())]


def council_choices() -> list[SelectChoice]:
    return [SelectChoice(None, "—")] + [SelectChoice(c.id, c.name)
                                        for c in db().scalars(select(Council).order_by(Council.name))]


def user_choices() -> list[SelectChoice]:
    return [SelectChoice(None, "—")] + [SelectChoice(u.id, f"{u.display_name} ({u.username})")
                                        for u in db().scalars(select(User).where(User.active.is_(True))
                                                              .order_by(User.display_name))]


def person_choices() -> list[SelectChoice]:
    people = db().scalars(select(Person).order_by(Person.full_name))
    return [SelectChoice(None, _("— not linked to a person —"))] + [
        SelectChoice(p.id, f"{p.full_name} ({p.code})") for p in people]


def role_choices(empty: str | None = None) -> list[SelectChoice]:
    roles = laurel.state.definitions.vocabulary.roles
    choices = [SelectChoice("", empty)] if empty is not None else []
    return choices + [SelectChoice(name, localized(label)) for name, label in roles.items() if name != "system"]


def scope_choices() -> list[SelectChoice]:
    """Where a role is held, grouped: nowhere in particular, a body, a council, a cluster."""
    bodies, councils, clusters = _("Bodies (unit roles)"), _("Councils (council roles)"), _("Clusters (cluster roles)")
    return ([SelectChoice("", _("No scope (administrator)"), optgroup=_("Everywhere"))]
            + [SelectChoice(f"body:{b.value}", b.label, optgroup=bodies) for b in body_choices()]
            + [SelectChoice(f"council:{c.id}", c.name, optgroup=councils)
               for c in db().scalars(select(Council).order_by(Council.name))]
            + [SelectChoice(f"cluster:{c.id}", c.name, optgroup=clusters)
               for c in db().scalars(select(Cluster).order_by(Cluster.name))])


def parse_scope(value: str | None) -> tuple[str | None, int | None]:
    """'body:12' → ('body', 12); '' → (None, None)."""
    kind, _sep, ident = (value or "").partition(":")
    return (kind, as_id(ident)) if kind and as_id(ident) is not None else (None, None)


def edit(form, save, *, title: str, back: str, done=None, saved_message: str = "", respond=None, **context):
    """The one flow of every form here: on a valid POST, ``save(values)`` → commit → flash
    ``saved_message`` and redirect to ``done(result)`` (or answer ``respond(result)``); a refusal
    goes back to the form, at its fields, with 400."""
    status = 200
    if form.validate_on_submit():
        try:
            result = save(values(form, *form.saved))
        except Invalid as invalid:
            db().rollback()
            refuse(form, invalid)
            status = 400
        else:
            db().commit()
            if respond is not None:
                return respond(result)
            flash(saved_message, "success")
            return redirect(done(result))
    elif request.method == "POST":
        status = 400
    return render_template("admin/form.html", form=form, title=title, back=back, **context), status
