"""Layout regressions show: the decision's pages, rendered from a fixed decision, are compared
pixel by pixel with reference images kept in ``tests/reference/``.

After an intended change of layout, look at the new pages, then refresh the references with
``LAUREL_UPDATE_REFERENCE=1 python -m pytest tests/test_layout.py``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from bench.pdf import FOLDER, sample_content
from workflow.documents.render import render_decision

REFERENCE = Path(__file__).parent / "reference"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "layout"
DPI = 50
TOLERANCE = 0.005  # share of pixels that may differ (anti-aliasing across library builds)


def _pages(pdf: bytes, folder: Path) -> list[Path]:
    source = folder / "decision.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), str(source), str(folder / "page")], check=True, timeout=60)
    return sorted(folder.glob("page-*.png"))


def _differing_share(a: Image.Image, b: Image.Image) -> float:
    if a.size != b.size:
        return 1.0
    difference = ImageChops.difference(a.convert("L"), b.convert("L")).point(lambda v: 255 if v > 64 else 0)
    return difference.histogram()[255] / (a.size[0] * a.size[1])


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed (the set-up installs it)")
def test_the_decision_looks_as_it_did(tmp_path):
    pages = _pages(render_decision(sample_content(12), FOLDER).data, tmp_path)
    assert len(pages) == 2
    for index, page in enumerate(pages, 1):
        reference = REFERENCE / f"decision-page{index}.png"
        if os.environ.get("LAUREL_UPDATE_REFERENCE"):
            shutil.copy(page, reference)
            continue
        assert reference.exists(), f"no reference {reference}; make it with LAUREL_UPDATE_REFERENCE=1"
        share = _differing_share(Image.open(page), Image.open(reference))
        if share > TOLERANCE:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(page, ARTIFACTS / f"decision-page{index}.actual.png")
            ImageChops.difference(Image.open(page).convert("RGB"), Image.open(reference).convert("RGB")).save(
                ARTIFACTS / f"decision-page{index}.diff.png")
        assert share <= TOLERANCE, f"page {index} differs from {reference.name} on {share:.2%} of pixels " \
                                   f"(see {ARTIFACTS})"
