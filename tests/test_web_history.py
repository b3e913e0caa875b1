"""Award history in the browser: search by name with or without diacritics, award, period,
unit, revoked awards on request, pages, and the XLSX download."""

from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import select

from workflow.domain.models import Body


def rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr[^>]*>\s*<td>(.*?)</td>", body, re.S)


def test_history_is_listed_for_anyone_signed_in(client_as):
    page = client_as("canbo.tb", lang="en").get("/history").get_data(as_text=True)
    assert "Award history" in page and "Hoàng Thị Thanh" in page and "1/QĐ-BTCTU" in page
    assert client_as("canbo.tb").get("/").get_data(as_text=True).count('href="/history"') == 1  # in the menu


def test_a_name_is_found_with_and_without_diacritics(client_as):
    client = client_as("canbo.tccs", lang="en")
    plain = client.get("/history?q=hoang thi thanh").get_data(as_text=True)
    accented = client.get("/history?q=Hoàng Thị Thanh").get_data(as_text=True)
    assert rows(plain) == rows(accented) and rows(plain)
    assert all(r.startswith("Hoàng Thị Thanh") for r in rows(plain))
    assert "Hoàng Thị Thanh" in client.get("/history?q=HOANG THI").get_data(as_text=True)
    assert "No award matches." in client.get("/history?q=zzzz").get_data(as_text=True)


def test_filters_by_award_period_and_unit(web, client_as):
    client = client_as("canbo.tccs", lang="en")
    flags = client.get("/history?award=CO_THI_DUA").get_data(as_text=True)
    assert rows(flags) == ["Ban Tổ chức Tỉnh ủy Thái Bình"]
    in_2023 = client.get("/history?period=2023&award=CSTDCS").get_data(as_text=True)
    assert rows(in_2023) == ["Phạm Quốc Khánh"]
    with web.extensions["laurel"].sessions() as s:
        unit = s.scalar(select(Body.id).where(Body.code == "tb-tccs"))
    of_unit = rows(client.get(f"/history?unit={unit}&period=2025&award=TTLDTT").get_data(as_text=True))
    assert of_unit == ["Phòng Tổ chức cơ sở đảng - đảng viên"]


def test_revoked_awards_only_on_request(client_as):
    client = client_as("thuongtruc.tb", lang="en")
    assert "Phan Thị Loan" not in "".join(rows(client.get("/history?period=2026").get_data(as_text=True)))
    page = client.get("/history?period=2026&revoked=1").get_data(as_text=True)
    loan = next(r for r in rows(page) if r.startswith("Phan Thị Loan"))
    assert "revoked" in loan and 'name="revoked" value="1" checked' in page


def test_pages(client_as):
    client = client_as("canbo.tccs", lang="en")
    first = client.get("/history").get_data(as_text=True)
    second = client.get("/history?page=2").get_data(as_text=True)
    assert len(rows(first)) == 25 and "Page 1" in first and 'href="/history?page=2"' in first
    assert rows(second) and set(rows(first)) != set(rows(second)) and 'href="/history?page=1"' in second


def test_the_search_downloads_as_xlsx(client_as):
    client = client_as("canbo.tccs", lang="en")
    response = client.get("/history?q=pham quoc khanh&format=xlsx")
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="lich-su-khen-thuong.xlsx"' in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    header, *data = [[c.value for c in row] for row in sheet.iter_rows()]
    assert header == ["Holder", "Unit", "Award", "Period", "Decision", "Awarded on", "Revoked"]
    assert data and {r[0] for r in data} == {"Phạm Quốc Khánh"}
    assert ["Phạm Quốc Khánh", "2026", "1/QĐ-BTCTU"] == [data[0][0], data[0][3], data[0][4]]
    assert data[0][2] == "Advanced Worker"
    page = client.get("/history?q=pham quoc khanh").get_data(as_text=True)
    assert len(rows(page)) == len(data)


def test_history_needs_sign_in(web):
    response = web.test_client().get("/history")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
