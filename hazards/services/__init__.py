"""Every write to a hazard file. Each lifecycle function: keyword-only, one transaction, the hazard
row locked (select_for_update), lifecycle.check, the version compared ("changed meanwhile"),
version bumped, full_clean() before save(update_fields=...), exactly one HazardEvent.

Errors: lifecycle refusals raise lifecycle.ActionRefused (ChangedMeanwhile for a stale form or a
lost race); bad input raises django ValidationError (field-keyed where a form field exists).

Who acts (`by`): the signed-in user, or core.lifecycle.PARTY for the responsible party itself
(the portal, through its signed link), allowed the party's actions only (hazards.lifecycle).
Party actions (acknowledge, extension request, reply) take `by` = the staff user recording them or
PARTY, and the party's name. None is refused (TypeError).

One module per part of the loop; import from this package (`from hazards import services`), which
re-exports each module's public names:

    numbers         hazard and notice numbers
    registration    register (by hand, from findings), edit, follow a site's move
    notices         hazard notice, its receipt, supervision notice, the notice e-mail again
    rectification   rectification service, extension request and decision, report to the authority
    closing         reply, acceptance or its refusal, close, void, photos
    whitelist       items exempt from inspection
    _common         the lock, the save, required fields, effective dates, checked uploads (private)

A test that replaces a name the services use (e.g. `local_today`) patches the module that uses it
(`hazards.services.notices.local_today`); one that replaces a service a view or another app calls
patches it here (`hazards.services.hazard_register`), where they look it up."""

# Private, but portal.services.party_acknowledge requires the party's name the same way.
from ._common import _required as _required
from .closing import hazard_accept, hazard_close, hazard_photo_add, hazard_reject, hazard_submit_reply, hazard_void
from .notices import (
    ISSUE_ATTEMPTS,
    MAX_HAZARDS_PER_NOTICE,
    Acknowledgement,
    default_escalation,
    hazard_acknowledge,
    hazard_notify,
    hazard_supervise,
    notice_acknowledge,
    notice_email_send,
)
from .numbers import NOTICE_SERIES, hazard_number, notice_number
from .rectification import hazard_decide_extension, hazard_report, hazard_request_extension, record_service_visit
from .registration import (
    EDITABLE_FIELDS,
    MAJOR_FIELDS,
    hazard_register,
    hazard_update,
    hazards_create_from_inspection,
    hazards_follow_site,
)
from .whitelist import whitelist_active_items, whitelist_add, whitelist_revoke, whitelist_update

__all__ = [
    # numbers
    "NOTICE_SERIES", "hazard_number", "notice_number",
    # registration
    "EDITABLE_FIELDS", "MAJOR_FIELDS", "hazard_register", "hazard_update", "hazards_create_from_inspection",
    "hazards_follow_site",
    # notices
    "ISSUE_ATTEMPTS", "MAX_HAZARDS_PER_NOTICE", "Acknowledgement", "default_escalation", "hazard_acknowledge",
    "hazard_notify", "hazard_supervise", "notice_acknowledge", "notice_email_send",
    # rectification
    "hazard_decide_extension", "record_service_visit", "hazard_report", "hazard_request_extension",
    # closing
    "hazard_accept", "hazard_close", "hazard_photo_add", "hazard_reject", "hazard_submit_reply", "hazard_void",
    # whitelist
    "whitelist_active_items", "whitelist_add", "whitelist_revoke", "whitelist_update",
]
