"""The benchmarks run end to end and print their figures as JSON last (no timing asserted)."""

from __future__ import annotations

import json

from bench import engine as bench_engine
from bench import pdf as bench_pdf
from conftest import PG_URL


def test_bench_engine_prints_its_figures_last(monkeypatch, capsys):
    if PG_URL:
        monkeypatch.setenv("LAUREL_DATABASE_URL", PG_URL)
    else:
        monkeypatch.delenv("LAUREL_DATABASE_URL", raising=False)
    result = bench_engine.main(["--transitions", "60", "--rounds", "3", "--instances", "4"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == result
    assert result["database"] == ("postgresql" if PG_URL else "sqlite")
    assert result["transitions"] == 60 and result["rounds"] == 3
    assert {"engine_tps", "raw_tps", "ratio", "peak_rss_before_kb", "peak_rss_after_kb"} <= set(result)
    assert result["engine_tps"] > 0 and result["raw_tps"] > 0


def test_bench_pdf_prints_its_figures_last_and_writes_the_signed_pdf(capsys, tmp_path):
    out = tmp_path / "decision.pdf"
    result = bench_pdf.main(["--awardees", "30", "--rounds", "1", "--out", str(out)])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == result
    assert {"awardees", "render_s", "sign_s", "total_s", "pages", "bytes", "cold_total_s",
            "baseline_weasyprint_table_s"} <= set(result)
    assert result["awardees"] == 30 and result["pages"] >= 2
    assert out.read_bytes().startswith(b"%PDF") and len(out.read_bytes()) == result["bytes"]
