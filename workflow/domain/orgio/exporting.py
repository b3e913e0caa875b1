"""Exporting the organisation in the database to the import format — YAML, an XLSX workbook
or a folder of CSV files — so that it reads back the same; no passwords, no revoked awards."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import DomainError
from ..models import (AwardRecord, Body, Cluster, ClusterLeadership, ClusterMembership, Council, Delegation,
                      Discipline, Initiative, Period, Person, RoleAssignment, User)
from .cells import DATES, LISTS, cell_text, letter
from .lookup import KINDS, SCOPES
from .schema import FORMAT_VERSION, HISTORY, SECTIONS, columns

__all__ = ["export_organisation"]

_CELL_LIMIT = 32_000   # characters in a spreadsheet cell (Excel holds 32,767)


def export_organisation(session: Session, path: Path) -> dict[str, int]:
    """Writes the organisation in the database to ``path``: YAML (.yaml/.yml), a workbook
    (.xlsx), or a folder of CSV files (a path without suffix). No passwords; revoked awards
    are left out. Returns how many records each section holds."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".xlsx", ""):
        raise DomainError("Chỉ xuất ra được tệp .yaml, .xlsx hoặc một thư mục (các tệp .csv)",
                          "export to a .yaml or .xlsx file, or to a folder (a path without suffix) for CSV files: "
                          "a single CSV file holds one section only")
    doc = _snapshot(session)
    if suffix in (".yaml", ".yml"):
        _write_yaml(path, doc)
    elif suffix == ".xlsx":
        _write_xlsx(path, doc)
    else:
        _write_csv(path, doc)
    return {section: len(rows) for section, rows in doc.items()}


