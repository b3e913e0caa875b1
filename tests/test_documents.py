"""Issued decisions as documents: the PDF's parts in order, its signature (pyHanko and poppler's
pdfsig), the stored bytes, verification of genuine, altered and unknown files, numbering under
concurrency, and an issue that is all-or-nothing even when the process dies half-way."""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import shutil
import subprocess
import threading
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from workflow.audit import verify
from workflow.documents.keys import Keys
from workflow.documents.verification import verify_pdf
from workflow.domain.models import AwardRecord, Decision, DecisionCounter, DecisionDocument
from workflow.models import WorkflowInstance

PARTS = [  # what a decision says, in reading order (Decree 30/2020 layout; the default wording)
    "BAN TỔ CHỨC TỈNH ỦY", "Số: 1/QĐ-BTCTU", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
    "Thái Bình, ngày", "QUYẾT ĐỊNH", "Về việc công nhận danh hiệu “Lao động tiên tiến”",
    "HỘI ĐỒNG TĐKT BAN TỔ CHỨC TỈNH ỦY THÁI BÌNH", "Căn cứ Luật Thi đua, khen thưởng",
    "Theo đề nghị của Cơ quan thường trực Hội đồng TĐKT", "QUYẾT ĐỊNH:", "Điều 1.", "cho 2 cá nhân", "Điều 2.",
    "Điều 3.", "Nơi nhận:", "- Lưu: VT.", "TM. HỘI ĐỒNG THI ĐUA - KHEN", "CHỦ TỊCH", "Lãnh đạo p_head",
    "Xác thực văn bản: http://laurel.test/v/",
    "DANH SÁCH CÁ NHÂN ĐƯỢC CÔNG NHẬN DANH HIỆU", "Kèm theo Quyết định số 1/QĐ-BTCTU", "STT", "Họ và tên",
    "Chức vụ", "Đơn vị", "Nguyễn Văn Mười 1", "Nguyễn Văn Mười 2",
]


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def issued(desk):
    """A decision of the province's council granting two Advanced Workers, issued."""
    return desk.decide(desk.voted_through(["d1_1", "d1_2"]))


def _document(desk, decision_id) -> DecisionDocument:
    with desk.readers() as s:
        document = s.get(DecisionDocument, decision_id)
        s.expunge(document)
        return document


def test_the_decision_holds_its_parts_in_order(desk, issued):
    document = _document(desk, issued)
    content = _text(document.data)
    assert content == unicodedata.normalize("NFC", content)
    position = 0
    for part in PARTS:
        found = content.find(part, position)
        assert found >= 0, f"{part!r} missing after position {position}:\n{content}"
        position = found + len(part)
    assert re.search(r"Thái Bình, ngày \d{2} tháng \d{2} năm 2026", content)
    assert document.verify_code in content


def test_fonts_are_embedded_and_pages_numbered_from_the_second(desk, issued):
    reader = PdfReader(io.BytesIO(_document(desk, issued).data))
    assert len(reader.pages) == 2
    assert not reader.pages[0].extract_text().lstrip().startswith("1")
    assert reader.pages[1].extract_text().lstrip().startswith("2")
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)["/FontDescriptor"]
            assert "/FontFile2" in descriptor.get_object(), font["/BaseFont"]
    assert "pdfaid" in reader.xmp_metadata.rdf_root.toxml()  # the body claims PDF/A-3u


def test_the_signed_bytes_are_stored_once_and_never_change(desk, issued, db):
    document = _document(desk, issued)
    assert document.sha256 == __import__("hashlib").sha256(document.data).hexdigest()
    assert (document.signer_name, document.test_key, document.size) == ("Lãnh đạo p_head", True, len(document.data))
    for statement in (f"UPDATE decision_document SET size = 1 WHERE decision_id = {issued}",
                      f"DELETE FROM decision_document WHERE decision_id = {issued}"):
        with pytest.raises(DatabaseError, match="issued documents never change"):
            with db.begin() as conn:
                conn.execute(text(statement))


def test_a_genuine_decision_verifies(desk, issued, keys_folder):
    document = _document(desk, issued)
    with desk.readers() as s:
        result = verify_pdf(s, document.data, Keys(keys_folder).trust_roots())
        assert result.genuine and result.document.decision_id == issued
    [signature] = result.signatures
    assert (signature.signer, signature.organisation) == ("Lãnh đạo p_head", "Ban Tổ chức Tỉnh ủy Thái Bình")
    assert signature.ok


def test_a_single_changed_byte_is_caught(desk, issued, keys_folder):
    data = bytearray(_document(desk, issued).data)
    offset = data.index(b"/Producer")  # inside the signed range, in the body's metadata
    data[offset + 1] ^= 0x01
    with desk.readers() as s:
        result = verify_pdf(s, bytes(data), Keys(keys_folder).trust_roots())
    assert result.document is None and not result.genuine
    assert result.unreadable or not all(check.intact for check in result.signatures)


