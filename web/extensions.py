"""The app's extensions: Laurel's own state (database, domain, engine), sign-in, CSRF, Babel.

Only immutable or shareable things live here (the connection pool, parsed definitions);
no request's state is kept in process memory.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from flask import Flask, current_app
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import Engine as DbEngine
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from workflow import DefinitionError, Engine, Registry
from workflow.db import create_db_engine, make_session_factory
from workflow.documents.keys import Keys
from workflow.documents.publisher import Publisher
from workflow.domain.catalogue import Catalogue
from workflow.domain.setup import Domain, load_domain
from workflow.loader import Definitions

__all__ = ["Laurel", "laurel", "login_manager", "csrf", "babel"]

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class _State:
    """What one app holds: built on first use, then shared by all requests."""

    def __init__(self, app: Flask):
        self.database_url: str = app.config["DATABASE_URL"]
        self.definitions_root = Path(app.config["DEFINITIONS"])
        self.keys_folder = Path(app.config["KEYS"])
        self.base_url: str = app.config["BASE_URL"]

    @cached_property
    def db(self) -> DbEngine:
        return create_db_engine(self.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """Sessions for reading (and for writes that expect no competition)."""
        return make_session_factory(self.db)

    @cached_property
    def write_sessions(self) -> sessionmaker[Session]:
        """Sessions whose transactions write (firing transitions, ticks, imports)."""
        return make_session_factory(self.db, write=True)

    @cached_property
    def domain(self) -> Domain:
        """Definitions, catalogue and covenant template, with their problems (loaded once)."""
        return load_domain(self.definitions_root)

    @property
    def registry(self) -> Registry:
        return self.domain.registry

    @property
    def definitions(self) -> Definitions:
        return self.domain.definitions

    @property
    def catalogue(self) -> Catalogue:
        if self.domain.catalogue is None:
            raise DefinitionError("the award catalogue does not load:\n" + "\n".join(map(str, self.domain.problems)))
        return self.domain.catalogue

    @cached_property
    def engine(self) -> Engine:
        """The workflow engine (raises ``DefinitionError`` listing problems if definitions are bad)."""
        if not self.domain.ok:
            raise DefinitionError("definitions have problems:\n" + "\n".join(map(str, self.domain.problems)))
        return self.domain.build_engine(publisher=self.publisher)

    @cached_property
    def publisher(self) -> Publisher:
        """Makes, signs and stores a decision's PDF as it is issued (the engine's service)."""
        return Publisher.of(self.domain, Keys(self.keys_folder), self.base_url)

    def database_exists(self) -> bool:
        """True when the database holds Laurel's tables (a missing SQLite file is not created)."""
        if self.database_url.startswith("sqlite"):
            path = self.database_url.split("///", 1)[-1].split("?", 1)[0]
            if path != ":memory:" and not Path(path).exists():
                return False
        return inspect(self.db).has_table("workflow_definition")


class Laurel:
    """Flask extension giving views and commands ``laurel.state`` for the current app."""

    def init_app(self, app: Flask) -> None:
        app.extensions["laurel"] = _State(app)

    @property
    def state(self) -> _State:
        return current_app.extensions["laurel"]


laurel = Laurel()
