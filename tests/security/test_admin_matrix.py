"""The admin authorisation matrix: every admin of the registry (none is listed by hand), as the
administrator of one branch.

Writes: for every add form and every change form the branch administrator is offered, a valid
sending built from a row of their own branch is accepted (the control), and the same sending with
any one relation (select, autocomplete, raw id, many-to-many, inline) set to a row of another
branch or of the company root changes nothing at all in the database. Relations and flags the
form does not offer (superuser, staff, groups, permissions …), sent anyway, change nothing more
than the control did.

Reads: another branch's row of every model answers on its change, history and delete pages exactly
like a missing id, and no changelist lists it."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import models, transaction
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from audits import services as audit_services
from core.lifecycle import SYSTEM
from hazards.models import Hazard, WhitelistEntry
from notifications import services as notification_services
from notifications.models import Channel, Kind
from org import scoping
from org.admin_scope import scoped_queryset
from org.models import Role
from org.services import sync_role_groups
from planning import services as planning_services
from planning.models import MajorRisk, ReviewCycle, ScheduleRule
from tests.audits.factories import make_standard
from tests.factories import SiteFactory, make_user
from tests.hazards.factories import RiskCategoryFactory, make_hazard

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_pdf")]

PASSWORD = "Zq-7!matrix-Strong"
# Every app of this repository (a new app is in the matrix without editing this list).
OWN_APPS = tuple(config.label for config in apps.get_app_configs()
                 if Path(config.path).resolve().parent == Path(settings.BASE_DIR).resolve())


@pytest.fixture
def fast_pdf(monkeypatch):
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 test " + notice.number.encode())


@pytest.fixture
def world(company, branch_a, branch_b, team_a, site_a, site_b, inspector_a, manager_a, inspector_b, manager_b):
    """Rows of every kind in branch A (the actor's), in branch B and at the company root."""
    sync_role_groups()
    site_root = SiteFactory(unit=company, name="公司直属客户")
    root_manager = make_user(company, Role.MANAGER, username="root_mgr")
    make_user(branch_b, Role.ADMIN, username="adm_b")
    category = RiskCategoryFactory()
    standard = make_standard()
    item = standard.items.filter(is_leaf=True).first()
    for site, inspector, manager in ((site_a, inspector_a, manager_a), (site_b, inspector_b, manager_b),
                                     (site_root, root_manager, root_manager)):
        audit_services.inspection_create(standard=standard, kind="periodic", date=datetime.date(2026, 3, 2),
                                         site=site, by=inspector, group=site.unit, inspectors=[inspector])
        hazard = make_hazard(Hazard.Status.NOTIFIED, site=site, by=manager, category=category)
        WhitelistEntry.objects.create(site=site, item=item, frozen_until=timezone.localdate() + datetime.timedelta(60),
                                      hazard=hazard, created_by=manager, reason="现场核实正常")
        notification_services.message_enqueue(
            channel=Channel.IN_APP, kind=Kind.REMINDER_BEFORE, dedupe_key=f"matrix-{site.pk}",
            recipient_user=manager, about=hazard, about_label=hazard.number, unit=site.unit,
            subject="提醒", body="提醒")
        rule = ScheduleRule.objects.create(name=f"周期检查{site.pk}", unit=site.unit, standard=standard)
        risk = MajorRisk.objects.create(unit=site.unit, code=f"R{site.pk}", category="gas", description="瓦斯",
                                        responsible=manager)
        cycle = ReviewCycle.objects.create(unit=site.unit, reviewer=manager, cadence="monthly",
                                           start_date=datetime.date(2026, 3, 1))
        cycle.risks.set([risk])
        planning_services.spot_check_draw(unit=site.unit, month=datetime.date(2026, 3, 1), seed=site.pk,
                                          standard=standard, by=SYSTEM)
        assert rule.pk
    planning_services.schedules_sync(today=datetime.date(2026, 3, 1))
    planning_services.tasks_generate(today=datetime.date(2026, 3, 1))
    planning_services.reviews_generate(today=datetime.date(2026, 3, 1))
    actor = make_user(branch_a, Role.ADMIN, username="adm_a")
    return actor


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _info(model):
    return f"admin:{model._meta.app_label}_{model._meta.model_name}"


# -- the database, as a comparable value ---------------------------------------------------------

def _snapshot():
    """Every row of the project's models and of the auth tables (users, their groups and
    permissions), as sorted tuples."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if model._meta.app_label not in (*OWN_APPS, "auth") or label == "org.submissiontoken":
            continue
        state[label] = sorted(map(repr, model._default_manager.order_by().values_list()))
    return state


class _Rollback(Exception):
    pass


def _post_and_measure(client, url, data, measure):
    """POST, measure the database, then roll the sending back (each sending starts from the same rows)."""
    result = {}
    try:
        with transaction.atomic():
            response = client.post(url, data)
            result["status"] = response.status_code
            result["errors"] = _errors(response)
            result["measure"] = measure()
            raise _Rollback
    except _Rollback:
        pass
    return result


def _errors(response):
    context = getattr(response, "context", None)
    if not context or "adminform" not in context:
        return None
    errors = dict(context["adminform"].form.errors)
    for inline in context.get("inline_admin_formsets", []):
        for i, form_errors in enumerate(inline.formset.errors):
            errors.update({f"{inline.formset.prefix}-{i}-{k}": v for k, v in form_errors.items()})
        if inline.formset.non_form_errors():
            errors[f"{inline.formset.prefix}-nonform"] = inline.formset.non_form_errors()
    return errors


# -- form data ------------------------------------------------------------------------------------

def _encode(field, value, name, data):
    widget = field.widget
    if getattr(field, "disabled", False):
        return
    if hasattr(widget, "widgets_names") and hasattr(widget, "decompress"):  # split date and time
        parts = value if isinstance(value, (list, tuple)) else widget.decompress(value)
        for suffix, part in zip(widget.widgets_names, parts, strict=False):
            data[name + suffix] = "" if part is None else _scalar(part)
        return
    if isinstance(value, bool):
        if value:
            data[name] = "on"
        return
    if isinstance(value, (list, tuple, models.QuerySet)):
        data[name] = [str(getattr(v, "pk", v)) for v in value]
        return
    data[name] = "" if value is None else _scalar(value)


def _scalar(value):
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _form_fields(form, prefix=""):
    return {f"{prefix}{name}": field for name, field in form.fields.items()}


def _page_data(response):
    """The data a browser would send back from a rendered add or change page, and every form field
    by its posted name."""
    context = response.context
    form = context["adminform"].form
    data, fields = {}, _form_fields(form)
    for name, field in form.fields.items():
        _encode(field, form[name].value(), name, data)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for sub in formset.forms:
            fields.update(_form_fields(sub, sub.prefix + "-"))
            for name, field in sub.fields.items():
                _encode(field, sub[name].value(), sub.add_prefix(name), data)
    return data, fields


def _fill_add_data(data, fields, model, example, context):
    """An add page's initial data completed from an existing row of the actor's scope, unique
    values made new, passwords set: a sending the form accepts."""
    values = model_to_dict(example) if example is not None else {}
    unique = {f.name for f in model._meta.fields if f.unique and not f.primary_key}
    for name, field in fields.items():
        if "-" in name:
            continue
        if name in values and data.get(name) in (None, "", []):
            _encode(field, values[name], name, data)
        if name in unique and isinstance(field, ModelChoiceField):
            # A one-to-one relation (e.g. a unit's risk contacts): a row of the offered choices not
            # taken yet, or the form is not asked at all.
            taken = model._default_manager.values_list(name, flat=True)
            free = field.queryset.exclude(pk__in=taken).order_by("pk").first()
            if free is not None:
                data[name] = str(free.pk)
        elif name in unique and data.get(name):
            data[name] = f"{data[name]}-m1"[: getattr(model._meta.get_field(name), "max_length", 99)]
        if name.startswith("password") and name != "password":
            data[name] = PASSWORD
        if name == "usable_password":
            data[name] = "true"
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        fk = formset.fk
        related = list(formset.model._default_manager.filter(**{fk.name: example})) if example else []
        count = max(len(related), formset.min_num or 0, 1 if related else 0)
        data[formset.management_form.add_prefix("TOTAL_FORMS")] = str(count)
        data[formset.management_form.add_prefix("INITIAL_FORMS")] = "0"
        form_class = formset.form
        for i, row in enumerate(related[:count]):
            row_values = model_to_dict(row)
            for name, field in form_class.base_fields.items():
                if name in row_values and name not in (fk.name, "id"):
                    _encode(field, row_values[name], f"{formset.prefix}-{i}-{name}", data)
                    fields[f"{formset.prefix}-{i}-{name}"] = field
    return data


# -- hostile values -------------------------------------------------------------------------------

def _foreign_rows(model, actor, limit=3):
    """Rows of `model` outside the actor's reach: the first (the company root's, made first), one in
    the middle and the last (another branch's)."""
    reachable = scoped_queryset(model._default_manager.all(), actor).values("pk")
    rows = list(model._default_manager.exclude(pk__in=reachable).order_by("pk"))
    if len(rows) <= limit:
        return rows
    return [rows[0], rows[len(rows) // 2], rows[-1]]


def _relation_fields(fields):
    return {name: f for name, f in fields.items() if isinstance(f, ModelChoiceField) and not f.disabled}


def _with(data, name, field, row):
    hostile = dict(data)
    hostile[name] = [str(row.pk)] if isinstance(field, ModelMultipleChoiceField) else str(row.pk)
    return hostile


def _extra_hostile_fields(model, fields):
    """Fields of the model the form does not offer: relations (groups, permissions …) and flags."""
    offered = {name.rsplit("-", 1)[-1] for name in fields}
    for field in [*model._meta.fields, *model._meta.many_to_many]:
        if field.name in offered or field.primary_key or not field.editable:
            continue
        if field.is_relation or isinstance(field, models.BooleanField):
            yield field


def _measure_extra(model, field, value):
    def measure():
        if isinstance(field, models.BooleanField):
            return model._default_manager.filter(**{field.name: True}).count()
        return model._default_manager.filter(**{field.name: value}).count()
    return measure


# -- the matrix -----------------------------------------------------------------------------------

def _forms_offered(client, actor):
    """(model, url, kind, example) for every add and change form the actor is offered."""
    request = _request(actor)
    for model, model_admin in admin.site._registry.items():
        rows = list(model_admin.get_queryset(request).order_by("-pk")[:20])
        # A row the actor may change (not their own account, which only a superuser changes).
        example = next((r for r in rows if model_admin.has_change_permission(request, r)), rows[0] if rows else None)
        if model_admin.has_add_permission(request):
            yield model, reverse(f"{_info(model)}_add"), "add", example
        if example is not None and model_admin.has_change_permission(request, example):
            yield model, reverse(f"{_info(model)}_change", args=[example.pk]), "change", example


def test_no_admin_form_accepts_another_units_rows(client, world):
    actor = world
    client.force_login(actor)
    checked_forms, checked_fields, failures = [], 0, []
    for model, url, kind, example in _forms_offered(client, actor):
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        data, fields = _page_data(page)
        if kind == "add":
            data = _fill_add_data(data, fields, model, example, page.context)
        before = _snapshot()
        control = _post_and_measure(client, url, data, _snapshot)
        assert control["status"] == 302, (url, "the control sending was refused", control["errors"])
        assert control["measure"] != before or kind == "change", (url, "the control sending changed nothing")
        checked_forms.append(f"{kind} {model._meta.label}")
        for name, field in _relation_fields(fields).items():
            for row in _foreign_rows(field.queryset.model, actor):
                hostile = _post_and_measure(client, url, _with(data, name, field, row), _snapshot)
                checked_fields += 1
                if hostile["measure"] != before:
                    failures.append(f"{kind} {model._meta.label}: {name}={row!r} ({row.pk}) was saved")
        for field in _extra_hostile_fields(model, fields):
            values = [True] if isinstance(field, models.BooleanField) else _foreign_rows(field.related_model, actor)
            for value in values:
                measure = _measure_extra(model, field, value)
                expected = _post_and_measure(client, url, data, measure)["measure"]
                hostile_data = dict(data)
                if isinstance(field, models.BooleanField):
                    hostile_data[field.name] = "on"
                else:
                    hostile_data = _with(data, field.name, field.formfield() or ModelChoiceField(None), value)
                got = _post_and_measure(client, url, hostile_data, measure)["measure"]
                checked_fields += 1
                if got != expected:
                    failures.append(f"{kind} {model._meta.label}: {field.name}={value!r}, not offered, was saved")
    assert not failures, "\n".join(failures)
    # The matrix really ran over the org, hazards and audits forms, and the user's privileges.
    assert {"add org.OrgUnit", "add org.Site", "add auth.User", "change auth.User", "change audits.Inspection",
            "add hazards.WhitelistEntry", "change org.Site"} <= set(checked_forms), checked_forms
    assert checked_fields >= 20


def _missing_pk(model):
    last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
    return last + 100000


def _looks_like(response, pk):
    """Status, target and messages of a response, with the id replaced."""
    messages = [re.sub(rf"\b{pk}\b", "<id>", str(m)) for m in get_messages(response.wsgi_request)]
    return response.status_code, response.redirect_chain, messages


def test_another_units_rows_look_missing_in_every_admin(client, world):
    actor = world
    client.force_login(actor)
    request = _request(actor)
    probed = []
    for model, model_admin in admin.site._registry.items():
        foreign = _foreign_rows(model, actor, limit=1)
        if not foreign:
            continue
        row = foreign[0]
        missing = _missing_pk(model)
        for view in ("change", "history", "delete"):
            got = client.get(reverse(f"{_info(model)}_{view}", args=[row.pk]), follow=True)
            expected = client.get(reverse(f"{_info(model)}_{view}", args=[missing]), follow=True)
            assert _looks_like(got, row.pk) == _looks_like(expected, missing), (model._meta.label, view)
        if model_admin.has_view_permission(request):
            changelist = client.get(reverse(f"{_info(model)}_changelist"))
            assert changelist.status_code == 200
            assert not changelist.context["cl"].queryset.filter(pk=row.pk).exists(), model._meta.label
        probed.append(model._meta.label)
    assert {"org.OrgUnit", "org.Site", "auth.User", "audits.Inspection", "hazards.Hazard", "hazards.Notice",
            "hazards.WhitelistEntry", "notifications.Message", "auth.Group"} <= set(probed), probed


def test_sidebar_filters_do_not_name_other_units(client, world, branch_b):
    client.force_login(world)
    page = client.get(reverse("admin:hazards_hazard_changelist"))
    assert page.status_code == 200
    assert branch_b.name not in page.content.decode()


def test_every_registered_admin_is_scoped():
    from org.admin_scope import check_scoped_admin

    assert check_scoped_admin() == []
    for model, model_admin in admin.site._registry.items():
        assert getattr(model_admin, "scoped_admin", False), model
        assert scoping.is_registered(model), model
