"""Signing in and out, and changing one's password (Flask-Login sessions)."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from workflow.domain.models import User

from .database import db
from .extensions import login_manager
from .params import as_id

__all__ = ["bp", "SignedIn", "signed_in_user", "hash_password"]

bp = Blueprint("auth", __name__)
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return generate_password_hash(password)


class SignedIn(UserMixin):
    """The person signed in, as Flask-Login sees them. The session id changes with the
    password, so changing it signs out every other session."""

    def __init__(self, user: User):
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name
        self._stamp = hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]

    def get_id(self) -> str:
        return f"{self.id}.{self._stamp}"


@login_manager.user_loader
def _load(session_id: str) -> SignedIn | None:
    user_id, _, stamp = session_id.partition(".")
    if as_id(user_id) is None:
        return None
    user = db().get(User, as_id(user_id))
    if user is None or not user.active:
        return None
    signed_in = SignedIn(user)
    return signed_in if signed_in.get_id() == session_id else None


def signed_in_user() -> User:
    """The ORM row of the person signed in (in the request's session)."""
    user = db().get(User, current_user.id)
    if user is None:
        abort(403)
    return user


class SignInForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200)])
    again = PasswordField(_l("New password again"),
                          validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


def _safe_next(target: str | None) -> str:
    """Only a path on this site: a link never sends someone elsewhere after signing in."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = SignInForm()
    if form.validate_on_submit():
        user = db().scalar(select(User).where(User.username == form.username.data.strip()))
        if user is not None and user.active and check_password_hash(user.password_hash, form.password.data):
            login_user(SignedIn(user))
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("The user name or password is wrong."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = signed_in_user()
        if not check_password_hash(user.password_hash, form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            user.password_hash = hash_password(form.new.data)
            db().commit()
            login_user(SignedIn(user))  # this session stays signed in; the others end
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)
