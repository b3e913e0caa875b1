"""Vietnamese first, English complete: every message of the app has a Vietnamese translation,
with the same placeholders, and the compiled catalogue matches the source."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "web" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="vi")


def test_every_message_in_the_code_is_in_the_catalogue(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "web/babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "-o", str(pot), "web/"], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    missing = sorted(wanted - {m.id for m in catalog() if m.id})
    assert not missing, f"run scripts/translations and translate: {missing}"


def _forms(text: str | tuple | list) -> list[str]:
    """A message's text, or each of its plural forms."""
    return [text] if isinstance(text, str) else list(text)


def test_every_message_is_translated_with_the_same_placeholders():
    empty, mismatched = [], []
    for m in catalog():
        if not m.id:
            continue
        if not all(_forms(m.string)):
            empty.append(m.id)
        elif any(set(PLACEHOLDER.findall(_forms(m.id)[-1])) != set(PLACEHOLDER.findall(t)) for t in _forms(m.string)):
            mismatched.append(m.id)
    assert not empty, f"untranslated: {empty}"
    assert not mismatched, f"placeholders differ: {mismatched}"


def test_the_compiled_catalogue_is_up_to_date():
    with MO.open("rb") as f:
        compiled = {tuple(_forms(m.id)): tuple(_forms(m.string)) for m in read_mo(f) if m.id}
    source = {tuple(_forms(m.id)): tuple(_forms(m.string)) for m in catalog() if m.id and all(_forms(m.string))}
    assert compiled == source, "run scripts/translations to recompile messages.mo"
