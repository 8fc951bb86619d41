"""Risk levels: recomputed in the transaction of the hazard action that changes them, one history
row per change, the warnings of the new level through the outbox, never twice for one level."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from hazards import services as hazard_services
from hazards.models import Hazard
from kpis import services
from kpis.models import RiskContact, RiskSettings, RiskWarning, SiteRiskChange
from notifications.models import Channel, Kind, Message
from org.models import Site
from tests.factories import make_user
from tests.hazards.factories import RiskCategoryFactory, make_hazard, register

pytestmark = pytest.mark.django_db
W = RiskWarning.Step


@pytest.fixture
def heavy(db):
    return RiskCategoryFactory(code="GAS", name="燃气泄漏", score=9)


@pytest.fixture
def people(company, branch_a, team_a):
    """A company leader, the branch's leader, manager and named warning contacts with phones."""
    return {
        "company_leader": make_user(company, "leader", username="co_lead", email="co@example.com"),
        "leader": make_user(branch_a, "leader", username="br_lead", email="lead@example.com"),
        "inspection_lead": make_user(team_a, "inspector", username="insp_lead", phone="13900000001"),
        "supervision_lead": make_user(branch_a, "manager", username="sup_lead", phone="13900000002"),
    }


def _contacts(branch_a, people):
    RiskContact.objects.create(unit=branch_a, inspection_lead=people["inspection_lead"],
                               supervision_lead=people["supervision_lead"])


def _steps(change):
    return sorted((w.step, w.message.channel if w.message else None) for w in change.warnings.all())


def test_a_hazard_action_raises_the_level_and_warns_in_the_same_transaction(
        fast_pdf, site_a, manager_a, heavy, branch_a, people):
    _contacts(branch_a, people)
    # 9 (category) × 1 (general): 9 < 10, no level yet.
    first = register(site=site_a, by=manager_a, category=heavy)
    site_a.refresh_from_db()
    assert (site_a.risk_score, site_a.risk_level) == (Decimal("9.00"), "")
    assert not SiteRiskChange.objects.exists()
    # A second one: 18 → C; both leads get an SMS, nobody else.
    register(site=site_a, by=manager_a, category=heavy)
    site_a.refresh_from_db()
    assert (site_a.risk_score, site_a.risk_level) == (Decimal("18.00"), "C")
    change = SiteRiskChange.objects.get()
    assert (change.from_level, change.to_level, change.by) == ("", "C", manager_a)
    assert _steps(change) == [(W.SMS_INSPECTION_LEAD, Channel.SMS), (W.SMS_SUPERVISION_LEAD, Channel.SMS)]
    sms = Message.objects.filter(kind=Kind.RISK_WARNING, channel=Channel.SMS)
    assert sorted(sms.values_list("recipient_address", flat=True)) == ["13900000001", "13900000002"]
    assert all(site_a.name[:4] in m.body and "C" in m.body for m in sms)
    # Voiding the first drops the score under C again: a change to no level, no warning.
    hazard_services.hazard_void(hazard=first, reason="重复登记", by=manager_a)
    site_a.refresh_from_db()
    assert (site_a.risk_score, site_a.risk_level) == (Decimal("9.00"), "")
    assert SiteRiskChange.objects.count() == 2
    assert Message.objects.filter(kind=Kind.RISK_WARNING).count() == 2


def test_level_a_reports_to_superior_and_government_and_notifies_the_leader(
        fast_pdf, site_a, manager_a, heavy, branch_a, company, people):
    _contacts(branch_a, people)
    RiskSettings.objects.create(pk=1, government_name="江州市应急管理局", government_email="yjj@example.gov.cn")
    for _ in range(2):  # 2 × 9 × 3 (major) = 54 ≥ 40
        register(site=site_a, by=manager_a, category=heavy, severity=Hazard.Severity.MAJOR)
    site_a.refresh_from_db()
    assert site_a.risk_level == "A"
    change = SiteRiskChange.objects.get(to_level="A")
    assert change.from_level == "B"  # the first major hazard (27) made it B
    steps = _steps(change)
    assert (W.REPORT_SUPERIOR, Channel.IN_APP) in steps and (W.REPORT_SUPERIOR, Channel.EMAIL) in steps
    assert (W.REPORT_GOVERNMENT, Channel.EMAIL) in steps
    assert (W.NOTIFY_LEADER, Channel.IN_APP) in steps and (W.NOTIFY_LEADER, Channel.EMAIL) in steps
    assert (W.SMS_INSPECTION_LEAD, Channel.SMS) in steps and (W.SMS_SUPERVISION_LEAD, Channel.SMS) in steps
    superior = change.warnings.filter(step=W.REPORT_SUPERIOR).first()
    assert superior.addressee == company.name and superior.message.recipient_user == people["company_leader"]
    assert change.warnings.get(step=W.REPORT_GOVERNMENT).message.recipient_address == "yjj@example.gov.cn"
    leader_mail = change.warnings.get(step=W.NOTIFY_LEADER, message__channel=Channel.EMAIL).message
    assert leader_mail.recipient_address == "lead@example.com"
    # B before it: the leader and both leads, no reports.
    b_change = SiteRiskChange.objects.get(to_level="B")
    assert {s for s, _c in _steps(b_change)} == {W.NOTIFY_LEADER, W.SMS_INSPECTION_LEAD, W.SMS_SUPERVISION_LEAD}


