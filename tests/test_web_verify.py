"""The public verification pages, without signing in: by code, and by uploading a genuine, an
altered and an unknown file; a revoked decision says so."""

from __future__ import annotations

import io

from sqlalchemy import select

from workflow.domain.models import Decision, DecisionDocument


def _documents(web) -> dict[str, DecisionDocument]:
    """The demo's issued documents: 'in force', 'revoked' and 'revocation'."""
    with web.extensions["laurel"].sessions() as s:
        found = {}
        for document, decision in s.execute(select(DecisionDocument, Decision).join(
                Decision, Decision.id == DecisionDocument.decision_id).order_by(Decision.id)):
            revoked = s.scalar(select(Decision.id).where(Decision.revokes_id == decision.id,
                                                         Decision.number.is_not(None)))
            kind = "revocation" if decision.kind == "revocation" else ("revoked" if revoked else "in force")
            s.expunge(document)
            found.setdefault(kind, document)
        return found


def _upload(client, data: bytes, name: str = "decision.pdf"):
    return client.post("/v/", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_anyone_sees_an_issued_decision_by_its_code(web):
    document = _documents(web)["in force"]
    page = web.test_client().get(f"/v/{document.verify_code.lower()}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1/QĐ-BTCTU" in text and "Phạm Văn Tuân" in text and document.sha256 in text
    assert "Hoàng Thị Thanh" in text and "Đã ban hành và đang có hiệu lực" in text


def test_the_page_of_a_revoked_decision_says_so_and_links_the_revocation(web):
    documents = _documents(web)
    text = web.test_client().get(f"/v/{documents['revoked'].verify_code}").get_data(as_text=True)
    assert "Đã bị thu hồi" in text and f"/v/{documents['revocation'].verify_code}" in text


def test_the_original_bytes_can_be_downloaded(web):
    document = _documents(web)["in force"]
    response = web.test_client().get(f"/v/{document.verify_code}/pdf")
    assert response.status_code == 200 and response.data == document.data
    assert response.headers["Content-Type"] == "application/pdf" and response.headers["ETag"].strip('"') == document.sha256


def test_an_unknown_code_is_not_found(web):
    client = web.test_client()
    assert client.get("/v/ZZZZZZZZ").status_code == 404
    assert client.get("/v/<script>").status_code == 404


def test_uploading_the_genuine_file(web):
    document = _documents(web)["in force"]
    text = _upload(web.test_client(), document.data).get_data(as_text=True)
    assert "Bản chính xác" in text or "Xác thực" in text
    assert "verdict-good" in text and "1/QĐ-BTCTU" in text


def test_uploading_an_altered_file(web):
    data = _documents(web)["in force"].data.replace(b"/Producer", b"/Producex", 1)
    text = _upload(web.test_client(), data).get_data(as_text=True)
    assert "verdict-bad" in text and "verdict-good" not in text


def test_uploading_an_unknown_or_unreadable_file(web):
    client = web.test_client()
    unknown = _upload(client, b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    assert unknown.status_code == 200 and "verdict-bad" in unknown.get_data(as_text=True)
    garbage = _upload(client, b"\x00\x01 not a pdf at all")
    assert garbage.status_code == 200 and "verdict-bad" in garbage.get_data(as_text=True)
    assert client.post("/v/", data={}, content_type="multipart/form-data").status_code == 400


def test_the_pages_in_english(web):
    client = web.test_client()
    client.post("/lang/en", data={"next": "/v/"})
    document = _documents(web)["in force"]
    assert "Issued and in force" in client.get(f"/v/{document.verify_code}").get_data(as_text=True)
    assert "Genuine." in _upload(client, document.data).get_data(as_text=True)


def test_a_file_too_large_to_be_a_decision_is_not_read(web):
    response = _upload(web.test_client(), b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))
    assert response.status_code == 413 and "10 MB" in response.get_data(as_text=True)
