"""Users and what they may do: the list, a new user (with a first role), a user's page (details,
roles in their scopes, deactivation, a new password shown once), and delegations."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from workflow.domain import administration as service
from workflow.domain.administration import Invalid
from workflow.domain.errors import DomainError
from workflow.domain.models import Body, Cluster, Council, Delegation, RoleAssignment, User

from ..auth import hash_password, signed_in_user
from ..database import db
from ..extensions import laurel
from ..i18n import localized
from . import bp
from .common import edit, parse_scope, person_choices, role_choices, scope_choices, user_choices
from .forms import DelegationForm, NewUserForm, RoleForm, UserForm, refuse, values

USERS_SHOWN = 200


def _scopes() -> dict[tuple[str, int], str]:
    """(scope kind, id) → name, for showing role assignments."""
    names = {("body", b.id): b.name for b in db().scalars(select(Body))}
    names |= {("council", c.id): c.name for c in db().scalars(select(Council))}
    names |= {("cluster", c.id): c.name for c in db().scalars(select(Cluster))}
    return names


@bp.get("/users")
def users():
    q = request.args.get("q", "").strip()[:100]
    rows = service.find_users(db(), q, limit=USERS_SHOWN + 1)
    roles: dict[int, list[RoleAssignment]] = {}
    for a in db().scalars(select(RoleAssignment).where(RoleAssignment.user_id.in_([u.id for u in rows]))
                          .order_by(RoleAssignment.id)):
        roles.setdefault(a.user_id, []).append(a)
    return render_template("admin/users.html", rows=rows[:USERS_SHOWN], more=len(rows) > USERS_SHOWN, q=q,
                           roles=roles, scopes=_scopes(), vocabulary=laurel.state.definitions.vocabulary)


def _password_page(user: User, password: str, new: bool):
    return render_template("admin/password.html", user=user, password=password, new=new)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    """A new user (and, if chosen, their first role); the random password is shown once."""
    form = NewUserForm()
    form.person_id.choices = person_choices()
    form.role.choices = role_choices(_("— no role yet —"))
    form.scope.choices = scope_choices()

    def save(values: dict):
        user, password = service.create_user(db(), hash_password, username=form.username.data, **values)
        if form.role.data:
            kind, ident = parse_scope(form.scope.data)
            service.assign_role(db(), laurel.state.definitions.vocabulary.roles, user, role=form.role.data,
                                scope_kind=kind, scope_id=ident)
        return user, password

    return edit(form, save, title=_("New user"), back=url_for(".users"),
                respond=lambda made: _password_page(*made, new=True),
                note=_("A random password is made and shown once, on the next page."))


def _user_page(user: User, form: UserForm | None = None, role_form: RoleForm | None = None, status: int = 200):
    if form is None:
        form = UserForm(obj=user)
        form.person_id.choices = person_choices()
    if role_form is None:
        role_form = RoleForm(formdata=None)
        role_form.role.choices = role_choices()
        role_form.scope.choices = scope_choices()
    assignments = db().scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id)
                               .order_by(RoleAssignment.id)).all()
    delegations = db().scalars(select(Delegation).where(or_(Delegation.principal_id == user.id,
                                                            Delegation.deputy_id == user.id))
                               .order_by(Delegation.starts.desc())).all()
    names = {u.id: u.display_name for u in db().scalars(select(User).where(User.id.in_(
        {d.principal_id for d in delegations} | {d.deputy_id for d in delegations})))}
    return render_template("admin/user.html", user=user, form=form, role_form=role_form, assignments=assignments,
                           scopes=_scopes(), vocabulary=laurel.state.definitions.vocabulary,
                           delegations=delegations, names=names), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    user = db().get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    form.person_id.choices = person_choices()
    if form.validate_on_submit():
        try:
            service.update_user(db(), user, **values(form, *form.saved))
        except Invalid as invalid:
            db().rollback()
            refuse(form, invalid)
            return _user_page(db().get(User, user_id), form, status=400)
        db().commit()
        flash(_("The user has been saved."), "success")
        return redirect(url_for(".user", user_id=user_id))
    return _user_page(user, form, status=400 if request.method == "POST" else 200)


@bp.post("/users/<int:user_id>/roles")
def add_role(user_id: int):
    user = db().get(User, user_id) or abort(404)
    form = RoleForm()
    form.role.choices = role_choices()
    form.scope.choices = scope_choices()
    if form.validate_on_submit():
        kind, ident = parse_scope(form.scope.data)
        try:
            service.assign_role(db(), laurel.state.definitions.vocabulary.roles, user, role=form.role.data,
                                scope_kind=kind, scope_id=ident, valid_from=form.valid_from.data,
                                valid_to=form.valid_to.data)
        except Invalid as invalid:
            db().rollback()
            refuse(form, invalid)
        else:
            db().commit()
            flash(_("The role has been given."), "success")
            return redirect(url_for(".user", user_id=user_id) + "#roles")
    return _user_page(db().get(User, user_id), role_form=form, status=400)


@bp.post("/roles/<int:assignment_id>/delete")
def remove_role(assignment_id: int):
    assignment = db().get(RoleAssignment, assignment_id) or abort(404)
    user_id = assignment.user_id
    try:
        service.remove_role(db(), assignment)
    except DomainError as refused:
        db().rollback()
        flash(localized(refused), "error")
    else:
        db().commit()
        flash(_("The role has been removed."), "success")
    return redirect(url_for(".user", user_id=user_id) + "#roles")


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int):
    user = db().get(User, user_id) or abort(404)
    active = request.form.get("active") == "1"
    try:
        service.set_active(db(), user, active, by=signed_in_user())
    except DomainError as refused:
        db().rollback()
        flash(localized(refused), "error")
    else:
        db().commit()
        flash(_("The account is active again.") if active else _("The account has been deactivated: this user can "
                                                                  "no longer sign in."), "success")
    return redirect(url_for(".user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    """A new random password, shown once in this answer (every session of the user ends)."""
    user = db().get(User, user_id) or abort(404)
    password = service.reset_password(db(), user, hash_password)
    db().commit()
    return _password_page(user, password, new=False)


# --- delegations -----------------------------------------------------------------------------------------

def _delegation_form() -> DelegationForm:
    form = DelegationForm()
    form.principal_id.choices = user_choices()
    form.deputy_id.choices = user_choices()
    return form


def _delegations_page(form: DelegationForm, status: int = 200):
    rows = db().scalars(select(Delegation).order_by(Delegation.starts.desc(), Delegation.id.desc())).all()
    names = {u.id: u.display_name for u in db().scalars(select(User))}
    return render_template("admin/delegations.html", rows=rows, names=names, form=form), status


@bp.get("/delegations")
def delegations():
    return _delegations_page(_delegation_form())


@bp.post("/delegations")
def create_delegation():
    form = _delegation_form()
    if form.validate_on_submit():
        try:
            service.create_delegation(db(), **values(form, *form.saved))
        except Invalid as invalid:
            db().rollback()
            refuse(form, invalid)
        else:
            db().commit()
            flash(_("The delegation has been saved."), "success")
            return redirect(url_for(".delegations"))
    return _delegations_page(form, 400)


@bp.post("/delegations/<int:delegation_id>/delete")
def delete_delegation(delegation_id: int):
    service.delete_delegation(db(), db().get(Delegation, delegation_id) or abort(404))
    db().commit()
    flash(_("The delegation has been deleted."), "success")
    return redirect(url_for(".delegations"))