def test_level_a_without_government_address_is_still_recorded(fast_pdf, site_a, manager_a, heavy, people,
                                                             branch_a):
    _contacts(branch_a, people)
    for _ in range(2):
        register(site=site_a, by=manager_a, category=heavy, severity=Hazard.Severity.MAJOR)
    report = RiskWarning.objects.get(step=W.REPORT_GOVERNMENT)
    assert report.message is None and report.addressee


def test_no_warning_is_sent_again_while_the_level_stays(fast_pdf, site_a, manager_a, heavy, people, branch_a):
    _contacts(branch_a, people)
    hazards = [register(site=site_a, by=manager_a, category=heavy) for _ in range(2)]
    assert Site.objects.get(pk=site_a.pk).risk_level == "C"
    before = Message.objects.filter(kind=Kind.RISK_WARNING).count()
    # Actions that change nothing of the score, the nightly run and a direct refresh: still C, nothing new.
    for hazard in hazards:
        hazard_services.hazard_update(hazard=hazard, by=manager_a, location="二号配电室")
    services.site_risk_recompute_all()
    services.site_risk_refresh(site_id=site_a.pk)
    assert Message.objects.filter(kind=Kind.RISK_WARNING).count() == before
    assert SiteRiskChange.objects.count() == 1


def test_nightly_run_raises_the_level_when_a_deadline_passes(fast_pdf, site_a, manager_a, heavy, people, branch_a):
    _contacts(branch_a, people)
    hazard = make_hazard(Hazard.Status.RECTIFYING, site=site_a, by=manager_a, category=heavy)
    assert Site.objects.get(pk=site_a.pk).risk_score == Decimal("9.00")
    # The day after the deadline: overdue doubles its weight (9 → 18, level C), found by the nightly run.
    later = hazard.deadline + datetime.timedelta(days=1)
    assert services.site_risk_recompute_all(today=later) == 1
    site = Site.objects.get(pk=site_a.pk)
    assert (site.risk_score, site.risk_level) == (Decimal("18.00"), "C")
    assert SiteRiskChange.objects.get().cause == "nightly"
    assert services.site_risk_recompute_all(today=later) == 0


def test_a_rolled_back_action_leaves_level_history_and_outbox_unchanged(site_a, manager_a, heavy, people,
                                                                        branch_a):
    _contacts(branch_a, people)
    register(site=site_a, by=manager_a, category=heavy)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        register(site=site_a, by=manager_a, category=heavy)
        assert Site.objects.get(pk=site_a.pk).risk_level == "C"
        raise Boom
    site = Site.objects.get(pk=site_a.pk)
    assert (site.risk_score, site.risk_level) == (Decimal("9.00"), "")
    assert not SiteRiskChange.objects.exists() and not Message.objects.filter(kind=Kind.RISK_WARNING).exists()


def test_without_contacts_the_managers_get_one_message_each(site_a, manager_a, heavy):
    register(site=site_a, by=manager_a, category=heavy)
    register(site=site_a, by=manager_a, category=heavy)
    change = SiteRiskChange.objects.get()
    # manager_a has no phone: an in-app message, recorded for both lead steps, sent once.
    assert _steps(change) == [(W.SMS_INSPECTION_LEAD, Channel.IN_APP), (W.SMS_SUPERVISION_LEAD, Channel.IN_APP)]
    assert Message.objects.filter(kind=Kind.RISK_WARNING, recipient_user=manager_a).count() == 1


def test_settings_refuse_thresholds_that_do_not_fall():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        RiskSettings(threshold_a=Decimal("10"), threshold_b=Decimal("20"), threshold_c=Decimal("5")).full_clean()