def test_a_change_appended_after_signing_is_caught(desk, issued, keys_folder):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    writer = IncrementalPdfFileWriter(io.BytesIO(_document(desk, issued).data))
    writer.root["/Lang"] = writer.root.get("/Lang", "vi").__class__("en")  # a later revision changes the file
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    with desk.readers() as s:
        result = verify_pdf(s, out.getvalue(), Keys(keys_folder).trust_roots())
    [signature] = result.signatures
    assert signature.intact and signature.valid and not signature.whole_file
    assert result.document is None and not result.genuine


def test_an_unknown_or_foreign_file(desk, issued, tmp_path):
    with desk.readers() as s:
        unrelated = verify_pdf(s, b"%PDF-1.4\n%garbage\n", [])
        assert unrelated.document is None and unrelated.unreadable
        untrusted = verify_pdf(s, _document(desk, issued).data, trust_roots=[])  # signed by a CA we do not trust
        assert untrusted.document is not None and not untrusted.signatures[0].trusted and not untrusted.genuine


def test_poppler_agrees_the_signature_is_valid(desk, issued, tmp_path):
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler-utils is not installed (the set-up command installs it)")
    path = tmp_path / "decision.pdf"
    path.write_bytes(_document(desk, issued).data)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    assert "Lãnh đạo p_head" in report


def test_numbers_under_concurrent_issues_have_no_gaps_nor_twins(desk, domain, publisher):
    awarded = desk.voted_through(["d1_1", "d1_2", "d1_3", "d1_4", "d1_5"])
    ids = [desk.decide([n], steps=("submit_for_signature", "sign")) for n in awarded]
    errors: list[BaseException] = []
    start = threading.Barrier(len(ids))

    def issue(decision_id):
        try:
            start.wait()
            desk.act_on_decision(decision_id, "issue")
        except BaseException as err:  # noqa: BLE001 — reported below
            errors.append(err)

    threads = [threading.Thread(target=issue, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with desk.readers() as s:
        numbers = sorted(int(s.get(Decision, i).number.split("/")[0]) for i in ids)
        assert numbers == [1, 2, 3, 4, 5]
        assert s.scalar(select(func.count()).select_from(DecisionDocument)) == 5


# --- all or nothing ----------------------------------------------------------------------------

CRASH_POINTS = ["numbered", "rendered", "signed", "stored", "awarded", "committing"]


def _crash_while_issuing(url: str, keys: str, decision_id: int, clerk_id: int, point: str) -> None:
    """In a child process: issue the decision and die abruptly (no rollback, no cleanup) at ``point``."""
    from conftest import sample_domain
    from sqlalchemy import event

    from workflow.db import create_db_engine, make_session_factory
    from workflow.documents import publisher as publishing
    from workflow.domain import decisions
    from workflow.domain.models import User
    from workflow.workdays import utcnow

    def die(*_args, **_kwargs):
        os._exit(17)

    def after(function):
        def wrapped(*args, **kwargs):
            function(*args, **kwargs)
            die()
        return wrapped

    if point == "numbered":
        publishing.Publisher.publish = die
    elif point == "rendered":
        publishing.render_decision = after(publishing.render_decision)
    elif point == "signed":
        publishing.sign_pdf = after(publishing.sign_pdf)
    elif point == "stored":
        publishing.Publisher.publish = after(publishing.Publisher.publish)
    elif point == "awarded":
        decisions.record_award = after(decisions.record_award)
    db = create_db_engine(url)
    if point == "committing":  # just before the database is told to commit
        event.listen(db, "commit", die)
    domain = sample_domain()
    engine = domain.build_engine(publisher=publishing.Publisher.of(domain, Keys(__import__("pathlib").Path(keys)),
                                                                   "http://laurel.test"))
    sessions = make_session_factory(db, write=True)
    with sessions.begin() as s:
        decisions.act_on_decision(s, engine, s.get(User, clerk_id), s.get(Decision, decision_id), "issue",
                                  now=utcnow())
    os._exit(0)


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_crash_while_issuing_leaves_nothing_and_issuing_again_completes(desk, database_url, keys_folder, point):
    awarded = desk.voted_through(["d1_1", "d1_2"])
    decision_id = desk.decide(awarded, steps=("submit_for_signature", "sign"))
    child = multiprocessing.get_context("fork").Process(
        target=_crash_while_issuing, args=(database_url, str(keys_folder), decision_id, desk.world["clerk_p"], point))
    child.start()
    child.join(120)
    assert child.exitcode == 17, f"the child did not reach {point!r}"

    def state(s):
        decision = s.get(Decision, decision_id)
        return (s.get(WorkflowInstance, decision.instance_id).state, decision.number,
                s.scalar(select(func.count()).select_from(DecisionDocument)),
                s.scalar(select(func.count()).select_from(AwardRecord)),
                s.scalar(select(func.max(DecisionCounter.last))), sorted(desk.state(n) for n in awarded))

    with desk.readers() as s:
        assert state(s) == ("signed", None, 0, 0, None, ["approved", "approved"])
    desk.act_on_decision(decision_id, "issue")  # the clerk tries again
    with desk.readers() as s:
        assert state(s) == ("issued", "1/QĐ-BTCTU", 1, 2, 1, ["awarded", "awarded"])
        assert list(verify(s)) == []


def test_the_command_line_verifies_offline(desk, issued, cli, tmp_path):
    genuine = tmp_path / "genuine.pdf"
    genuine.write_bytes(_document(desk, issued).data)
    result = cli("decision", "verify", str(genuine))
    assert result.exit_code == 0, result.output
    assert "Issued decision 1/QĐ-BTCTU" in result.output and "GENUINE" in result.output
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(genuine.read_bytes().replace(b"/Producer", b"/Producex", 1))
    result = cli("decision", "verify", str(altered))
    assert result.exit_code == 1 and "NOT an issued decision" in result.output
    assert "INVALID" in result.output or "Cannot read" in result.output
    assert "Test CA ready" in cli("keys", "init").output


def test_a_genuine_decision_stays_genuine_after_its_certificate_expires(desk, issued, keys_folder):
    from datetime import timedelta

    from workflow.documents.verification import check_signatures
    document = _document(desk, issued)
    roots = Keys(keys_folder).trust_roots()
    later = document.signed_at.replace(tzinfo=document.signed_at.tzinfo or __import__("datetime").timezone.utc) \
        + timedelta(days=6 * 366)
    [expired] = check_signatures(document.data, roots, moment=later)
    assert expired.intact and expired.valid and not expired.trusted  # judged years later, the certificate is dead
    with desk.readers() as s:
        assert verify_pdf(s, document.data, roots).genuine  # the stored bytes are judged as of their signing


def test_a_file_with_many_signatures_is_not_checked_at_length(desk, issued, keys_folder):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    source = Keys(keys_folder).test_signer("many.signatures", name="Người thử", organisation="Thử")
    signer = signers.SimpleSigner.load_pkcs12(str(source.path), passphrase=source.passphrase)
    data = _document(desk, issued).data
    for n in range(5):
        out = io.BytesIO()
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), signers.PdfSignatureMetadata(field_name=f"Extra{n}"),
                         signer=signer, output=out)
        data = out.getvalue()
    with desk.readers() as s:
        result = verify_pdf(s, data, Keys(keys_folder).trust_roots())
    assert result.unreadable and "6 signatures" in result.unreadable and not result.genuine


