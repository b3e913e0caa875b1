"""A whole season in a real browser: Playwright drives Debian's chromium (headless) against the
app served on a local port, over the demo organisation with only the cluster's conference
played (Thái Bình acclaimed). Thái Bình's committee nominates itself for the Emulation Flag;
its head approves; the cluster's head forwards it; the central standing office appraises it and
opens the council's session; the members vote by secret ballot; the session is closed and the
results recorded; the decision is drafted, signed by the chair and issued by the clerk; the unit
downloads the signed PDF and anyone checks it on the public page.

Each role's main screen is saved under ``artifacts/screenshots/`` (laptop and phone widths).
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
PASSWORD = "thidua2026"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LAPTOP, PHONE = {"width": 1280, "height": 860}, {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (the set-up installs it)")


@pytest.fixture(scope="module")
def server(tmp_path_factory, keys_folder):
    """The app on 127.0.0.1 (a free port), CSRF on, over the organisation and the cluster's conference."""
    from werkzeug.serving import make_server

    from conftest import prepare_demo, scratch_database
    from web import create_app
    with scratch_database(tmp_path_factory.mktemp("e2e"), "e2e.db") as url:
        app = create_app({"DATABASE_URL": url, "KEYS": str(keys_folder), "SECRET_KEY": "e2e-only",
                          "BASE_URL": "http://127.0.0.1"})
        prepare_demo(app, "--without-season")
        http = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=http.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{http.server_port}"
        http.shutdown()
        app.extensions["laurel"].db.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                                    "--disable-background-networking"])
        yield chromium
        chromium.close()


class Person:
    """One person's browser tab, signed in."""

    def __init__(self, browser, base: str, username: str, files: Path):
        self.base, self.username, self.files = base, username, files
        self.context = browser.new_context(viewport=LAPTOP, locale="vi-VN", accept_downloads=True)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())  # "close the session?" and the like
        self.go("/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("main button[type=submit]")
        assert "/login" not in self.page.url, f"{username} could not sign in"

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def file(self, kind: str) -> str:
        path = self.files / f"{kind}.pdf"
        path.write_bytes(PDF + kind.encode())
        return str(path)

    def act(self, trigger: str, *, documents: tuple[str, ...] = (), comment: str | None = None) -> None:
        """Fills and sends the engine's form for ``trigger`` on the page shown."""
        form = self.page.locator(f"form:has(input[name=trigger][value={trigger}])").first
        for kind in documents:
            form.locator(f"input[name='doc:{kind}']").set_input_files(self.file(kind))
        if comment is not None:
            form.locator("textarea[name=comment]").fill(comment)
        form.locator("button[type=submit]").click()
        self.page.wait_for_load_state()
        assert "flash-error" not in self.page.content(), f"{self.username} could not {trigger}: {self.page.url}"

    def shot(self, name: str, *, phone: bool = False) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}-laptop.png"), full_page=True)
        if phone:
            self.page.set_viewport_size(PHONE)
            self.page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
            self.page.set_viewport_size(LAPTOP)

    def close(self) -> None:
        self.context.close()