def _snapshot(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every section as rows (field → value), in a stable order; lists for members and holders."""
    code = {kind: dict(session.execute(select(table.id, column)).all()) for kind, (table, column, _) in KINDS.items()}
    body_code, council_code, cluster_code = code["body"], code["council"], code["cluster"]
    period_code, person_code, user_name = code["period"], code["person"], code["user"]
    doc: dict[str, list[dict[str, Any]]] = {}

    bodies = list(session.scalars(select(Body).order_by(Body.code)))
    children: dict[int | None, list[Body]] = defaultdict(list)
    for b in bodies:
        children[b.parent_id if b.parent_id in body_code else None].append(b)
    ordered: list[Body] = []
    seen: set[int] = set()

    def visit(b: Body) -> None:  # parents first, then their children by code
        if b.id not in seen:
            seen.add(b.id)
            ordered.append(b)
            for child in children[b.id]:
                visit(child)

    for b in children[None] + bodies:
        visit(b)
    doc["bodies"] = [{"code": b.code, "name": b.name, "name_en": b.name_en, "short_name": b.short_name,
                      "level": b.level, "parent": body_code.get(b.parent_id), "place": b.place,
                      "document_symbol": b.document_symbol} for b in ordered]
    doc["councils"] = [{"code": c.code, "name": c.name, "body": body_code[c.body_id]}
                       for c in session.scalars(select(Council).order_by(Council.code))]
    members: dict[int, list[str]] = defaultdict(list)
    for m in session.scalars(select(ClusterMembership)):
        members[m.cluster_id].append(body_code[m.body_id])
    doc["clusters"] = [{"code": c.code, "name": c.name, "council": council_code[c.council_id], "kind": c.kind,
                        "members": sorted(members[c.id])}
                       for c in session.scalars(select(Cluster).order_by(Cluster.code))]
    doc["periods"] = [{"code": p.code, "name": p.name, "kind": p.kind, "year": p.year, "starts": p.starts,
                       "ends": p.ends, "submission_opens": p.submission_opens,
                       "submission_closes": p.submission_closes}
                      for p in session.scalars(select(Period).order_by(Period.code))]
    doc["people"] = [{"code": p.code, "name": p.full_name, "position": p.position, "unit": body_code[p.body_id]}
                     for p in session.scalars(select(Person).order_by(Person.code))]
    doc["users"] = [{"username": u.username, "name": u.display_name, "email": u.email,
                     "person": person_code.get(u.person_id), "active": u.active}
                    for u in session.scalars(select(User).order_by(User.username))]
    roles = []
    for a in session.scalars(select(RoleAssignment)):
        if a.user_id not in user_name:
            continue
        row = {"username": user_name[a.user_id], "role": a.role, "body": None, "cluster": None, "council": None,
               "valid_from": a.valid_from, "valid_to": a.valid_to}
        if a.scope_kind in SCOPES:
            row[a.scope_kind] = code[a.scope_kind].get(a.scope_id)
        roles.append(row)
    doc["roles"] = sorted(roles, key=lambda r: tuple(str(r[k] or "") for k in columns("roles")))
    doc["delegations"] = sorted(({"principal": user_name[d.principal_id], "deputy": user_name[d.deputy_id],
                                  "starts": d.starts, "ends": d.ends, "note": d.note}
                                 for d in session.scalars(select(Delegation))),
                                key=lambda r: (r["principal"], r["deputy"], r["starts"], r["ends"]))
    doc["leadership"] = sorted(({"cluster": cluster_code[x.cluster_id], "period": period_code[x.period_id],
                                 "head": body_code[x.head_body_id], "deputy": body_code.get(x.deputy_body_id)}
                                for x in session.scalars(select(ClusterLeadership))),
                               key=lambda r: (r["cluster"], r["period"]))
    groups: dict[tuple, list[str]] = defaultdict(list)
    for r in session.scalars(select(AwardRecord).where(AwardRecord.revoked_by_decision_id.is_(None))):
        if r.person_id is not None:
            kind, holder = "people", person_code[r.person_id]
        elif r.body_id is not None:
            kind, holder = "units", body_code[r.body_id]
        else:
            continue
        groups[(period_code[r.period_id], r.award_code, kind, r.awarded_on, r.decision_number or "")].append(holder)
    doc["awards"] = [{"award": award, "period": period, "people": sorted(holders) if kind == "people" else [],
                      "units": sorted(holders) if kind == "units" else [], "awarded_on": on,
                      "decision": decision or None}
                     for (period, award, kind, on, decision), holders in sorted(groups.items())]
    doc["initiatives"] = sorted(({"person": person_code[i.person_id], "period": period_code[i.period_id],
                                  "level": i.level, "recognised_on": i.recognised_on, "title": i.title}
                                 for i in session.scalars(select(Initiative))),
                                key=lambda r: (r["period"], r["person"], r["recognised_on"], r["title"]))
    doc["discipline"] = sorted(({"person": person_code[d.person_id], "period": period_code[d.period_id],
                                 "level": d.level, "decided_on": d.decided_on, "note": d.note}
                                for d in session.scalars(select(Discipline))),
                               key=lambda r: (r["period"], r["person"], r["decided_on"], r["level"], r["note"] or ""))
    return doc


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=1 << 30).strip()


def _yaml_item(row: dict[str, Any]) -> dict[str, Any]:
    """A row as written in YAML: no empty values, lists only when they hold something,
    ``active`` only when false."""
    return {k: v for k, v in row.items() if v is not None and v != [] and not (k == "active" and v is True)}


def _write_yaml(path: Path, doc: dict[str, list[dict[str, Any]]]) -> None:
    roles: dict[str, list[dict]] = defaultdict(list)
    for row in doc["roles"]:
        roles[row["username"]].append({k: v for k, v in row.items() if k != "username" and v is not None})
    out = ["# Organisation exported by Laurel. Import it with: flask --app web org import FILE",
           "# (see definitions/README.md, 'Organisation files'). Passwords are never exported.",
           f"version: {FORMAT_VERSION}"]

    def section(name: str, rows: list[dict], indent: str) -> None:
        if not rows:
            out.append(f"{indent}{name}: []")
            return
        out.append(f"{indent}{name}:")
        out.extend(f"{indent}  - {_flow(row)}" for row in rows)

    for name in SECTIONS:
        if name == "roles" or name in HISTORY:
            continue
        rows = [_yaml_item(r) for r in doc[name]]
        if name == "users":
            rows = [{**r, "roles": roles.get(r["username"], [])} for r in rows]
        section(name, rows, "")
    out.append("history:")
    for name in HISTORY:
        section(name, [_yaml_item(r) for r in doc[name]], "  ")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _tabular(doc: dict[str, list[dict[str, Any]]], section: str) -> Iterator[list[Any]]:
    """A section's rows as cells; an award's holders are split over several rows when they
    would not fit in one cell."""
    for row in doc[section]:
        if section == "awards":
            kind = "people" if row["people"] else "units"
            chunk: list[str] = []
            for code in row[kind] + [None]:
                if code is None or sum(len(c) + 2 for c in chunk) + len(code) > _CELL_LIMIT:
                    if chunk:
                        yield [("; ".join(chunk) if k == kind else (None if k in LISTS else row[k]))
                               for k in columns(section)]
                    chunk = []
                if code is not None:
                    chunk.append(code)
            continue
        yield [("; ".join(row[k]) if k in LISTS else row[k]) for k in columns(section)]


def _write_xlsx(path: Path, doc: dict[str, list[dict[str, Any]]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for section in SECTIONS:
        sheet = workbook.create_sheet(section)
        names = columns(section)
        sheet.append(names)
        widths = [len(c) for c in names]
        for cells in _tabular(doc, section):
            sheet.append(cells)
            widths = [max(w, len(cell_text(c)) if c is not None else 0) for w, c in zip(widths, cells)]
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index, width in enumerate(widths):
            sheet.column_dimensions[letter(index)].width = min(width + 2, 60)
            if names[index] in DATES:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _write_csv(folder: Path, doc: dict[str, list[dict[str, Any]]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for section in SECTIONS:
        with open(folder / f"{section}.csv", "w", encoding="utf-8-sig", newline="") as f:  # the BOM tells Excel
            writer = csv.writer(f)
            writer.writerow(columns(section))
            for cells in _tabular(doc, section):
                writer.writerow(["" if c is None else cell_text(c) for c in cells])
