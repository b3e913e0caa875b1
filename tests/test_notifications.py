"""Notifications: who is told what after each event (never the person who acted), the in-app
list and the menu's count, and the outbox mailed through SMTP once, with a link that opens the item."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from datetime import date
from urllib.parse import quote

import pytest
from sqlalchemy import select, update

from world import NOW, later
from workflow.deadlines import tick
from workflow.domain import notifications as service
from workflow.domain.models import Delegation, Nomination, Notification, User
from workflow.domain.nominations import nominee_name
from workflow.models import WorkflowInstance
from workflow.workdays import utcnow


def notes(sessions, *, user=None, nomination=None):
    with sessions() as s:
        query = select(Notification).order_by(Notification.id)
        if user is not None:
            query = query.where(Notification.user_id == user)
        if nomination is not None:
            query = query.where(Notification.subject_kind == "nomination", Notification.subject_id == nomination)
        return list(s.scalars(query))


def recipients(desk, nomination, kind=None):
    keys = {v: k for k, v in desk.world.ids.items()}
    return sorted(keys[n.user_id] for n in notes(desk.readers, nomination=nomination) if kind in (None, n.kind))


@pytest.fixture
def submitted(desk):
    """An Advanced Worker nomination of D1, sent by its officer to the unit head."""
    sub = desk.submission("D1", ["LDTT"], "officer_d1")
    n = desk.nominate(sub, "LDTT", "officer_d1", person="d1_1")
    desk.fire(n, "officer_d1", "submit")
    return n


# --- the observer ----------------------------------------------------------------------------------

def test_the_unit_head_is_told_it_awaits_them_and_the_officer_who_acted_is_not(desk, submitted):
    assert recipients(desk, submitted) == ["head_d1"]
    note = notes(desk.readers, nomination=submitted)[-1]
    assert note.kind == "awaits" and note.read_at is None and note.emailed_at is None and note.created_at == NOW
    assert note.text_en == ("Nguyễn Văn Mười 1 — Advanced Worker: Officer D1 did “Send to the unit head” — now at "
                            "“Awaiting the unit head”. Awaiting you: “Approve and send on”; “Return for revision”.")
    assert note.text_vi.startswith("Nguyễn Văn Mười 1 — Lao động tiên tiến: Officer D1 đã “Trình thủ trưởng đơn vị”")


def test_after_the_head_approves_the_proposer_hears_and_the_standing_office_is_awaited(desk, submitted):
    before = len(notes(desk.readers))
    desk.fire(submitted, "head_d1", "approve_unit")
    new = notes(desk.readers)[before:]
    keys = {v: k for k, v in desk.world.ids.items()}
    assert sorted((keys[n.user_id], n.kind) for n in new) == [("officer_d1", "changed"), ("sec_p", "awaits")]
    assert "head_d1" not in {keys[n.user_id] for n in new}
    changed = next(n for n in new if n.kind == "changed")
    assert changed.text_en.endswith("Head D1 did “Approve and send on” — now at “Appraisal by the standing office”.")


def test_a_return_tells_the_officer_it_awaits_them_with_the_comment(desk, submitted):
    desk.fire(submitted, "head_d1", "return_for_revision", comment="Bổ sung số liệu")
    last = notes(desk.readers, nomination=submitted)[-1]
    assert last.user_id == desk.world["officer_d1"] and last.kind == "awaits"
    assert "Comment: Bổ sung số liệu" in last.text_en and "Awaiting you: “Send to the unit head”" in last.text_en


def test_a_deputy_is_told_what_awaits_the_person_they_stand_in_for(desk):
    with desk.sessions.begin() as s:
        s.add(Delegation(principal_id=desk.world["head_d1"], deputy_id=desk.world["m1"],
                         starts=date(2026, 11, 20), ends=date(2026, 12, 15)))
    sub = desk.submission("D1", ["LDTT"], "officer_d1")
    n = desk.nominate(sub, "LDTT", "officer_d1", person="d1_2")
    desk.fire(n, "officer_d1", "submit")
    assert recipients(desk, n) == ["head_d1", "m1"]
    deputy = next(x for x in notes(desk.readers, nomination=n) if x.user_id == desk.world["m1"])
    assert deputy.text_en.endswith("(for Head D1, by delegation)")


def test_the_person_acting_for_someone_is_not_told_but_the_proposer_is(desk, submitted):
    with desk.sessions.begin() as s:
        s.add(Delegation(principal_id=desk.world["head_d1"], deputy_id=desk.world["head_d2"],
                         starts=date(2026, 11, 20), ends=date(2026, 12, 15)))
    before = len(notes(desk.readers))
    desk.fire(submitted, "head_d2", "approve_unit", acting_for="head_d1")
    keys = {v: k for k, v in desk.world.ids.items()}
    new = notes(desk.readers)[before:]
    assert "head_d2" not in {keys[n.user_id] for n in new}
    assert "Head D2 (for Head D1) did “Approve and send on”" in next(n for n in new if n.kind == "changed").text_en


def test_a_long_comment_is_quoted_in_part(desk, submitted):
    desk.fire(submitted, "head_d1", "return_for_revision", comment="Bổ sung " + "x" * 2000)
    last = notes(desk.readers, nomination=submitted)[-1]
    assert "Comment: Bổ sung xxx" in last.text_en and last.text_en.endswith("x… Awaiting you: “Send to the unit head”.")
    assert len(last.text_en) < 700


def test_a_passed_deadline_tells_who_it_awaits(desk, submitted):
    handled = list(tick(desk.sessions, desk.engine, later(14)))
    assert [h.outcome for h in handled] == ["reminded"]
    last = notes(desk.readers, nomination=submitted)[-1]
    assert (last.user_id, last.kind) == (desk.world["head_d1"], "overdue")
    assert last.text_en.endswith("“Awaiting the unit head” is overdue — awaiting you: “Approve and send on”; "
                                 "“Return for revision”.")


def test_an_inactive_user_is_not_told(desk):
    with desk.sessions.begin() as s:
        s.get(User, desk.world["head_d1"]).active = False
    sub = desk.submission("D1", ["LDTT"], "officer_d1")
    n = desk.nominate(sub, "LDTT", "officer_d1", person="d1_3")
    desk.fire(n, "officer_d1", "submit")
    assert recipients(desk, n) == []


def test_a_notification_belongs_to_its_event_transaction(desk, submitted):
    """A refused action writes no notification (nothing was done)."""
    from workflow import Blocked
    before = len(notes(desk.readers))
    with pytest.raises(Blocked):
        desk.fire(submitted, "head_d1", "return_for_revision")  # a comment is required
    assert len(notes(desk.readers)) == before


# --- reading and marking ---------------------------------------------------------------------------

def test_unread_first_then_newest_and_marking_read(desk, submitted):
    head = desk.world["head_d1"]
    sub = desk.submission("D1", ["LDTT"], "officer_d1")
    second = desk.nominate(sub, "LDTT", "officer_d1", person="d1_4")
    desk.fire(second, "officer_d1", "submit", now=later(1))
    with desk.sessions.begin() as s:
        first, newest = service.listed(s, head)
        assert newest.subject_id == submitted and first.subject_id == second  # newest first
        assert service.unread_count(s, head) == 2
        assert service.mark_read(s, head, newest.id, NOW) is newest
        assert service.mark_read(s, desk.world["officer_d1"], first.id, NOW) is None  # not theirs
    with desk.sessions.begin() as s:
        assert [n.subject_id for n in service.listed(s, head)] == [second, submitted]  # unread first
        assert service.count_listed(s, head, unread_only=True) == 1
        assert service.count_listed(s, head, kind="awaits") == 2 and service.count_listed(s, head, kind="changed") == 0
        assert service.mark_all_read(s, head, NOW) == 1
    with desk.readers() as s:
        assert service.unread_count(s, head) == 0


# --- the outbox, through a local SMTP server -------------------------------------------------------

class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [(e.rcpt_tos, email.message_from_bytes(e.content, policy=email.policy.default)) for e in self.envelopes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def _state(web):
    return web.extensions["laurel"]


def _user_id(web, username):
    with _state(web).sessions() as s:
        return s.scalar(select(User.id).where(User.username == username))


def _title(web, nomination_id, lang):
    """'<nominee> — <award>' as notifications name a nomination."""
    with _state(web).sessions() as s:
        nomination = s.get(Nomination, nomination_id)
        award = _state(web).catalogue.award(nomination.award_code).name
        return f"{nominee_name(s, nomination)} — {getattr(award, lang)}"


def _draft_submitted_by_the_officer(web, client_as):
    """The demo's draft, completed and sent to the unit head by canbo.tccs (through the browser)."""
    import io
    with _state(web).sessions() as s:
        draft = s.scalar(select(Nomination.id).join(WorkflowInstance, WorkflowInstance.id == Nomination.instance_id)
                         .where(WorkflowInstance.state == "draft").order_by(Nomination.id))
    client = client_as("canbo.tccs", lang="en")
    client.post(f"/nominations/{draft}/documents", data={"doc:achievement_report": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"),
                                                                                   "bao-cao.pdf")},
                content_type="multipart/form-data")
    with _state(web).sessions() as s:
        version = s.get(WorkflowInstance, s.get(Nomination, draft).instance_id).version
    assert client.post(f"/nominations/{draft}/act", data={"trigger": "submit", "version": version}).status_code == 302
    return draft