def test_a_whole_season_in_the_browser(server, browser, tmp_path):
    def person(username: str) -> Person:
        return Person(browser, server, username, tmp_path)

    # the unit: a submission for the Emulation Flag, its documents, the nominee, then submit
    unit = person("canbo.tb")
    unit.go("/submissions")
    form = unit.page.locator("form[action$='/submissions']")
    form.locator("select[name=unit]").select_option(label="Ban Tổ chức Tỉnh ủy Thái Bình")
    form.locator("input[name=awards][value=CO_THI_DUA]").check()
    form.locator("input[name=title]").fill("Tờ trình đề nghị tặng Cờ thi đua năm 2026")
    form.locator("button[type=submit]").click()
    assert "/submissions/" in unit.page.url
    for kind in ("submission_letter", "cluster_minutes"):
        upload = unit.page.locator("form[action$='/documents']")
        upload.locator("select[name=kind]").select_option(kind)
        upload.locator("input[type=file]").set_input_files(unit.file(kind))
        upload.locator("button[type=submit]").click()
    add = unit.page.locator("form[action$='/nominees']")
    add.locator("select[name=award]").select_option("CO_THI_DUA")
    add.locator("select[name=subject]").select_option(label="Ban Tổ chức Tỉnh ủy Thái Bình")
    add.locator("textarea[name=achievements]").fill("Dẫn đầu Cụm thi đua số 2 năm 2026")
    add.locator("button[type=submit]").click()
    assert "/nominations/" in unit.page.url
    nomination = unit.page.url.rsplit("/", 1)[-1].split("?")[0]
    upload = unit.page.locator("form.upload")
    upload.locator("input[type=file]").set_input_files(unit.file("achievement_report"))
    upload.locator("button[type=submit]").click()
    unit.act("submit")
    unit.shot("01-unit-nomination", phone=True)
    unit.go("/")
    unit.shot("02-unit-home", phone=True)

    # the unit's head approves; the cluster's head forwards it with the conference's minutes
    head = person("chutich.tb")
    head.go(f"/nominations/{nomination}")
    head.act("approve_unit")
    head.close()
    cluster = person("cumtruong.nb")
    cluster.go("/clusters")
    cluster.page.locator("main a[href*='/clusters/']").first.click()
    cluster.shot("03-cluster-head-review", phone=True)
    cluster.go(f"/nominations/{nomination}")
    cluster.act("forward", documents=("cluster_minutes",))
    cluster.close()

    # the central standing office appraises, then opens the council's session
    office = person("thuongtruc.tw")
    office.go("/appraisal")
    office.shot("04-secretariat-appraisal", phone=True)
    office.go(f"/nominations/{nomination}")
    office.act("accept", documents=("appraisal_report",))
    office.go("/sessions")
    opening = office.page.locator("form[action$='/sessions']").first
    opening.locator("input[name=title]").fill("Phiên họp xét Cờ thi đua năm 2026")
    opening.locator(f"input[name=nomination][value='{nomination}']").check()
    opening.locator("button[type=submit]").click()
    assert "/sessions/" in office.page.url
    session_url = office.page.url.replace(server, "")
    attendance = office.page.locator("form[action$='/attendance']")
    for box in attendance.locator("input[name=present]").all():
        box.check()
    attendance.locator("button[type=submit]").click()

    # the members vote by secret ballot: nobody's vote and no count is shown
    for member in ("chutich.tw", "uyvien.tw", "uyvien2.tw"):
        voter = person(member)
        voter.go(session_url)
        ballot = voter.page.locator("form[action$='/ballot']")
        ballot.locator("input[type=radio][value=agree]").first.check()
        if member == "uyvien.tw":
            voter.shot("05-council-member-ballot", phone=True)
        ballot.locator("button[type=submit]").click()
        voter.page.wait_for_load_state()
        assert "/ballot" not in voter.page.url or "flash-error" not in voter.page.content()
        voter.close()

    # the session is closed and its results recorded; the decision is drafted
    office.go(session_url)
    closing = office.page.locator("form[action$='/close']")
    closing.locator("input[name=confirm]").check()
    closing.locator("button[type=submit]").click()
    office.page.wait_for_load_state()
    office.page.locator("form[action$='/record'] button[type=submit]").click()
    office.go(session_url)
    office.shot("06-council-tallies")
    office.go("/decisions")
    draft = office.page.locator("form[action$='/decisions']").first
    draft.locator("input[name=title]").fill("Quyết định tặng Cờ thi đua năm 2026")
    draft.locator(f"input[name=nomination][value='{nomination}']").check()
    draft.locator("button[type=submit]").click()
    assert "/decisions/" in office.page.url
    decision_url = office.page.url.replace(server, "")
    office.act("submit_for_signature")
    office.close()

    # the chair signs; the clerk numbers and issues
    chair = person("chutich.tw")
    chair.go(decision_url)
    chair.shot("07-chair-decision", phone=True)
    chair.act("sign")
    chair.close()
    clerk = person("vanthu.tw")
    clerk.go(decision_url)
    clerk.act("issue")
    clerk.shot("08-clerk-issued")
    clerk.close()

    # the unit downloads the signed decision; the public page confirms it
    unit.go(decision_url)
    unit.shot("09-unit-decision", phone=True)
    with unit.page.expect_download() as download:
        unit.page.locator("a[href$='/decision.pdf']").click()
    saved = tmp_path / "decision.pdf"
    download.value.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF") and b"/ByteRange" in data
    if shutil.which("pdfsig"):
        report = subprocess.run(["pdfsig", str(saved)], capture_output=True, text=True, timeout=60).stdout
        assert "Signature is Valid" in report and "Total document signed" in report
    unit.page.locator("a[href*='/v/']").first.click()
    assert "verdict-good" in unit.page.content()
    unit.page.locator("input[type=file][name=file]").set_input_files(str(saved))
    unit.page.locator("form[action$='/v/'] button[type=submit]").click()
    assert "verdict-good" in unit.page.content()
    unit.shot("10-public-verification", phone=True)
    unit.close()
