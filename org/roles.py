"""Roles are Django groups with model permissions (used by the admin) and the role name (used by
the domain services). The permission lists name `app_label.codename`; apps added later append
their own entries here, and `sync_role_groups` (run after every migrate) applies them."""

from .models import Role

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.INSPECTOR: [
        "org.view_orgunit", "org.view_site",
    ],
    Role.MANAGER: [
        "org.view_orgunit", "org.view_site", "org.change_site", "org.add_site",
    ],
    Role.LEADER: [
        "org.view_orgunit", "org.view_site",
    ],
    Role.ADMIN: [
        "org.view_orgunit", "org.add_orgunit", "org.change_orgunit",
        "org.view_site", "org.add_site", "org.change_site",
        "org.view_membership", "org.add_membership", "org.change_membership", "org.delete_membership",
        "auth.view_user", "auth.add_user", "auth.change_user",
        # scoring: standards and their items (the admin; the pages check MANAGING_ROLES)
        "scoring.view_standard", "scoring.add_standard", "scoring.change_standard", "scoring.delete_standard",
        "scoring.view_standarditem", "scoring.add_standarditem", "scoring.change_standarditem",
        "scoring.delete_standarditem",
    ],
}

# audits: inspections in the admin (the pages and services check audits.lifecycle).
_AUDITS_VIEW = ["audits.view_inspection", "audits.view_inspectionresult", "audits.view_inspectionevent"]
_AUDITS_CHANGE = ["audits.change_inspection", "audits.change_inspectionresult"]
ROLE_PERMISSIONS[Role.INSPECTOR] += _AUDITS_VIEW
ROLE_PERMISSIONS[Role.LEADER] += _AUDITS_VIEW
ROLE_PERMISSIONS[Role.MANAGER] += _AUDITS_VIEW + _AUDITS_CHANGE
ROLE_PERMISSIONS[Role.ADMIN] += _AUDITS_VIEW + _AUDITS_CHANGE

# hazards: the hazard file and its history are read in the admin; the lifecycle runs only
# through hazards.services (the pages check hazards.lifecycle). The admin role keeps the risk
# dictionary and the whitelist.
_HAZARDS_VIEW = ["hazards.view_hazard", "hazards.view_riskcategory", "hazards.view_notice",
                 "hazards.view_whitelistentry"]
_HAZARDS_ADMIN = [
    "hazards.change_hazard", "hazards.view_hazardevent", "hazards.view_hazardphoto", "hazards.view_workorderreply",
    "hazards.view_replyphoto", "hazards.view_extensionrequest", "hazards.view_servicerecord",
    "hazards.view_authorityreport", "hazards.view_acceptance",
    "hazards.add_riskcategory", "hazards.change_riskcategory",
    "hazards.add_whitelistentry", "hazards.change_whitelistentry",
]
for _role in (Role.INSPECTOR, Role.MANAGER, Role.LEADER):
    ROLE_PERMISSIONS[_role] += _HAZARDS_VIEW
ROLE_PERMISSIONS[Role.ADMIN] += _HAZARDS_VIEW + _HAZARDS_ADMIN

# portal: the party's links and what the party did through them, read (and revoked) in the admin.
_PORTAL = ["portal.view_partylink", "portal.change_partylink", "portal.view_partyaction"]
ROLE_PERMISSIONS[Role.MANAGER] += _PORTAL
ROLE_PERMISSIONS[Role.ADMIN] += _PORTAL
# planning: the admin keeps the rules, schedules (per-site overrides), the risk register and review
# cycles; tasks, draws and reviews are read there (the pages check planning.lifecycle).
_PLANNING_VIEW = ["planning.view_task", "planning.view_schedule", "planning.view_schedulerule",
                  "planning.view_spotcheckplan", "planning.view_majorrisk", "planning.view_riskreview",
                  "planning.view_reviewcycle", "planning.view_taskevent", "planning.view_riskreviewevent",
                  "planning.view_spotcheckpick"]
_PLANNING_ADMIN = ["planning.add_schedulerule", "planning.change_schedulerule", "planning.change_schedule",
                   "planning.add_majorrisk", "planning.change_majorrisk", "planning.add_reviewcycle",
                   "planning.change_reviewcycle"]
ROLE_PERMISSIONS[Role.MANAGER] += _PLANNING_VIEW
ROLE_PERMISSIONS[Role.LEADER] += _PLANNING_VIEW
ROLE_PERMISSIONS[Role.ADMIN] += _PLANNING_VIEW + _PLANNING_ADMIN

# Roles whose holders manage work (create tasks, close hazards, reopen inspections).
MANAGING_ROLES = {Role.MANAGER, Role.ADMIN}

# kpis: the history of risk levels and the statistics reports are read in the admin; the admin
# role keeps the risk warning contacts (the settings of weights and thresholds: superusers).
_KPIS_VIEW = ["kpis.view_siteriskchange", "kpis.view_riskwarning", "kpis.view_statisticsreport"]
for _role in (Role.MANAGER, Role.LEADER):
    ROLE_PERMISSIONS[_role] += _KPIS_VIEW
ROLE_PERMISSIONS[Role.ADMIN] += _KPIS_VIEW + ["kpis.view_riskcontact", "kpis.add_riskcontact",
                                              "kpis.change_riskcontact"]