@pytest.fixture
def mailed_head(web, smtp_server):
    """truongphong.tccs has an email; their earlier notifications are read; mail goes to the test server."""
    inbox, port = smtp_server
    head = _user_id(web, "truongphong.tccs")
    with _state(web).write_sessions.begin() as s:
        s.execute(update(User).where(User.id == head).values(email="nam.bv@example.vn"))
        service.mark_all_read(s, head, utcnow())
    web.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, BASE_URL="https://laurel.example.vn")
    return inbox, head


def _send(web):
    result = web.test_cli_runner().invoke(args=["notify", "send"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_outbox_mails_each_notification_once_with_its_link(web, client_as, mailed_head):
    inbox, head = mailed_head
    draft = _draft_submitted_by_the_officer(web, client_as)
    note = notes(_state(web).sessions, user=head)[-1]
    assert note.subject_id == draft and note.kind == "awaits"
    assert "Sent 1 notification(s) by email." in _send(web)
    (rcpt, message), = inbox.messages()
    assert rcpt == ["nam.bv@example.vn"] and message["To"] == "nam.bv@example.vn"
    assert message["From"] == "laurel@localhost"
    assert message["Subject"].startswith(f"[Laurel] Chờ bạn xử lý: {_title(web, draft, 'vi')}: Hoàng Thị Thanh")
    body = message.get_body(("plain",)).get_content()
    link = f"https://laurel.example.vn/notifications/{note.id}/open"
    assert body.count(link) == 2 and body.index("Kính gửi Bùi Văn Nam") < body.index("Dear Bùi Văn Nam")
    assert "Chờ bạn: “Duyệt và gửi đi”" in body and "Awaiting you: “Approve and send on”" in body
    assert notes(_state(web).sessions, user=head)[-1].emailed_at is not None
    assert "Sent 0 notification(s)" in _send(web)  # the second run finds nothing to send
    assert len(inbox.envelopes) == 1


def test_users_without_an_email_are_skipped(web, client_as, mailed_head):
    inbox, _head = mailed_head
    officer = _user_id(web, "canbo.tccs")
    with _state(web).write_sessions.begin() as s:
        s.add(Notification(user_id=officer, kind="changed", subject_kind="nomination", subject_id=1,
                           text_vi="Thử", text_en="Test", created_at=utcnow()))
    _send(web)
    assert inbox.envelopes == []
    assert all(n.emailed_at is None for n in notes(_state(web).sessions, user=officer))


def test_overlapping_runs_mail_each_notification_once(web, mailed_head):
    _inbox, head = mailed_head
    state = _state(web)
    with state.write_sessions.begin() as s:
        for i in range(12):
            s.add(Notification(user_id=head, kind="changed", subject_kind="nomination", subject_id=1,
                               text_vi=f"Thông báo {i}", text_en=f"Notice {i}", created_at=utcnow()))
    sent, lock = [], threading.Lock()

    def deliver(message):
        time.sleep(0.01)
        with lock:
            sent.append(message["Subject"])

    def run():
        service.send_outbox(state.write_sessions, deliver, base_url="http://x", sender="laurel@x", now=utcnow())

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == sorted(f"[Laurel] Cập nhật: Thông báo {i}" for i in range(12))


def test_a_failed_send_leaves_the_notification_in_the_outbox(web, mailed_head):
    _inbox, head = mailed_head
    state = _state(web)
    with state.write_sessions.begin() as s:
        s.add(Notification(user_id=head, kind="changed", subject_kind="nomination", subject_id=1,
                           text_vi="Thử", text_en="Test", created_at=utcnow()))

    def down(_message):
        raise ConnectionRefusedError("the mail server is down")

    with pytest.raises(ConnectionRefusedError):
        service.send_outbox(state.write_sessions, down, base_url="http://x", sender="laurel@x", now=utcnow())
    with state.sessions() as s:
        assert len(service.outbox(s)) == 1


def test_without_smtp_nothing_is_sent(web):
    assert "LAUREL_SMTP_HOST is not set" in _send(web)


def test_the_link_signs_in_first_then_marks_read_and_opens_the_item(web, client_as, mailed_head):
    _inbox, head = mailed_head
    draft = _draft_submitted_by_the_officer(web, client_as)
    note = notes(_state(web).sessions, user=head)[-1]
    path = f"/notifications/{note.id}/open"
    client = web.test_client()
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={quote(path, safe='')}"
    response = client.post(response.headers["Location"], data={"username": "truongphong.tccs",
                                                                "password": "thidua2026"})
    assert response.headers["Location"] == path
    assert notes(_state(web).sessions, user=head)[-1].read_at is None  # signing in did nothing yet
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"] == f"/nominations/{draft}"
    assert notes(_state(web).sessions, user=head)[-1].read_at is not None
    assert "Duyệt và gửi đi" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_someone_elses_notification_is_not_found(web, client_as, mailed_head):
    _inbox, head = mailed_head
    note = notes(_state(web).sessions, user=head)[-1]
    client = client_as("canbo.tb")
    assert client.get(f"/notifications/{note.id}/open").status_code == 404
    assert client.post(f"/notifications/{note.id}/read").status_code == 404
    assert notes(_state(web).sessions, user=head)[-1].read_at is not None  # (read already, untouched)


# --- in the browser ---------------------------------------------------------------------------------

def test_a_decision_awaiting_signature_awaits_the_chair_and_its_link_opens_it(web, client_as):
    chair = _user_id(web, "chutich.tb")
    with _state(web).sessions() as s:
        note = s.scalar(select(Notification).where(Notification.user_id == chair, Notification.kind == "awaits",
                                                   Notification.subject_kind == "decision")
                        .order_by(Notification.id.desc()))
    assert note is not None and "Awaiting you: “Return the draft”; “Sign the decision”." in note.text_en
    response = client_as("chutich.tb").get(f"/notifications/{note.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == f"/decisions/{note.subject_id}"


def test_the_list_shows_what_awaits_the_head_and_not_the_officer(web, client_as):
    draft = _draft_submitted_by_the_officer(web, client_as)
    text = f"{_title(web, draft, 'en')}: Hoàng Thị Thanh did “Send to the unit head”"
    head_page = client_as("truongphong.tccs", lang="en").get("/notifications?show=awaits").get_data(as_text=True)
    assert text in head_page
    officer_page = client_as("canbo.tccs", lang="en").get("/notifications").get_data(as_text=True)
    assert "Notifications" in officer_page and text not in officer_page


def test_the_menu_shows_the_unread_count_and_marking_read_lowers_it(web, client_as):
    head = _user_id(web, "truongphong.tccs")
    with _state(web).sessions() as s:
        unread = service.unread_count(s, head)
        first = service.listed(s, head)[0]
    assert unread > 0
    client = client_as("truongphong.tccs", lang="en")
    page = client.get("/").get_data(as_text=True)
    assert f'Notifications <span class="badge">{unread}</span>' in page
    assert client.post(f"/notifications/{first.id}/read").status_code == 302
    assert f'Notifications <span class="badge">{unread - 1}</span>' in client.get("/").get_data(as_text=True)
    response = client.post("/notifications/read")
    assert response.status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert f"{unread - 1} notifications marked as read." in page
    assert 'Notifications <span class="badge">' not in page and "Mark all as read" not in page


def test_a_get_never_acts_on_the_item(web, client_as):
    """Opening a notification only reads: the nomination it points to stays where it was."""
    draft = _draft_submitted_by_the_officer(web, client_as)
    head = _user_id(web, "truongphong.tccs")
    note = notes(_state(web).sessions, user=head)[-1]
    client_as("truongphong.tccs").get(f"/notifications/{note.id}/open")
    with _state(web).sessions() as s:
        assert s.get(WorkflowInstance, s.get(Nomination, draft).instance_id).state == "unit_review"
