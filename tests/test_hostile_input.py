"""Hostile input on every route: numbers too large for the database, negative and non-ASCII
digits, control characters, markup, SQL, very long text, in the URL, the query string and every
form field the app reads. Whoever sends them gets a page with a status below 500 — a refusal, a
form with messages, a 404 — never a server error (one that happens is reported with the line of
the app it came from).

The routes come from the app itself, so a new route is fuzzed without being listed here."""

from __future__ import annotations

import io
import logging
import re
import traceback

import pytest

HOSTILE = [
    "99999999999999999999999999",  # overflows a 64-bit integer
    "-1",
    "²",                            # str.isdigit() says yes, int() says no
    "１２",                          # full-width digits
    "1e309",                        # a float that is infinite
    "NaN",
    "\x00",
    "a\x0bb\x1b[31m",                # control characters a workbook cannot hold
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%s%n{0}{{7*7}}",
    "ẞ" * 1000,                     # longer than any field allows
]

# every name the app's forms and query strings read (templates, request.form/args, WTForms fields)
FIELDS = """achievements acting_for active again author award awards body body_id candidate code comment confirm
council council_id current deputy_id display_name document_symbol dry_run email ends file format held_on kind level
member_ids name name_en new next nomination note page parent_id password period person_id place present principal_id
q received_on reference revoked revokes role scope short_name show starts state step subject submission_closes
submission_opens text tie title trigger unit unread username valid_from valid_to version year
score:political_tasks score:organisation score:emulation score:coordination doc:achievement_report input:reasons""".split()

# what the lists read from their query strings
QUERY = "award body format kind next nomination page period q revoked show state step unit unread".split()

# URL arguments: an id that exists in the demo (the handler's own checks then run), and strings
PATH_VALUES = {"period_code": "2026", "workflow_id": "nomination", "fmt": "xlsx", "lang": "vi", "filename": "x"}

USERS = ["quantri", "canbo.tccs", "thuongtruc.tb", "chutich.tb", "cumtruong.nb"]
SKIPPED = {"/logout", "/static/<path:filename>"}


def _url(rule, value: str) -> str:
    def fill(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        if converter == "int":
            return "1"
        return PATH_VALUES.get(name, value.replace("/", "_")[:200]) if value else PATH_VALUES.get(name, "x")
    return re.sub(r"<(?:(\w+):)?(\w+)>", fill, rule.rule)


def _quote(value: str) -> str:
    from urllib.parse import quote
    return quote(value, safe="")


def _signed_in(app, username: str):
    from conftest import DEMO_PASSWORD
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("user", USERS)
def test_no_route_fails_on_hostile_input(web, user):
    """On SQLite, and on PostgreSQL when configured (it refuses what SQLite stores: a NUL, say)."""
    _fuzz(web, _signed_in(web, user))


def _fuzz(web, client) -> None:
    caught = Raised()
    errors_log = logging.getLogger("web.errors")  # the error page logs what it caught
    errors_log.addHandler(caught)
    try:
        failures = _send_all(web, client, caught.errors)
    finally:
        errors_log.removeHandler(caught)
    assert not failures, "\n".join(failures)


def _send_all(web, client, raised: list[BaseException]) -> list[str]:
    rules = sorted((r for r in web.url_map.iter_rules() if r.rule not in SKIPPED), key=lambda r: r.rule)
    assert len(rules) > 60
    failures: list[str] = []
    for rule in rules:
        for value in HOSTILE:
            url = _url(rule, value)
            if "GET" in rule.methods:
                query = "&".join(f"{field}={_quote(value)}" for field in QUERY)
                _check(failures, raised, f"GET {url} {value[:20]!r}", lambda: client.get(f"{url}?{query}"))
            if "POST" in rule.methods:
                form = {field: value for field in FIELDS}
                form["file"] = (io.BytesIO(value.encode()), value[:100])
                _check(failures, raised, f"POST {url} {value[:20]!r}",
                       lambda: client.post(url, data=form, content_type="multipart/form-data"))
    return failures


class Raised(logging.Handler):
    """The exceptions the app's error page caught and logged."""

    def __init__(self):
        super().__init__()
        self.errors: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.errors.append(record.exc_info[1])


def _check(failures: list[str], raised: list[BaseException], what: str, request) -> None:
    """Sends the request; a server error or an exception (with the app's frame it came from) is
    recorded in ``failures``."""
    raised.clear()
    try:
        status = request().status_code
    except Exception as error:  # the test client re-raises what the app did not handle
        raised.append(error)
        status = 500
    if status >= 500:
        _record(failures, what, raised[-1] if raised else None, status)


def _record(failures: list[str], what: str, error: BaseException | None, status: int) -> None:
    if error is None:
        failures.append(f"{what}: {status}")
    else:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if "/web/" in f.filename
                  or "/workflow/" in f.filename]
        where = f"{frames[-1].filename.rsplit('/', 2)[-2:]}:{frames[-1].lineno}" if frames else "?"
        failures.append(f"{what}: {type(error).__name__} at {where}: {str(error)[:120]}")


def test_an_id_too_large_for_the_database_is_not_found(client_as):
    client = client_as("quantri")
    for url in ("/nominations/99999999999999999999999", "/decisions/1000000000", "/sessions/1/written/9" + "9" * 30):
        assert client.get(url).status_code == 404


def test_a_control_character_is_refused_with_a_message(web):
    client = _signed_in(web, "canbo.tccs")
    client.post("/lang/en", data={"next": "/"})
    response = client.get("/nominations?q=a%00b")
    assert response.status_code == 400 and "holds a control character" in response.get_data(as_text=True)
    response = client.post("/submissions", data={"title": "Tờ trình\x0b"})
    assert response.status_code == 400 and "Remove it and try again" in response.get_data(as_text=True)
