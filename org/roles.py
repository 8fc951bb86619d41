"""Roles are Django groups with model permissions (used by the admin) and the role name (used by
the domain services). Each app declares the admin permissions its models give each role in its
AppConfig (`role_permissions`, roles by value); `role_permissions()` collects them whatever the
order of INSTALLED_APPS, and `org.services.sync_role_groups` (run after every migrate) applies them."""

from django.apps import apps

from .models import Role

# Roles whose holders manage work (create tasks, close hazards, reopen inspections).
MANAGING_ROLES = {Role.MANAGER, Role.ADMIN}


def role_permissions() -> dict[str, list[str]]:
    """{role value: ["app_label.codename", ...]} over every installed app's AppConfig.role_permissions,
    each list without repeats in the apps' order. Raises ValueError for a role that does not exist
    (a typo would otherwise grant nothing, silently)."""
    granted: dict[str, list[str]] = {role: [] for role in Role.values}
    for config in apps.get_app_configs():
        for role, perms in getattr(config, "role_permissions", {}).items():
            if role not in granted:
                raise ValueError(f"{config.label}.role_permissions names an unknown role {role!r}")
            granted[role] += [perm for perm in perms if perm not in granted[role]]
    return granted
