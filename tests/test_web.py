"""The app factory, its health page, the diagram command and the Procfile's gunicorn line."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import OFFICER
from web import create_app

ROOT = Path(__file__).resolve().parent.parent


def test_health_reports_the_database(app):
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_says_when_the_database_is_unreachable(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "TESTING": True})
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_pages_are_in_vietnamese_unless_english_is_chosen(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page and "Đăng nhập" in page and "Tên đăng nhập" in page
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/lang/en", data={"next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page and "User name" in page


def test_configuration_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LAUREL_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert create_app().extensions["laurel"].database_url == f"sqlite:///{tmp_path / 'env.db'}"


def test_the_default_database_is_a_sqlite_file_under_instance(monkeypatch):
    monkeypatch.delenv("LAUREL_DATABASE_URL", raising=False)
    url = create_app().extensions["laurel"].database_url
    assert url == f"sqlite:///{ROOT / 'instance' / 'laurel.db'}"


def test_validate_the_shipped_definitions(cli):
    result = cli("workflow", "validate")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Valid: 3 workflow definitions — decision v2, nomination v3, sample v1")


@pytest.fixture
def deployed(app, cli):
    assert cli("db", "init").exit_code == 0
    assert cli("workflow", "deploy").exit_code == 0
    state = app.extensions["laurel"]
    with state.write_sessions.begin() as session:
        return state.engine.start(session, "sample", OFFICER, subject_kind="individual").id


def test_diagram_svg_has_vietnamese_labels(deployed, cli, tmp_path):
    target = tmp_path / "nomination.svg"
    result = cli("workflow", "diagram", "sample", "--output", str(target))
    assert result.exit_code == 0, result.output
    svg = target.read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "Dự thảo" in svg and "Cán bộ TĐKT đơn vị" in svg


def test_diagram_highlights_the_instances_state(deployed, cli):
    dot = cli("workflow", "diagram", "sample", "--format", "dot", "--instance", str(deployed))
    assert dot.exit_code == 0, dot.output
    line = next(line for line in dot.output.splitlines() if line.strip().startswith("draft "))
    assert "#f4c542" in line
    mermaid = cli("workflow", "diagram", "sample", "--format", "mermaid", "--instance", str(deployed))
    assert "class draft current" in mermaid.output and 'state "Dự thảo" as draft' in mermaid.output


def test_diagram_in_english(deployed, cli):
    result = cli("workflow", "diagram", "sample", "--format", "dot", "--lang", "en")
    assert "Awaiting the unit head" in result.output and "Unit emulation officer" in result.output


def test_diagram_of_an_unknown_instance_says_so(deployed, cli):
    result = cli("workflow", "diagram", "sample", "--instance", "999")
    assert result.exit_code == 1 and "no instance 999" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_procfile_serves_the_app_with_gunicorn(tmp_path):
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    port = _free_port()
    command = web.split(":", 1)[1].strip().replace("${PORT:-5000}", str(port)).replace("${WEB_CONCURRENCY:-2}", "1")
    env = dict(os.environ, LAUREL_DATABASE_URL=f"sqlite:///{tmp_path / 'g.db'}",
               PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    server = subprocess.Popen(command, shell=True, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None and re.search(r'"status":\s*"ok"', body), body
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)


@pytest.mark.parametrize("command", [("audit", "verify"), ("workflow", "tick"), ("workflow", "deploy")])
def test_commands_on_an_uninitialised_database_say_what_to_do(cli, command):
    result = cli(*command)
    assert result.exit_code == 1
    assert "run: flask --app web db init" in result.output and "Traceback" not in result.output
