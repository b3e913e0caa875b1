"""Fills empty Vietnamese translations from a Python dict file (msgid → msgstr; a plural
message by its singular msgid, Vietnamese having one form), then the caller recompiles:
python scripts/fill_translations.py FILE.py && scripts/translations"""

import runpy
import sys

from babel.messages.pofile import read_po, write_po

PO = "web/translations/vi/LC_MESSAGES/messages.po"
table = runpy.run_path(sys.argv[1])["VI"]
with open(PO, "rb") as f:
    catalog = read_po(f, locale="vi")
filled = 0
def empty(message) -> bool:
    return not message.string or (not isinstance(message.string, str) and not any(message.string))


for message in catalog:
    key = message.id if isinstance(message.id, str) else message.id[0]
    if message.id and empty(message) and key in table:
        message.string = table[key] if isinstance(message.id, str) else (table[key],)
        filled += 1
with open(PO, "wb") as f:
    write_po(f, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
missing = [m.id for m in catalog if m.id and empty(m)]
print(f"filled {filled}; still empty: {len(missing)}")
for m in missing:
    print("  ", m)
