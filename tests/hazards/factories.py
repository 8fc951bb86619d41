"""Hazard test data, built through the services so history, numbers and notices are real."""

import datetime
import io
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from hazards import services
from hazards.lifecycle import Action
from hazards.models import ExtensionRequest, Hazard, HazardPhoto, RiskCategory, WorkOrderReply

S = Hazard.Status


class RiskCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"类别{n}")
    score = 3


def image_upload(name="photo.png", size=(64, 48), fmt="PNG", color=(200, 30, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def today() -> datetime.date:
    return timezone.localdate()


MAJOR_COMPLETE = {
    "five_responsible_person": "李矿长", "five_measures": "更换主排水泵并加装备用电源",
    "five_funds": Decimal("120000.00"),
    "five_deadline": None, "five_contingency_plan": "透水事故应急预案（2026 版）",
    "plan_goal": "消除井下排水系统单电源隐患", "plan_methods": "双回路供电改造，增设自动切换装置",
    "plan_funds_materials": "专项资金 12 万元，电缆与切换柜已采购", "plan_organisation": "机电副矿长牵头，机电科实施",
    "plan_time_limit": "30 日内完成", "plan_safety_measures": "施工期间临时柴油发电机保障排水",
}


def register(*, site, by, category, severity=Hazard.Severity.GENERAL, deadline=None, **extra) -> Hazard:
    """A hazard complete enough to be notified (party, measures, deadline; five in place if major)."""
    fields = {
        "description": "配电室高压柜接地线松动", "location": "1 号配电室", "basis": "DL/T 572 第 5.2 条",
        "responsible_name": "王建国", "responsible_email": "wang@example.com", "responsible_phone": "13800000000",
        "required_measures": "紧固接地线并做接地电阻测试",
        "deadline": deadline or today() + datetime.timedelta(days=14),
        "discovered_on": today(),
    }
    if severity == Hazard.Severity.MAJOR:
        fields.update({**MAJOR_COMPLETE, "five_deadline": today() + datetime.timedelta(days=30)})
    fields.update(extra)
    return services.hazard_register(site=site, by=by, category=category, severity=severity, **fields)


def reach(hazard: Hazard, state: str, *, by) -> Hazard:
    """Drive a registered hazard to `state` through the services (by: a manager in scope)."""
    path = {
        S.REGISTERED: [],
        S.NOTIFIED: [Action.NOTIFY],
        S.RECTIFYING: [Action.NOTIFY, Action.ACKNOWLEDGE],
        S.PENDING_ACCEPTANCE: [Action.NOTIFY, Action.ACKNOWLEDGE, Action.SUBMIT_REPLY],
        S.ACCEPTED: [Action.NOTIFY, Action.ACKNOWLEDGE, Action.SUBMIT_REPLY, Action.ACCEPT],
        S.CLOSED: [Action.NOTIFY, Action.ACKNOWLEDGE, Action.SUBMIT_REPLY, Action.ACCEPT, Action.CLOSE],
        S.VOIDED: [Action.VOID],
    }[state]
    for action in path:
        perform(action, hazard, by)
        hazard = Hazard.objects.get(pk=hazard.pk)
    assert hazard.status == state
    return hazard


def make_hazard(state: str, *, site, by, category, **extra) -> Hazard:
    return reach(register(site=site, by=by, category=category, **extra), state, by=by)


def pending_extension(hazard) -> ExtensionRequest | None:
    return hazard.extensions.filter(status=ExtensionRequest.Status.PENDING).first()


def perform(action: str, hazard: Hazard, user, **overrides):
    """Call the service of `action` with plausible input (the one dispatcher the table and the
    state machine share)."""
    t = today()
    calls = {
        Action.EDIT: lambda: services.hazard_update(hazard=hazard, by=user, location=f"位置 v{hazard.version}"),
        Action.NOTIFY: lambda: services.hazard_notify(hazards=[hazard], by=user),
        Action.ACKNOWLEDGE: lambda: services.hazard_acknowledge(hazard=hazard, acknowledged_by_name="王建国", by=user),
        Action.SERVICE_VISIT: lambda: services.record_service_visit(hazard=hazard, date=t, description="现场指导整改",
                                                               by=user),
        Action.REQUEST_EXTENSION: lambda: services.hazard_request_extension(
            hazard=hazard, requested_deadline=max(hazard.deadline or t, t) + datetime.timedelta(days=10),
            reason="备件到货延迟", requested_by_name="王建国", by=user),
        Action.APPROVE_EXTENSION: lambda: services.hazard_decide_extension(
            extension=pending_extension(hazard) or _no_extension(hazard), approve=True, comment="同意", by=user),
        Action.DENY_EXTENSION: lambda: services.hazard_decide_extension(
            extension=pending_extension(hazard) or _no_extension(hazard), approve=False, comment="理由不充分",
            by=user),
        Action.SUPERVISE: lambda: services.hazard_supervise(hazard=hazard, new_deadline=t + datetime.timedelta(days=7),
                                                            by=user),
        Action.REPORT: lambda: services.hazard_report(hazard=hazard, addressee="市应急管理局", report_date=t, by=user),
        Action.SUBMIT_REPLY: lambda: services.hazard_submit_reply(
            hazard=hazard, cause="设备老化", handling="已紧固并测试合格", result=WorkOrderReply.Result.HANDLED,
            submitted_by_name="王建国", by=user),
        Action.ACCEPT: lambda: services.hazard_accept(hazard=hazard, by=user, comment="现场验收合格",
                                                      self_evaluation="自评合格", expert_evaluation="专家评估合格"),
        Action.REJECT: lambda: services.hazard_reject(hazard=hazard, reason="接地电阻仍超标", by=user),
        Action.CLOSE: lambda: services.hazard_close(hazard=hazard, by=user),
        Action.VOID: lambda: services.hazard_void(hazard=hazard, reason="重复登记", by=user),
        Action.ADD_PHOTO: lambda: services.hazard_photo_add(hazard=hazard, kind=HazardPhoto.Kind.BEFORE,
                                                            image=image_upload(), by=user),
    }
    return calls[action]()


def _no_extension(hazard):
    # A decision without a pending request: a never-saved request for the same hazard, so the
    # service's own check (not a missing argument) refuses it.
    return ExtensionRequest(hazard=hazard, old_deadline=hazard.deadline or today(), requested_deadline=today())
