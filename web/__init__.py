"""Laurel's web application: ``create_app()`` builds it; ``flask --app web`` finds it."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from .extensions import laurel

__all__ = ["create_app"]

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app, configured from the environment (``LAUREL_*``), then from ``config``."""
    instance = Path(os.environ.get("LAUREL_INSTANCE_PATH", ROOT / "instance")).resolve()
    app = Flask(__name__, instance_path=str(instance))
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("LAUREL_DATABASE_URL", f"sqlite:///{instance / 'laurel.db'}"),
        DEFINITIONS=os.environ.get("LAUREL_DEFINITIONS", str(ROOT / "definitions")),
        SECRET_KEY=os.environ.get("LAUREL_SECRET_KEY", "dev-only-not-secret"),
    )
    if config:
        app.config.update(config)
    logging.basicConfig(level=os.environ.get("LAUREL_LOG_LEVEL", "INFO"))
    logging.getLogger("transitions").setLevel(logging.WARNING)  # it narrates every callback at INFO
    laurel.init_app(app)

    from . import health
    app.register_blueprint(health.bp)

    from .cli import register_commands
    register_commands(app)
    return app
