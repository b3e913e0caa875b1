"""Public posting: the standing office records the comments received while a nomination is posted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from world import NOW, later
from workflow.domain import posting
from workflow.domain.errors import DomainError, NotAllowed
from workflow.domain.models import Nomination

TODAY = date(2026, 11, 27)  # NOW, in Hà Nội


@pytest.fixture
def posted(desk):
    """A Certificate of Merit of the Commission for d1_9, posted by the central office on NOW."""
    n = desk.posted_central_merit()
    assert desk.state(n) == "public_posting"
    return n


def record(desk, n, who="sec_c", now=NOW, **kwargs):
    with desk.sessions.begin() as s:
        kwargs.setdefault("text", "Đồng chí có nhiều đóng góp")
        kwargs.setdefault("received_on", TODAY)
        return posting.record_public_comment(s, desk.engine, desk.user(s, who), s.get(Nomination, n), now=now,
                                             **kwargs)


def test_a_comment_is_recorded_normalised(desk, posted):
    comment = record(desk, posted, author="  Một cán bộ  ", text="Cu\u0309a đơn vị\n  ")
    assert (comment.author, comment.text, comment.received_on) == ("Một cán bộ", "Của đơn vị", TODAY)
    anonymous = record(desk, posted, author="   ", text="Ý kiến thứ hai", now=later(1),
                       received_on=TODAY + timedelta(days=1))
    assert anonymous.author is None
    with desk.readers() as s:
        found = posting.comments_of(s, [posted, 999])
    assert [c.text for c in found[posted]] == ["Của đơn vị", "Ý kiến thứ hai"] and found[999] == []


@pytest.mark.parametrize("kwargs, field, message", [
    ({"text": "  "}, "text", "The comment's text is needed"),
    ({"text": "x" * 4001}, "text", "at most 4000 characters"),
    ({"text": "a\x00b"}, "text", "control characters"),
    ({"author": "x" * 201}, "author", "at most 200 characters"),
    ({"received_on": TODAY + timedelta(days=1)}, "received_on", "cannot be after today"),
    ({"received_on": TODAY - timedelta(days=1)}, "received_on", "before the posting began (27/11/2026)"),
])
def test_what_cannot_be_recorded_names_its_field(desk, posted, kwargs, field, message):
    with pytest.raises(posting.CommentRefused, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        record(desk, posted, **kwargs)
    assert refused.value.field == field


def test_today_is_the_local_day(desk, posted):
    # 20:00 UTC on the 27th is already the 28th in Hà Nội: a comment received on the 28th is not in the future
    evening = NOW.replace(hour=20)
    assert record(desk, posted, now=evening, received_on=TODAY + timedelta(days=1)).received_on == date(2026, 11, 28)


def test_only_the_councils_standing_office_records(desk, posted):
    with pytest.raises(NotAllowed, match="standing office"):
        record(desk, posted, who="sec_p")  # the province's office, not the Commission's
    with pytest.raises(NotAllowed):
        record(desk, posted, who="officer_d1")


def test_only_while_posted(desk, posted, engine, write_sessions):
    from workflow.deadlines import tick
    with desk.readers() as s:
        assert posting.is_posted(s, desk.engine, s.get(Nomination, posted))
    assert [h.outcome for h in tick(write_sessions, engine, later(6))] == ["fired"]  # the posting ends
    with desk.readers() as s:
        assert not posting.is_posted(s, desk.engine, s.get(Nomination, posted))
    with pytest.raises(DomainError, match="not posted for comments now"):
        record(desk, posted, now=later(6))
