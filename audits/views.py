"""Thin views: parse, look the inspection up in the user's scope (404 outside it), call one service,
render. Refusals from the services (core.lifecycle.ActionRefused for who may act and when,
ValidationError for the data) are shown to the user as they are."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.lifecycle import ActionRefused
from org.documents import RenderError, render_error_message
from org.once import once_per_token
from org.selectors import site_list
from org.uploads import file_response
from org.views import chosen_site, filtered_page
from scoring.documents import template_language
from scoring.xlsx import SheetImportError

from . import documents, hooks, imports, lifecycle, selectors, services
from .filters import InspectionFilter
from .forms import ImportForm, InspectionCreateForm, PhotoForm, ReopenForm, ResultForm, TemplateForm
from .lifecycle import Action
from .models import Inspection

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _add_errors(form, exc: ValidationError | ActionRefused) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _require_create_role(user) -> None:
    if not lifecycle.role_allows(user, lifecycle.CREATE_ROLES):
        raise PermissionDenied(_("Your role may not create inspections."))


@login_required
def inspection_list(request):
    user = request.user
    inspection_filter = InspectionFilter(
        request.GET or None, queryset=selectors.inspection_list(user=user),
        units=selectors.unit_choices(user=user), sites=site_list(user=user),
    )
    page = filtered_page(request, inspection_filter, ["-date", "-id"])
    return render(request, "audits/inspection_list.html", {
        **chosen_site(request, inspection_filter), "filter": inspection_filter, "page": page,
        "can_create": lifecycle.role_allows(user, lifecycle.CREATE_ROLES),
    })


@login_required
@once_per_token
@require_http_methods(["GET", "POST"])
def inspection_create(request):
    _require_create_role(request.user)
    form = InspectionCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = services.inspection_create(
                standard=data["standard"], kind=data["kind"], date=data["date"], site=data["site"],
                unit=data["unit"], group=data["group"], inspectors=data["inspectors"], title=data["title"],
                by=request.user,
            )
        except (ActionRefused, ValidationError) as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Inspection %(number)s created.") % {"number": inspection.number})
            return redirect("audits:inspection_record", pk=inspection.pk)
    return render(request, "audits/inspection_form.html", {"form": form})


@login_required
@once_per_token
@require_http_methods(["GET", "POST"])
def inspection_import(request):
    _require_create_role(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    sheet_errors = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            inspection = imports.inspection_import_results(
                file=upload, filename=upload.name, standard=data["standard"], kind=data["kind"], date=data["date"],
                site=data["site"], unit=data["unit"], by=request.user,
            )
        except SheetImportError as exc:
            sheet_errors = exc.errors
        except (ActionRefused, ValidationError) as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Inspection %(number)s imported as a draft: check it and submit it.")
                             % {"number": inspection.number})
            return redirect("audits:inspection_detail", pk=inspection.pk)
    return render(request, "audits/inspection_import.html", {"form": form, "sheet_errors": sheet_errors,
                                                             "template_form": TemplateForm()})


@login_required
@require_http_methods(["GET"])
def inspection_import_template(request):
    """The results sheet of an active standard to fill in, in the 实得分 or the 扣分 form, in
    Chinese or English; it imports unchanged (full marks)."""
    _require_create_role(request.user)
    form = TemplateForm(request.GET or None)
    if not form.is_valid():
        raise Http404
    data = form.cleaned_data
    standard, language = data["standard"], template_language(data["lang"])
    content = documents.results_template_xlsx(standard, form=data["form"], language=language)
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=documents.results_template_filename(standard, data["form"], language))
    return response


@login_required
def inspection_detail(request, pk: int):
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    sheet = selectors.scoresheet(inspection)
    # The findings with their photos; the problems are among them (one query less than asking twice).
    evidence = selectors.inspection_evidence(inspection)
    problems = [result for result in evidence if result.problem]
    actions = lifecycle.allowed_actions(inspection, request.user)
    # Submitting is refused while items are unscored: the page says so instead of offering it.
    unscored = sum(sheet.unscored_by_section().values()) if "submitted" in actions else 0
    return render(request, "audits/inspection_detail.html", {
        "inspection": inspection,
        "sheet": sheet,
        "unscored_total": unscored,
        "problems": problems,
        "evidence": evidence,
        # Sections of the apps built on audits (hazards: "register hazards from the findings").
        "panels": [panel for panel in hooks.inspection_panels.call(inspection=inspection, user=request.user,
                                                                    problems=problems) if panel],
        "events": selectors.inspection_events(inspection),
        "inspectors": list(inspection.inspectors.all()),
        "actions": actions,
        "reopen_form": ReopenForm(),
        "languages": documents.LANGUAGES,
        "table_headers": documents.table_headers(),
        "problem_headers": documents.problem_headers(),
    })


# ---------------------------------------------------------------- recording

def _section_context(inspection: Inspection, sheet: selectors.Scoresheet, index: int) -> dict:
    sections = sheet.sections
    section = sections[index - 1]
    unscored = sheet.unscored_by_section()
    lines = [(section, sheet.results.get(section.item_id))] if section.is_leaf else []
    for row in sheet.rows:
        if sheet.section_of(row.item_id) == section.item_id and row.item_id != section.item_id:
            lines.append((row, sheet.results.get(row.item_id) if row.is_leaf else None))
    return {
        "inspection": inspection,
        "sheet": sheet,
        "section": section,
        "section_index": index,
        "nav": [(i, row, unscored[row.item_id]) for i, row in enumerate(sections, start=1)],
        "unscored_total": sum(unscored.values()),
        "lines": lines,
        "items": {item.id: item for item in sheet.items},
        "previous_index": index - 1 if index > 1 else None,
        "next_index": index + 1 if index < len(sections) else None,
    }


@login_required
def inspection_record(request, pk: int, section: int | None = None):
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    if Action.RECORD not in lifecycle.allowed_actions(inspection, request.user):
        if inspection.is_editable:
            messages.info(request, _("Your role may not record inspection results."))
        else:
            messages.info(request, _("Inspection %(number)s is %(status)s: its results can no longer be changed.")
                          % {"number": inspection.number, "status": inspection.get_status_display()})
        return redirect("audits:inspection_detail", pk=inspection.pk)
    sheet = selectors.scoresheet(inspection, with_photos=True)
    if not sheet.sections:
        raise Http404
    if section is None:
        # Resume where left: the first section with unscored items (or the first section).
        unscored = sheet.unscored_by_section()
        index = next((i for i, row in enumerate(sheet.sections, start=1) if unscored[row.item_id]), 1)
        return redirect("audits:inspection_record_section", pk=inspection.pk, section=index)
    if not 1 <= section <= len(sheet.sections):
        raise Http404
    return render(request, "audits/inspection_record.html", _section_context(inspection, sheet, section))


def _parse_result_form(form: ResultForm, item) -> dict:
    data = form.cleaned_data
    quick = data.get("quick") or ""
    earned, not_applicable = data.get("earned") or "", data.get("not_applicable", False)
    if quick == "full":
        earned, not_applicable = item.points, False
    elif quick == "zero":
        earned, not_applicable = "0", False
    elif quick == "na":
        earned, not_applicable = None, True
    elif quick == "clear":
        earned, not_applicable = None, False
    elif str(earned).strip():
        # Typing points scores the item: it is no longer "not applicable".
        not_applicable = False
    return {"earned": services.to_decimal(earned) if earned not in (None, "") else None,
            "not_applicable": not_applicable}


@login_required
@require_POST
def result_save(request, pk: int, result_pk: int):
    """Autosave of one row (htmx): answers the row's score block and, out of band, the running
    totals; a plain form post (no JavaScript) is redirected back to the section."""
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    result = selectors.result_get(inspection=inspection, pk=result_pk)
    form = ResultForm(request.POST)
    errors: list[str] = []
    saved = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            score = _parse_result_form(form, result.item)
            result = services.result_save(
                inspection=inspection, item=result.item, by=request.user,
                finding=data["finding"], problem=data["problem"], measure=data["measure"],
                serious_problems=data["serious_problems"] or 0, **score,
            )
            saved = True
        except (ActionRefused, ValidationError) as exc:
            errors = exc.messages
    else:
        errors = [f"{form.fields[f].label or f}: {' '.join(e)}" if f != "__all__" else " ".join(e)
                  for f, e in form.errors.items()]
    if not request.htmx:
        for error in errors:
            messages.error(request, error)
        sheet = selectors.scoresheet(inspection)
        index = next(i for i, row in enumerate(sheet.sections, start=1)
                     if row.item_id == sheet.section_of(result.item_id))
        url = reverse("audits:inspection_record_section", args=[inspection.pk, index])
        return redirect(f"{url}#result-{result.pk}")
    sheet = selectors.scoresheet(inspection)
    # A change in a text field must not re-render the score inputs: the inspector may already be
    # typing points in the next field. Only the state and the totals are sent (out of band).
    texts_only = saved and request.POST.get("source") in TEXT_FIELDS
    response = render(request, "audits/partials/result_saved.html", {
        "inspection": inspection, "result": result, "item": result.item, "row": sheet.row_for(result.item_id),
        "errors": errors, "saved": saved, "posted": None if saved else request.POST, "texts_only": texts_only,
        **_totals_context(sheet, result.item_id),
    })
    if texts_only:
        response["HX-Reswap"] = "none"
    return response


TEXT_FIELDS = {"finding", "problem", "measure"}


def _totals_context(sheet: selectors.Scoresheet, item_id: int) -> dict:
    section_id = sheet.section_of(item_id)
    ancestors = []
    row = sheet.row_for(item_id)
    while row.parent_id is not None:
        row = sheet.row_for(row.parent_id)
        if row.item_id != section_id:
            ancestors.append(row)
    unscored = sheet.unscored_by_section()
    sections = sheet.sections
    return {"section": sheet.row_for(section_id), "ancestors": ancestors, "sheet": sheet,
            "unscored_total": sum(unscored.values()),
            "nav": [(i, row, unscored[row.item_id]) for i, row in enumerate(sections, start=1)],
            "section_index": next(i for i, row in enumerate(sections, start=1) if row.item_id == section_id)}


@login_required
@require_POST
def photo_add(request, pk: int, result_pk: int):
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    result = selectors.result_get(inspection=inspection, pk=result_pk)
    form = PhotoForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        try:
            services.photo_add(inspection=inspection, result=result, image=form.cleaned_data["image"],
                               by=request.user)
        except (ActionRefused, ValidationError) as exc:
            errors = exc.messages
    else:
        errors = [" ".join(e) for e in form.errors.values()]
    if not request.htmx:
        for error in errors:
            messages.error(request, error)
        return redirect("audits:inspection_record", pk=inspection.pk)
    photos = list(result.photos.order_by("id"))
    return render(request, "audits/partials/result_photos.html",
                  {"inspection": inspection, "result": result, "photos": photos, "photo_errors": errors})


@login_required
def photo_file(request, pk: int, size: str = "full"):
    photo = selectors.photo_get(user=request.user, pk=pk)
    name = f"{photo.result.inspection.number}-{photo.result.item.code}-photo-{photo.pk}"
    if size == "thumb" and photo.thumbnail:
        return file_response(photo.thumbnail, download_name=f"{name}-thumb")
    return file_response(photo.image, download_name=name)


# ---------------------------------------------------------------- lifecycle

def _status_change(request, pk: int, change, done: str):
    """Call one status service; its refusal becomes an error message, success a confirmation.
    Returns the inspection and whether the change went through."""
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    try:
        change(inspection)
    except (ActionRefused, ValidationError) as exc:
        for message in exc.messages:
            messages.error(request, message)
        return inspection, False
    messages.success(request, done % {"number": inspection.number})
    return inspection, True


@login_required
@require_POST
def inspection_submit(request, pk: int):
    inspection, ok = _status_change(
        request, pk, lambda i: services.inspection_submit(inspection=i, by=request.user),
        _("Inspection %(number)s submitted: its results are now locked for editing."))
    if not ok and inspection.is_editable:
        return redirect("audits:inspection_record", pk=inspection.pk)
    return redirect("audits:inspection_detail", pk=inspection.pk)


@login_required
@require_POST
def inspection_reopen(request, pk: int):
    inspection, _ok = _status_change(
        request, pk,
        lambda i: services.inspection_reopen(inspection=i, reason=request.POST.get("reason", ""), by=request.user),
        _("Inspection %(number)s reopened as a draft."))
    return redirect("audits:inspection_detail", pk=inspection.pk)


@login_required
@require_POST
def inspection_lock(request, pk: int):
    inspection, _ok = _status_change(
        request, pk, lambda i: services.inspection_lock(inspection=i, by=request.user),
        _("Inspection %(number)s locked."))
    return redirect("audits:inspection_detail", pk=inspection.pk)


@login_required
def inspection_report(request, pk: int, fmt: str):
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    if fmt not in documents.FORMATS:
        raise Http404
    language = request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", None)
    if language not in documents.LANGUAGES:
        language = None
    try:
        content = documents.render_report(inspection, fmt=fmt, language=language)
    except RenderError as exc:
        messages.error(request, render_error_message(exc))
        return redirect("audits:inspection_detail", pk=inspection.pk)
    content_type = {"pdf": "application/pdf",
                    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[fmt]
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{documents.report_filename(inspection, fmt)}"'
    return response