def test_once_real_keys_are_configured_no_test_key_signs_and_the_test_ca_is_not_trusted(tmp_path):
    from workflow.documents.keys import KeyProblem
    keys = Keys(tmp_path / "keys")
    keys.init()
    assert len(keys.trust_roots()) == 1
    keys.signers_file.write_text("chutich.tb:\n  pkcs12: /nowhere/chutich.p12\n", encoding="utf-8")
    assert keys.trust_roots() == []
    with pytest.raises(KeyProblem, match="names no key for the signer 'vanthu.tb'"):
        keys.source_for("vanthu.tb", name="Đỗ Thị Mai", organisation="Ban Tổ chức")
    assert keys.source_for("chutich.tb", name="Phạm Văn Tuân", organisation="Ban Tổ chức").path.name == "chutich.p12"
    with pytest.raises(KeyProblem, match="cannot name a key file"):
        Keys(tmp_path / "other").test_signer("../escape", name="x", organisation="y")


def test_a_signer_without_a_key_gets_a_message_and_nothing_is_issued(desk, keys_folder, tmp_path, domain):
    from workflow.documents.publisher import Publisher
    from workflow.domain.errors import DomainError
    production = tmp_path / "production-keys"
    production.mkdir()
    (production / "signers.yaml").write_text("someone.else:\n  pkcs12: /nowhere.p12\n", encoding="utf-8")
    desk.engine = domain.build_engine(publisher=Publisher.of(domain, Keys(production), "http://laurel.test"))
    decision_id = desk.decide(desk.voted_through(["d1_1"]), steps=("submit_for_signature", "sign"))
    with pytest.raises(DomainError) as refused:
        desk.act_on_decision(decision_id, "issue")
    assert "names no key for the signer" in refused.value.en
    with desk.readers() as s:
        assert s.get(Decision, decision_id).number is None
        assert s.scalar(select(func.count()).select_from(DecisionDocument)) == 0
