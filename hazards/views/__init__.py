"""Hazard pages: the ledger (台账), the hazard file, the action forms and the scoped downloads.
Views stay thin: parse the form, call ONE service, show its refusal in words. Other units'
hazards, notices and files answer 404 exactly like missing ones.

One module per page or group of pages; hazards/urls.py and other code import from this package,
which re-exports each module's public names:

    ledger          the ledger and its export
    detail          the hazard file page and its timeline
    registration    register, edit, the site's contact for the form
    actions         the lifecycle action forms (ACTION_FORMS) and their view
    notices         issue a notice, send its e-mail again
    findings        hazards from an inspection's findings
    downloads       scoped files: notices, reports, photos
    _common         refusal wording, role and form-error helpers (private)

Views call services through the package (`services.hazard_register(...)`), so a test replaces a
service for the pages by patching `hazards.services.<name>`."""

from ._common import CHANGED_MEANWHILE, EDIT_CHANGED_MEANWHILE, FILES_AGAIN, overdue_days
from .actions import ACTION_FORMS, ActionForm, acknowledged_message, add_months, hazard_action
from .detail import EVENT_DETAILS, RESULT_LABELS, hazard_detail, timeline_rows
from .downloads import notice_file, photo_file, reply_photo_file, report_file
from .findings import create_from_inspection
from .ledger import hazard_export, hazard_list
from .notices import notice_email, notify
from .registration import hazard_create, hazard_edit, site_contact

__all__ = [
    # shared wording and the old name of the days-overdue rule
    "CHANGED_MEANWHILE", "EDIT_CHANGED_MEANWHILE", "FILES_AGAIN", "overdue_days",
    # ledger
    "hazard_export", "hazard_list",
    # detail
    "EVENT_DETAILS", "RESULT_LABELS", "hazard_detail", "timeline_rows",
    # registration
    "hazard_create", "hazard_edit", "site_contact",
    # actions
    "ACTION_FORMS", "ActionForm", "acknowledged_message", "add_months", "hazard_action",
    # notices
    "notice_email", "notify",
    # findings
    "create_from_inspection",
    # downloads
    "notice_file", "photo_file", "reply_photo_file", "report_file",
]
