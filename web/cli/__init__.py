"""Command-line tools: ``flask --app web db|workflow|audit|demo|org|notify|keys|decision …``."""

from __future__ import annotations

from flask import Flask

from .audit import audit
from .database import db
from .demo import demo
from .documents import decision, keys
from .notify import notify
from .organisation import org
from .workflows import workflow

__all__ = ["register_commands"]


def register_commands(app: Flask) -> None:
    for group in (db, workflow, audit, demo, org, notify, keys, decision):
        app.cli.add_command(group)
