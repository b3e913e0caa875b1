"""Scoped roles, the cluster's elected roles, delegation, and which council hears an award."""

from __future__ import annotations

from datetime import date

import pytest

from world import NOW
from workflow.domain.errors import DomainError
from workflow.domain.models import Body, RoleAssignment
from workflow.domain.organisation import council_for, roles_for


def roles(desk, who, **scope):
    with desk.readers() as s:
        return roles_for(s, desk.world[who], on=NOW.date(), **{k: desk.world[v] if isinstance(v, str) else v
                                                               for k, v in scope.items()})


def test_unit_roles_hold_in_their_unit_only(desk):
    assert roles(desk, "officer_d1", body_id="D1") == {"unit_officer"}
    assert roles(desk, "officer_d1", body_id="D2") == set()


def test_council_roles_hold_in_their_council_only(desk):
    assert roles(desk, "head_p", council_id="PC") == {"chair", "council_member"}
    assert roles(desk, "head_p", council_id="CC") == set()


def test_cluster_roles_come_from_the_election(desk):
    scope = {"cluster_ids": [desk.world["K"]], "period_id": "2026"}
    assert roles(desk, "head_p2", **scope) == {"cluster_head", "cluster_member"}
    assert roles(desk, "head_p3", **scope) == {"cluster_deputy", "cluster_member"}
    assert roles(desk, "head_p", **scope) == {"cluster_member"}
    assert roles(desk, "officer_p2", **scope) == {"cluster_member"}  # an officer speaks for the unit, is not its head
    assert roles(desk, "head_p2", cluster_ids=[desk.world["K"]], period_id="2025") == {"cluster_member"}


def test_roles_hold_within_their_dates(desk):
    with desk.sessions.begin() as s:
        s.add(RoleAssignment(user_id=desk.world["m1"], role="clerk", scope_kind="council", scope_id=desk.world["PC"],
                             valid_from=date(2026, 1, 1), valid_to=date(2026, 6, 30)))
    assert "clerk" not in roles(desk, "m1", council_id="PC")


@pytest.mark.parametrize("unit, award, council", [("D1", "LDTT", "PC"), ("D1", "CSTD_BO", "PC"),
                                                  ("D1", "BK_TW", "CC"), ("P", "CO_THI_DUA", "CC")])
def test_the_nearest_council_at_the_awards_level_hears_it(desk, domain, unit, award, council):
    with desk.readers() as s:
        assert council_for(s, domain.catalogue, desk.world[unit], award).id == desk.world[council]


def test_no_council_high_enough_is_an_error(desk, domain):
    with desk.readers() as s, pytest.raises(DomainError, match="No council at state level"):
        council_for(s, domain.catalogue, desk.world["D1"], "CSTD_TQ")


def test_names_are_searchable_without_diacritics(desk):
    with desk.readers() as s:
        assert s.get(Body, desk.world["D1"]).search_name == "phong to chuc co so dang"
