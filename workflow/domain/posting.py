"""Public posting (công khai lấy ý kiến): the comments received while a nomination is posted.

Awards that need it are posted publicly, for the number of days the catalogue sets per award,
after the standing office has appraised the dossier. Comments arrive by letter, e-mail or in
person; the standing office records each one here so the council sees them with the dossier.
The posting is closed by the workflow's ``end_posting`` — refused by its guard until the period
is over, and fired by the scheduler when the deadline passes.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..engine import Engine
from ..requirements import MAX_TEXT
from .errors import DomainError, NotAllowed
from .models import Nomination, PublicComment, User
from .nominations import instance_of
from .organisation import roles_for
from .text import CONTROL_CHARACTERS, nfc

__all__ = ["END_POSTING", "CommentRefused", "is_posted", "comments_of", "record_public_comment"]

END_POSTING = "end_posting"
"""The trigger that closes a posting: a state offering it is a posting in progress."""

MAX_AUTHOR = 200


class CommentRefused(DomainError):
    """A comment that cannot be recorded as given; ``field`` names what to fix
    (``author``, ``text`` or ``received_on``)."""

    def __init__(self, vi: str, en: str, field: str):
        super().__init__(vi, en)
        self.field = field


def is_posted(session: Session, engine: Engine, nomination: Nomination) -> bool:
    """Whether the nomination is posted for comments now (its state offers ``end_posting``)."""
    instance = instance_of(session, nomination)
    return END_POSTING in engine.spec_of(session, instance).candidates[instance.state]


def comments_of(session: Session, nomination_ids: list[int]) -> dict[int, list[PublicComment]]:
    """The comments recorded for each of the nominations, in the order they were received."""
    found: dict[int, list[PublicComment]] = {n: [] for n in nomination_ids}
    for comment in session.scalars(select(PublicComment).where(PublicComment.nomination_id.in_(nomination_ids))
                                   .order_by(PublicComment.received_on, PublicComment.id)):
        found[comment.nomination_id].append(comment)
    return found


def record_public_comment(session: Session, engine: Engine, user: User, nomination: Nomination, *, text: str,
                          received_on: date, author: str | None = None, now: datetime) -> PublicComment:
    """The standing office of the nomination's council records a comment received during its
    public posting: who sent it (optional), what it says, and the day it arrived — not before
    the posting began, not after today (local time)."""
    if "secretariat" not in roles_for(session, user.id, on=now.date(), council_id=nomination.council_id):
        raise NotAllowed("Chỉ cơ quan thường trực của Hội đồng ghi nhận ý kiến công khai",
                         "Only the council's standing office records the comments of a public posting")
    if not is_posted(session, engine, nomination):
        raise DomainError("Đề nghị này hiện không công khai lấy ý kiến",
                          "This nomination is not posted for comments now")
    text = nfc(text or "")
    if not text:
        raise CommentRefused("Cần nội dung ý kiến", "The comment's text is needed", "text")
    if len(text) > MAX_TEXT or CONTROL_CHARACTERS.search(text):
        raise CommentRefused(f"Nội dung tối đa {MAX_TEXT} ký tự, không có ký tự điều khiển",
                             f"The text must be at most {MAX_TEXT} characters, without control characters", "text")
    author = nfc(author or "") or None
    if author is not None and (len(author) > MAX_AUTHOR or CONTROL_CHARACTERS.search(author)):
        raise CommentRefused(f"Tên người góp ý tối đa {MAX_AUTHOR} ký tự", f"The author's name must be at most "
                             f"{MAX_AUTHOR} characters", "author")
    zone = engine.calendar.zone
    posted_on = instance_of(session, nomination).state_entered_at.astimezone(zone).date()
    today = now.astimezone(zone).date()
    if received_on > today:
        raise CommentRefused("Ngày nhận không thể sau hôm nay", "The day received cannot be after today",
                             "received_on")
    if received_on < posted_on:
        raise CommentRefused(f"Ngày nhận không thể trước ngày công khai ({posted_on:%d/%m/%Y})",
                             f"The day received cannot be before the posting began ({posted_on:%d/%m/%Y})",
                             "received_on")
    comment = PublicComment(nomination_id=nomination.id, author=author, text=text, received_on=received_on,
                            recorded_by=user.id)
    session.add(comment)
    session.flush()
    return comment
