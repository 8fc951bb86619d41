"""While the party rectifies: rectification service (整改服务) recorded, extension requests and
their decision, reports to the authority."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org.uploads import DOCUMENT

from .. import events, outbox
from ..lifecycle import Action, ChangedMeanwhile, local_today
from ..models import AuthorityReport, ExtensionRequest, ServiceVisit
from ._common import _checked, _effective, _lock, _required, _save


@transaction.atomic
def record_service_visit(*, hazard, date, description, by, expected_version=None) -> ServiceVisit:
    """A rectification service (整改服务) visit on `date` (recorded after the fact; not in the future,
    not before the hazard's previous step): what the inspectors did to help the party rectify."""
    _required(date=date, description=description)
    hazard = _lock(hazard, Action.SERVICE_VISIT, by, expected_version=expected_version)
    if date > local_today():
        raise ValidationError({"date": _("A service cannot be recorded for a future date.")})
    _effective(hazard, "date", date)
    visit = ServiceVisit(hazard=hazard, date=date, description=description.strip(), by=by)
    visit.full_clean()
    visit.save()
    _save(hazard, [])
    events.service_visit_recorded(hazard, by=by, from_status=hazard.status, visit=visit)
    return visit


@transaction.atomic
def hazard_request_extension(*, hazard, requested_deadline, reason, requested_by_name, by,
                             expected_version=None, requested_on: datetime.date | None = None) -> ExtensionRequest:
    """The party's request for a later deadline; `requested_on`: the day they asked (recorded from
    their letter or call; default today)."""
    _required(requested_deadline=requested_deadline, reason=reason, requested_by_name=requested_by_name)
    hazard = _lock(hazard, Action.REQUEST_EXTENSION, by, expected_version=expected_version)
    requested_on = _effective(hazard, "requested_on", requested_on)
    if requested_deadline <= hazard.deadline:
        raise ValidationError({"requested_deadline": _("The requested deadline must be later than the current "
                                                       "deadline %(deadline)s.")
                               % {"deadline": hazard.deadline.isoformat()}})
    if requested_deadline <= local_today():
        raise ValidationError({"requested_deadline": _("The requested deadline must be in the future.")})
    extension = ExtensionRequest(hazard=hazard, old_deadline=hazard.deadline, requested_deadline=requested_deadline,
                                 reason=reason.strip(), requested_by_name=requested_by_name.strip(),
                                 requested_on=requested_on)
    extension.full_clean()
    extension.save()
    _save(hazard, [])
    events.extension_requested(hazard, by=by, from_status=hazard.status, extension=extension)
    return extension


@transaction.atomic
def hazard_decide_extension(*, extension, approve: bool, comment, by, expected_version=None,
                            granted_deadline: datetime.date | None = None) -> ExtensionRequest:
    """Approve (the hazard's deadline becomes `granted_deadline`, by default the requested one) or
    deny. The old, requested and granted deadlines stay on the request and in the event."""
    action = Action.APPROVE_EXTENSION if approve else Action.DENY_EXTENSION
    if not approve:
        _required(comment=comment)
    hazard = _lock(extension.hazard, action, by, expected_version=expected_version)
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    if extension.status != ExtensionRequest.Status.PENDING:
        raise ChangedMeanwhile(_("This extension request was already decided meanwhile."))
    if approve:
        granted_deadline = granted_deadline or extension.requested_deadline
        # Validated like any deadline typed: a real date, in the future, later than the current one.
        if granted_deadline <= local_today():
            raise ValidationError({"granted_deadline": _("The granted deadline must be in the future.")})
        if granted_deadline <= hazard.deadline:
            raise ValidationError({"granted_deadline": _("The granted deadline must be later than the current "
                                                         "deadline %(deadline)s.")
                                   % {"deadline": hazard.deadline.isoformat()}})
        extension.granted_deadline = granted_deadline
    extension.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.DENIED
    extension.decided_by, extension.decided_at = by, timezone.now()
    extension.decision_comment = (comment or "").strip()
    extension.full_clean()
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_comment", "granted_deadline"])
    old_deadline = hazard.deadline
    if approve:
        hazard.deadline = extension.granted_deadline
        _save(hazard, ["deadline"])
        events.extension_approved(hazard, by=by, from_status=hazard.status, extension=extension,
                                  old_deadline=old_deadline)
    else:
        _save(hazard, [])
        events.extension_denied(hazard, by=by, from_status=hazard.status, extension=extension)
    outbox.extension_decided(extension, hazard)
    return extension


@transaction.atomic
def hazard_report(*, hazard, addressee, report_date, by, document=None, comment="",
                  expected_version=None) -> AuthorityReport:
    """Report to the authority (报告) of a major or refused hazard endangering the grid or the public."""
    _required(addressee=addressee, report_date=report_date)
    if document is not None:
        document = _checked([document], DOCUMENT, "document")[0]
    hazard = _lock(hazard, Action.REPORT, by, expected_version=expected_version)
    if report_date > local_today():
        raise ValidationError({"report_date": _("The report date cannot be in the future.")})
    _effective(hazard, "report_date", report_date)
    report = AuthorityReport(hazard=hazard, addressee=addressee.strip(), report_date=report_date,
                             comment=(comment or "").strip(), by=by)
    if document is not None:
        report.document.save(document.name, document, save=False)
    report.full_clean()
    report.save()
    _save(hazard, [])
    events.hazard_reported(hazard, by=by, from_status=hazard.status, report=report)
    return report
