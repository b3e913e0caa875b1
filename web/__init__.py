"""Laurel's web application: ``create_app()`` builds it; ``flask --app web`` finds it."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from . import database, errors, i18n, menu
from .extensions import csrf, laurel, login_manager
from .params import IdConverter

__all__ = ["create_app"]

ROOT = Path(__file__).resolve().parent.parent
MAX_UPLOAD_MB = 25


def _config(app: Flask, instance: Path) -> None:
    env = os.environ.get
    app.config.from_mapping(
        DATABASE_URL=env("LAUREL_DATABASE_URL", f"sqlite:///{instance / 'laurel.db'}"),
        DEFINITIONS=env("LAUREL_DEFINITIONS", str(ROOT / "definitions")),
        SECRET_KEY=env("LAUREL_SECRET_KEY", "dev-only-not-secret"),
        BASE_URL=env("LAUREL_BASE_URL", "http://127.0.0.1:5000"),
        KEYS=env("LAUREL_KEYS", str(instance / "keys")),  # signing keys: see workflow/documents/keys.py
        SMTP_HOST=env("LAUREL_SMTP_HOST"),
        SMTP_PORT=int(env("LAUREL_SMTP_PORT", "25")),
        SMTP_USER=env("LAUREL_SMTP_USER"),
        SMTP_PASSWORD=env("LAUREL_SMTP_PASSWORD"),
        SMTP_SENDER=env("LAUREL_SMTP_SENDER", "laurel@localhost"),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_MB * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # a form stays valid for the whole session
    )


def _blueprints(app: Flask) -> None:
    from . import (admin, appraisal, auth, clusters, council, decisions, health, history, home, nominations,
                   notifications, verify)
    app.url_map.converters["int"] = IdConverter  # before any rule: every <int:…> in a URL is an id
    for module in (health, auth, home, nominations, clusters, appraisal, council, decisions, history, notifications,
                   admin, verify):
        app.register_blueprint(module.bp)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app, configured from the environment (``LAUREL_*``), then from ``config``."""
    instance = Path(os.environ.get("LAUREL_INSTANCE_PATH", ROOT / "instance")).resolve()
    app = Flask(__name__, instance_path=str(instance))
    _config(app, instance)
    if config:
        app.config.update(config)
    logging.basicConfig(level=os.environ.get("LAUREL_LOG_LEVEL", "INFO"))
    logging.getLogger("transitions").setLevel(logging.WARNING)  # it narrates every callback at INFO

    laurel.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    database.init_app(app)
    i18n.init_app(app)
    menu.init_app(app)
    errors.init_app(app)
    _blueprints(app)
    app.jinja_env.globals["endpoints"] = app.view_functions

    from .cli import register_commands
    register_commands(app)
    return app
