"""The council's minutes and the awardees' certificates as PDFs: what they say, and when they
are refused."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from workflow.documents.certificate import certificate_content, render_certificates
from workflow.documents.minutes import minutes_content, render_minutes
from workflow.domain.errors import DomainError
from workflow.domain.models import CouncilSession, Decision, Nomination


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _in_order(content: str, parts: list[str]) -> None:
    position = 0
    for part in parts:
        found = content.find(part, position)
        assert found >= 0, f"{part!r} missing after position {position}:\n{content}"
        position = found + len(part)


def test_the_minutes_record_attendance_quorum_and_each_count(desk, domain, publisher):
    desk.voted_through(["d1_1", "d1_2"])
    with desk.readers() as s:
        sitting = s.scalars(select(CouncilSession)).one()
        content = minutes_content(s, domain.catalogue, domain.wording, sitting)
        pdf = render_minutes(content, publisher.folder)
    assert (content.members, len(content.present), content.quorum_met, content.passed) == (5, 4, True, 2)
    assert [name for name, _written in content.absent] and not any(written for _name, written in content.absent)
    _in_order(_text(pdf), ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BIÊN BẢN HỌP HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG",
                           "Phiên họp", "Có mặt (4):", "Vắng mặt (1):", "Số thành viên tối thiểu phải có mặt:",
                           "Kết quả biểu quyết", "Nguyễn Văn Mười 1", "Lao động", "4/4", "Đạt",
                           "Nguyễn Văn Mười 2", "2/2 đề nghị", "THƯ KÝ", "CHỦ TỊCH HỘI ĐỒNG"])


def test_no_minutes_while_the_session_is_open(desk, domain, engine):
    from desk import REPORT
    from world import NOW
    from workflow.domain import ballots
    from workflow.domain.models import Council
    nomination = desk.nominate(desk.submission("D1", ["LDTT"], "officer_d1"), "LDTT", "officer_d1", person="d1_1")
    for who, trigger, extra in (("officer_d1", "submit", {}), ("head_d1", "approve_unit", {}),
                                ("sec_p", "accept", {"attachments": REPORT})):
        desk.fire(nomination, who, trigger, **extra)
    with desk.sessions.begin() as s:
        sitting = ballots.open_session(s, engine, desk.user(s, "sec_p"), s.get(Council, desk.world["PC"]),
                                       period_id=desk.world["2026"], title="Phiên họp", held_on=NOW.date(),
                                       nominations=[s.get(Nomination, nomination)])
        with pytest.raises(DomainError) as refused:
            minutes_content(s, domain.catalogue, domain.wording, sitting)
    assert "closed" in refused.value.en


def test_a_certificate_per_awardee_of_an_issued_decision(desk, domain, publisher):
    awarded = desk.voted_through(["d1_1", "d1_2"])
    decision_id = desk.decide(awarded)
    with desk.readers() as s:
        decision = s.get(Decision, decision_id)
        content = certificate_content(s, domain.catalogue, domain.wording, decision, s.get(Nomination, awarded[1]))
        pdf = render_certificates([content], publisher.folder)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1 and reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    _in_order(_text(pdf), ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "GIẤY CHỨNG NHẬN",
                           "Công nhận danh hiệu “Lao động tiên tiến”", "Nguyễn Văn Mười 2",
                           "Đã có thành tích xuất sắc trong thực hiện nhiệm vụ năm 2026",
                           "Quyết định số 1/QĐ-BTCTU", "Lãnh đạo p_head"])


def test_no_certificate_before_the_decision_is_issued_nor_for_someone_it_does_not_name(desk, domain):
    awarded = desk.voted_through(["d1_1", "d1_2"])
    decision_id = desk.decide(awarded[:1], steps=("submit_for_signature", "sign"))
    with desk.readers() as s:
        decision = s.get(Decision, decision_id)
        with pytest.raises(DomainError):
            certificate_content(s, domain.catalogue, domain.wording, decision, s.get(Nomination, awarded[0]))
    desk.act_on_decision(decision_id, "issue")
    with desk.readers() as s:
        decision = s.get(Decision, decision_id)
        with pytest.raises(DomainError):
            certificate_content(s, domain.catalogue, domain.wording, decision, s.get(Nomination, awarded[1]))
