"""Fills empty Vietnamese translations from a Python dict file (msgid → msgstr), then the
caller recompiles: python scripts/fill_translations.py FILE.py && scripts/translations"""

import runpy
import sys

from babel.messages.pofile import read_po, write_po

PO = "web/translations/vi/LC_MESSAGES/messages.po"
table = runpy.run_path(sys.argv[1])["VI"]
with open(PO, "rb") as f:
    catalog = read_po(f, locale="vi")
filled = 0
for message in catalog:
    if message.id and not message.string and message.id in table:
        message.string = table[message.id]
        filled += 1
with open(PO, "wb") as f:
    write_po(f, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
missing = [m.id for m in catalog if m.id and not m.string]
print(f"filled {filled}; still empty: {len(missing)}")
for m in missing:
    print("  ", m)
