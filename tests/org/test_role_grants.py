"""Each app declares its role grants in its AppConfig (issue 9); the groups get exactly them,
whatever the order of the apps, and every granted permission exists."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from org import roles
from org.models import Role
from org.services import sync_role_groups

pytestmark = pytest.mark.django_db


def _existing() -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}


def test_every_granted_permission_exists_and_every_app_grants_its_own():
    grants = roles.role_permissions()
    granted = {perm for perms in grants.values() for perm in perms}
    assert granted <= _existing(), granted - _existing()
    for config in apps.get_app_configs():
        for perms in getattr(config, "role_permissions", {}).values():
            # an app grants its own models' permissions (org also the user accounts it manages)
            assert {p.split(".")[0] for p in perms} <= {config.label, "auth" if config.label == "org" else ""}


def test_the_groups_hold_exactly_the_grants_whatever_the_app_order(monkeypatch):
    sync_role_groups()
    expected = {role: set(perms) for role, perms in roles.role_permissions().items()}
    for role in Role.values:
        group = Group.objects.get(name=f"role:{role}")
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == expected[role], role
    assert "hazards.change_whitelistentry" in expected[Role.ADMIN]
    assert "audits.change_inspection" in expected[Role.MANAGER] and "audits.change_inspection" not in expected[
        Role.INSPECTOR]
    configs = list(apps.get_app_configs())
    monkeypatch.setattr(apps, "get_app_configs", lambda: list(reversed(configs)))
    assert {role: set(perms) for role, perms in roles.role_permissions().items()} == expected


def test_a_grant_to_an_unknown_role_is_an_error(monkeypatch):
    config = apps.get_app_config("kpis")
    monkeypatch.setattr(config, "role_permissions", {"manger": ["kpis.view_riskwarning"]}, raising=False)
    with pytest.raises(ValueError, match="manger"):
        roles.role_permissions()
