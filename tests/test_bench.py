"""The engine benchmark runs end to end and prints its figures as JSON last (no timing asserted)."""

from __future__ import annotations

import json

from bench import engine as bench_engine
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
