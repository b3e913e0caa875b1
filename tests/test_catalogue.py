"""The award catalogue: loads, and every mistake is reported as path:line with what to fix."""

from __future__ import annotations

import pytest

from workflow.domain.catalogue import load_catalogue

BASE = """\
levels:
  unit: {vi: Cấp cơ sở, en: Unit level}
  province: {vi: Cấp tỉnh, en: Provincial level}
discipline:
  reprimand: {vi: Khiển trách, en: Reprimand}
  warning: {vi: Cảnh cáo, en: Warning}
lines:
  flag: {vi: Cờ thi đua, en: Flags}
awards:
  LDTT:
    name: {vi: Lao động tiên tiến, en: Advanced Worker}
    kind: title
    subject: individual
    level: unit
    workflow: nomination
    vote: {quorum: 0.667, threshold: 0.5, of: present, ballot: open}
    documents: [achievement_report]
  FLAG:
    name: {vi: Cờ thi đua, en: Flag}
    kind: title
    subject: collective
    level: province
    line: flag
    workflow: nomination
    vote: {quorum: 0.667, threshold: 0.7, of: present, ballot: secret}
    cluster_review: true
    acclaim_required: true
    quota: {per: cluster, max: 1}
"""


def load(tmp_path, definitions, text):
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    return load_catalogue(path, definitions.vocabulary, ["nomination", "decision"])


def test_the_shipped_catalogue_loads(definitions):
    from workflow.loader import DEFAULT_ROOT
    catalogue, problems = load_catalogue(DEFAULT_ROOT / "catalogue.yaml", definitions.vocabulary, definitions.workflows)
    assert problems == [] and len(catalogue.awards) >= 13
    assert catalogue.discipline_at_or_above("warning") == ["warning", "demotion", "dismissal"]


def test_a_small_catalogue_loads(tmp_path, definitions):
    catalogue, problems = load(tmp_path, definitions, BASE)
    assert problems == [] and catalogue.line_of("LDTT") == "LDTT" and catalogue.line_of("FLAG") == "flag"


CASES = [
    ("level: unit\n    workflow: nomination\n    vote: {quorum: 0.667, threshold: 0.5",
     "level: unt\n    workflow: nomination\n    vote: {quorum: 0.667, threshold: 0.5",
     14, "unknown level 'unt' (did you mean 'unit'?)"),
    ("    workflow: nomination\n    vote: {quorum: 0.667, threshold: 0.5", "    workflow: nominaton\n    vote: {quorum: 0.667, threshold: 0.5",
     15, "unknown workflow 'nominaton' (did you mean 'nomination'?)"),
    ("documents: [achievement_report]", "documents: [achievment_report]",
     17, "unknown document kind 'achievment_report' (did you mean 'achievement_report'?)"),
    ("    documents: [achievement_report]\n", "    documents: [achievement_report]\n    prerequisites:\n      - {holds: LDTX}\n",
     19, "unknown award 'LDTX' (did you mean 'LDTT'?)"),
    ("    documents: [achievement_report]\n", "    documents: [achievement_report]\n    prerequisites:\n      - {held: LDTT}\n",
     19, "'held' goes with 'consecutive_periods'"),
    ("    documents: [achievement_report]\n", "    documents: [achievement_report]\n    prerequisites:\n      - {holds: LDTT, initiative: unit}\n",
     19, "give exactly one of 'holds', 'held', 'initiative', 'no_discipline' or 'members_holding'"),
    ("    documents: [achievement_report]\n", "    documents: [achievement_report]\n    prerequisites:\n      - {members_holding: LDTT, share: 0.7}\n",
     19, "'members_holding' applies to collectives only"),
    ("    documents: [achievement_report]\n", "    documents: [achievement_report]\n    prerequisites:\n      - {no_discipline: caution}\n",
     19, "unknown discipline level 'caution'"),
    ("    quota: {per: cluster, max: 1}", "    quota: {per: unit, share: 0.2, of: units}",
     28, "'of: units' counts the units of a cluster: use 'per: cluster'"),
    ("    quota: {per: cluster, max: 1}", "    quota: {per: unit, share: 0.2, of: holders}",
     28, "'of: holders' needs 'award'"),
    ("    cluster_review: true\n", "", 18, "'acclaim_required' needs 'cluster_review: true'"),
    ("  LDTT:\n", "  ldtt:\n", 10, "awards.ldtt: must be an upper-case code"),
    ("    vote: {quorum: 0.667, threshold: 0.7, of: present, ballot: secret}",
     "    vote: {quorum: 0.667, threshold: 1.7, of: present, ballot: secrete}",
     25, "awards.FLAG.vote.threshold: input should be less than or equal to 1"),
    ("    vote: {quorum: 0.667, threshold: 0.7, of: present, ballot: secret}",
     "    vote: {quorum: 0.667, threshold: 0.7, of: present, ballot: secrete}",
     25, "awards.FLAG.vote.ballot: must be one of 'open' or 'secret'"),
]


@pytest.mark.parametrize("old, new, line, message", CASES, ids=[c[3][:40] for c in CASES])
def test_mistakes_are_located_and_explained(tmp_path, definitions, old, new, line, message):
    assert old in BASE
    catalogue, problems = load(tmp_path, definitions, BASE.replace(old, new, 1))
    assert catalogue is None
    assert any(p.line == line and message in p.message for p in problems), [str(p) for p in problems]


def test_the_cli_validates_the_catalogue_with_the_workflows(cli, definitions_dir):
    catalogue = definitions_dir / "catalogue.yaml"
    catalogue.write_text(catalogue.read_text(encoding="utf-8").replace("level: unit\n", "level: unti\n", 1),
                         encoding="utf-8")
    result = cli("workflow", "validate")
    assert result.exit_code == 1
    assert "catalogue.yaml" in result.output and "unknown level 'unti' (did you mean 'unit'?)" in result.output
