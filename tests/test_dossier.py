"""Dossier documents: checked by content and size, stored once by content hash."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from world import NOW, PDF
from workflow.domain.dossier import attach, blob_data, file_type
from workflow.domain.errors import DomainError
from workflow.domain.models import Blob


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def xlsx() -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("data, kind", [(PDF, "pdf"), (docx(), "docx"), (xlsx(), "xlsx"),
                                        (b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "png"), (b"plain text", None),
                                        (b"MZ\x90\x00" + b"\0" * 60, None)])
def test_file_types_are_judged_by_content(data, kind):
    assert file_type(data) == kind


@pytest.fixture
def submission(desk):
    return desk.submission("D1", ["LDTT"], "officer_d1", docs=False)


def store(desk, domain, submission, kind, data, filename="tep.pdf"):
    with desk.sessions.begin() as s:
        return attach(s, domain.definitions.vocabulary.documents, kind=kind, data=data, filename=filename,
                      user_id=desk.world["officer_d1"], now=NOW, submission_id=submission)


def test_a_document_of_the_wrong_type_is_refused(desk, domain, submission):
    with pytest.raises(DomainError) as refused:
        store(desk, domain, submission, "submission_letter", xlsx(), "to-trinh.pdf")  # named .pdf, is a spreadsheet
    assert refused.value.en == "The submission letter must be a PDF, DOCX, ODT file"
    assert refused.value.vi == "Tờ trình phải là tệp PDF, DOCX, ODT"


def test_empty_and_oversized_files_are_refused(desk, domain, submission):
    with pytest.raises(DomainError, match="empty"):
        store(desk, domain, submission, "submission_letter", b"")
    with pytest.raises(DomainError, match="larger than 20 MB"):
        store(desk, domain, submission, "submission_letter", PDF + b"0" * (20 * 1024 * 1024))


def test_an_unknown_document_kind_is_refused(desk, domain, submission):
    with pytest.raises(DomainError, match="No document kind"):
        store(desk, domain, submission, "selfie", PDF)


def test_a_file_is_stored_once_and_its_name_made_safe(desk, domain, submission):
    first = store(desk, domain, submission, "submission_letter", PDF, "../../etc/Tờ trình\x00 số 12.pdf")
    second = store(desk, domain, submission, "meeting_minutes", PDF, "bien-ban.pdf")
    assert first.sha256 == second.sha256 and first.filename == "Tờ trình_ số 12.pdf"
    with desk.readers() as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 1
        assert blob_data(s, first.sha256) == PDF
