"""Import and export of the organisation (tổ chức): bodies, councils, clusters, periods, people,
users and their roles, delegations, cluster leadership and award history (lịch sử khen thưởng).

One format, three containers: a YAML file (``definitions/demo/organisation.yaml`` is the
reference), an XLSX workbook with one sheet per section, or CSV files (one section each, named
after it) — a single file or a folder of them. Four steps:

- ``read_organisation`` checks the shape of the file and reports every problem where it was
  written: ``file:line`` in YAML, the sheet's (or CSV file's) row and column in a table;
- ``check_organisation`` checks the meaning against the award catalogue, the role vocabulary
  and the database: references, role scopes, cycles of parent bodies, one council per body;
- ``apply_organisation`` writes it all in the caller's transaction, upserting by natural key
  (codes, user names), so importing one file twice changes nothing;
- ``export_organisation`` writes the database back in the same format (without passwords).

The package, a module per step: ``schema`` (the shape of each section), ``records`` (what was
read, and where), ``reading`` with ``tables`` and ``cells`` (files into records), ``checks``
(duplicates and meaning), ``applying`` (writes), ``exporting``; ``lookup`` holds the database
side of natural keys.
"""

from .applying import ImportRefused, ImportSummary, apply_organisation
from .checks import check_organisation
from .exporting import export_organisation
from .reading import read_organisation
from .records import Entry, OrgData
from .schema import FORMAT_VERSION, SECTIONS

__all__ = ["read_organisation", "check_organisation", "apply_organisation", "export_organisation",
           "OrgData", "Entry", "ImportSummary", "ImportRefused", "SECTIONS", "FORMAT_VERSION"]
