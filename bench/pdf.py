"""Rendering and signing a decision with N awardees, against a plain WeasyPrint table.

The decision is Laurel's real pipeline — WeasyPrint for the body pages, ReportLab for the
annex table, pypdf to join them, pyHanko to sign with a test key — on a decision made up in
memory (no database), so the figures are the documents' own. The baseline, in the same run,
lays the same annex out as one WeasyPrint HTML table (what a first version would do).
``render_s``/``sign_s``/``total_s`` are medians over rounds in a warm process; ``cold_total_s``
is the first decision of the process (imports, fonts and templates loaded on the way).

Usage: python -m bench.pdf [--awardees N] [--rounds R] [--out FILE] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "definitions" / "documents"
SIZES_FOR_SLOPE = (10, 100)


def sample_content(awardees: int, *, code: str = "BENCH234", day: date = date(2026, 12, 15)):
    """A decision of the Thái Bình committee granting 'Lao động tiên tiến' to ``awardees`` people."""
    from workflow.documents.content import Awardee, AwardGroup, DecisionContent
    from workflow.documents.vietnamese import place_and_date
    people = [Awardee(f"Nguyễn Thị Hồng Nhung {i}", "Chuyên viên chính" if i % 3 else "Phó Trưởng phòng",
                      "Phòng Tổ chức cơ sở đảng - đảng viên" if i % 2 else "Văn phòng Ban") for i in range(1, awardees + 1)]
    group = AwardGroup("LDTT", "Lao động tiên tiến", "title", "individual", people,
                       annex_title="DANH SÁCH CÁ NHÂN ĐƯỢC CÔNG NHẬN DANH HIỆU “LAO ĐỘNG TIÊN TIẾN”")
    return DecisionContent(
        number="125/QĐ-BTCTU", issued_on=day, place_date=place_and_date("Thái Bình", day),
        national_heading=["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"],
        issuer=["TỈNH ỦY THÁI BÌNH", "BAN TỔ CHỨC"], subject="Về việc công nhận danh hiệu “Lao động tiên tiến”",
        authority="TRƯỞNG BAN TỔ CHỨC TỈNH ỦY THÁI BÌNH",
        legal_bases=["Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
                     "Căn cứ Nghị định số 152/2025/NĐ-CP ngày 01 tháng 7 năm 2025 của Chính phủ quy định chi tiết "
                     "thi hành một số điều của Luật Thi đua, khen thưởng;"],
        proposal="Xét đề nghị của Hội đồng Thi đua - Khen thưởng Ban Tổ chức Tỉnh ủy tại phiên họp xét khen thưởng năm 2026,",
        articles=[f"Công nhận danh hiệu “Lao động tiên tiến” cho {awardees} cá nhân có tên trong danh sách kèm theo "
                  "Quyết định này.", "Quyết định có hiệu lực kể từ ngày ký. Tiền thưởng thực hiện theo quy định hiện hành.",
                  "Chánh Văn phòng Ban, Trưởng các phòng chuyên môn và các cá nhân có tên tại Điều 1 chịu trách nhiệm "
                  "thi hành Quyết định này."],
        recipients=["Như Điều 3;", "Hội đồng Thi đua - Khen thưởng;", "Lưu: VT."], signature=["TRƯỞNG BAN"],
        signer_name="Phạm Văn Tuân", groups=[group],
        annex_columns={"number": "STT", "name": "Họ và tên", "position": "Chức vụ", "unit": "Đơn vị"},
        verify_url=f"https://laurel.example/v/{code}", verify_code=code,
        annex_caption=f"(Kèm theo Quyết định số 125/QĐ-BTCTU ngày {day:%d/%m/%Y})")


def sample_signer():
    from workflow.documents.signing import SignerIdentity
    return SignerIdentity("Phạm Văn Tuân", "Trưởng ban", "Ban Tổ chức Tỉnh ủy Thái Bình", "Thái Bình")


def publish_once(awardees: int, keys) -> dict:
    """One decision rendered and signed; its timings and size."""
    from workflow.documents.render import render_decision
    from workflow.documents.signing import sign_pdf
    started = time.perf_counter()
    rendered = render_decision(sample_content(awardees), FOLDER)
    rendered_at = time.perf_counter()
    identity = sample_signer()
    source = keys.source_for("bench.signer", name=identity.name, organisation=identity.organisation)
    data = sign_pdf(rendered, source, identity).data
    done = time.perf_counter()
    return {"render_s": rendered_at - started, "sign_s": done - rendered_at, "total_s": done - started,
            "pages": rendered.pages, "bytes": len(data), "data": data}


def weasyprint_table_s(awardees: int) -> float:
    """The baseline: the same annex as a plain HTML table laid out by WeasyPrint."""
    from weasyprint import CSS, HTML

    from workflow.documents.fonts import font_faces_css
    rows = "".join(f"<tr><td>{i}</td><td>{a.name}</td><td>{a.position}</td><td>{a.unit}</td></tr>"
                   for i, a in enumerate(sample_content(awardees).groups[0].awardees, 1))
    html = f"<table><thead><tr><th>STT</th><th>Họ và tên</th><th>Chức vụ</th><th>Đơn vị</th></tr></thead>{rows}</table>"
    css = CSS(string=font_faces_css() + "@page { size: A4; margin: 20mm 15mm 20mm 30mm } "
              "body { font-family: 'Liberation Serif'; font-size: 12pt } table { border-collapse: collapse; width: 100% } "
              "td, th { border: 0.5pt solid black; padding: 2pt 4pt }")
    started = time.perf_counter()
    HTML(string=html).write_pdf(stylesheets=[css])
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--awardees", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, help="write the signed PDF here")
    parser.add_argument("--no-baseline", action="store_true", help="skip the (slow) WeasyPrint table baseline")
    args = parser.parse_args(argv)

    from workflow.documents.keys import Keys
    with tempfile.TemporaryDirectory(prefix="laurel-bench-keys-") as folder:
        keys = Keys(Path(folder))
        keys.source_for("bench.signer", name=sample_signer().name, organisation=sample_signer().organisation)
        cold = publish_once(args.awardees, keys)
        runs = [publish_once(args.awardees, keys) for _ in range(args.rounds)]
        small = {n: statistics.median(publish_once(n, keys)["total_s"] for _ in range(args.rounds))
                 for n in SIZES_FOR_SLOPE}
    if args.out:
        args.out.write_bytes(runs[-1]["data"])
    median = {k: round(statistics.median(r[k] for r in runs), 3) for k in ("render_s", "sign_s", "total_s")}
    per_awardee_ms = (median["total_s"] - small[10]) / (args.awardees - 10) * 1000 if args.awardees > 10 else None
    result = {"awardees": args.awardees, **median, "pages": runs[-1]["pages"], "bytes": runs[-1]["bytes"],
              "cold_total_s": round(cold["total_s"], 3), "rounds": args.rounds,
              "total_s_10_awardees": round(small[10], 3), "total_s_100_awardees": round(small[100], 3),
              "ms_per_awardee": round(per_awardee_ms, 3) if per_awardee_ms is not None else None}
    if not args.no_baseline:
        baseline = weasyprint_table_s(args.awardees)
        result |= {"baseline_weasyprint_table_s": round(baseline, 3),
                   "speedup_vs_baseline": round(baseline / median["render_s"], 1)}
    print(f"{args.awardees} awardees: render {median['render_s']}s, sign {median['sign_s']}s, "
          f"total {median['total_s']}s (cold {result['cold_total_s']}s); 10 awardees {result['total_s_10_awardees']}s",
          file=sys.stderr)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
