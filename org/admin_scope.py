"""The Django admin scoped like the pages: one mixin, ScopedAdminMixin, on every ModelAdmin and every
inline of the project (the system check org.E002 refuses any other), reading each model's scope from
org.scoping.

What it enforces, for an account that is not company-wide (a branch's administrator):
- lists, change, history and delete pages, actions, autocomplete and raw-id pop-ups only reach rows
  of the account's unit subtree: another unit's id answers exactly like a missing one (the admin's
  "doesn't exist" redirect), since Django looks every object up through get_queryset;
- every foreign key and many-to-many a form accepts (select, autocomplete, raw id, inline,
  list_editable) offers and accepts only rows in scope, so a typed or forged id of another unit is
  "not a valid choice"; the raw-id widget does not name a posted foreign row either; the relation
  that carries the row's own unit is required (a branch account cannot make a row company-wide);
- filters in the sidebar list only related rows in scope;
- company-wide reference data (scoping.SHARED) is read-only, and RESTRICTED models (groups,
  permissions, schedules, login records) are invisible, for everyone but company-wide accounts
  and superusers respectively."""

from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.utils import get_fields_from_path
from django.core import checks
from django.db.models import Q

from . import scoping
from .selectors import scope_queryset


def scoped_queryset(queryset, user):
    """`queryset` limited to what `user` may reach in the admin, by its model's scope."""
    scope = scoping.scope_of(queryset.model)
    if scope == scoping.RESTRICTED:
        return queryset if (user.is_active and user.is_superuser) else queryset.none()
    if scope == scoping.SHARED:
        return queryset
    return scope_queryset(queryset, user, scope)


class _ScopedRawIdMixin:
    """Names the chosen row next to a raw-id box only when the form would accept it: a posted id of
    another unit is not looked up (that would tell its name)."""

    scoped_queryset = None

    def label_and_url_for_value(self, value):
        if value and self.scoped_queryset is not None:
            key = self.rel.get_related_field().name
            values = value if isinstance(value, (list, tuple)) else str(value).split(",")
            try:
                if self.scoped_queryset.filter(**{f"{key}__in": values}).count() != len(set(values)):
                    return "", ""
            except (ValueError, TypeError):
                return "", ""
        return super().label_and_url_for_value(value)


class ScopedForeignKeyRawIdWidget(_ScopedRawIdMixin, widgets.ForeignKeyRawIdWidget):
    pass


class ScopedManyToManyRawIdWidget(_ScopedRawIdMixin, widgets.ManyToManyRawIdWidget):
    def label_and_url_for_value(self, value):
        return "", ""  # Django shows no label for many-to-many raw ids either


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """The sidebar filter of a relation, listing only the related rows the user may reach."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        reachable = scoped_queryset(field.related_model._default_manager.all(), request.user)
        return field.get_choices(include_blank=False, ordering=ordering,
                                 limit_choices_to=Q(pk__in=reachable.values("pk")))


class ScopedAdminMixin:
    """Put first in the bases of every ModelAdmin and InlineModelAdmin (see the module's doc)."""

    scoped_admin = True  # what the system check looks for

    # -- the model's own rows -------------------------------------------------------------------
    @property
    def scope(self) -> str:
        return scoping.scope_of(self.model)

    def get_queryset(self, request):
        return scoped_queryset(super().get_queryset(request), request.user)

    def _may_write(self, request) -> bool:
        if self.scope == scoping.RESTRICTED:
            return request.user.is_active and request.user.is_superuser
        if self.scope == scoping.SHARED:
            return scoping.user_is_company_wide(request.user)
        return True

    def _may_read(self, request) -> bool:
        if self.scope == scoping.RESTRICTED:
            return request.user.is_active and request.user.is_superuser
        return True

    def has_module_permission(self, request):
        if not self._may_read(request):
            return False
        return super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may_read(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):  # inlines take (request, obj)
        return self._may_write(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._may_write(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_write(request) and super().has_delete_permission(request, obj)

    # -- relations a form accepts ---------------------------------------------------------------
    def _limit(self, formfield, db_field, request):
        if formfield is None or not hasattr(formfield, "queryset"):
            return formfield
        formfield.queryset = scoped_queryset(formfield.queryset, request.user)
        widget = getattr(formfield.widget, "widget", formfield.widget)  # inside RelatedFieldWidgetWrapper
        if isinstance(widget, widgets.ForeignKeyRawIdWidget):
            widget.scoped_queryset = formfield.queryset
        carries_unit = scoping.is_unit_path(self.scope) and db_field.name == scoping.first_hop(self.scope)
        if carries_unit and not scoping.user_is_company_wide(request.user):
            # The relation that carries the row's unit: emptying it would make the row company-wide.
            formfield.required = True
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if kwargs.get("widget") is None and db_field.name in self.raw_id_fields:
            kwargs["widget"] = ScopedForeignKeyRawIdWidget(db_field.remote_field, self.admin_site,
                                                           using=kwargs.get("using"))
        return self._limit(super().formfield_for_foreignkey(db_field, request, **kwargs), db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if kwargs.get("widget") is None and db_field.name in self.raw_id_fields:
            kwargs["widget"] = ScopedManyToManyRawIdWidget(db_field.remote_field, self.admin_site,
                                                           using=kwargs.get("using"))
        return self._limit(super().formfield_for_manytomany(db_field, request, **kwargs), db_field, request)

    def get_formset(self, request, obj=None, **kwargs):
        """(Inlines.) The hidden id of an inline's rows is a relation too: Django checks it against
        every row of the model for a new row; here only rows in scope are valid."""
        formset = super().get_formset(request, obj, **kwargs)
        user = request.user

        class ScopedFormSet(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                pk = form.fields.get(self._pk_field.name)
                if hasattr(pk, "queryset"):
                    pk.queryset = scoped_queryset(pk.queryset, user)

        ScopedFormSet.__name__ = formset.__name__
        return ScopedFormSet

    # -- the changelist's sidebar ---------------------------------------------------------------
    def get_list_filter(self, request):
        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str):
                field = get_fields_from_path(self.model, entry)[-1]
                if field.is_relation:
                    entry = (entry, ScopedRelatedFieldListFilter)
            scoped.append(entry)
        return scoped


# -- system checks ----------------------------------------------------------------------------------

def _our_models():
    from django.apps import apps

    return [m for m in apps.get_models() if not m._meta.auto_created]


@checks.register(checks.Tags.admin)
def check_scoped_admin(app_configs=None, **kwargs):
    """org.E001: every model has a scope. org.E002: every ModelAdmin and inline of the default
    admin site uses ScopedAdminMixin."""
    errors = []
    for model in _our_models():
        if not scoping.is_registered(model):
            errors.append(checks.Error(f"{model._meta.label} has no unit scope", hint="org.scoping.register",
                                       obj=model, id="org.E001"))
    for model, model_admin in admin.site._registry.items():
        for candidate in (model_admin, *model_admin.inlines):
            if not getattr(candidate, "scoped_admin", False):
                name = getattr(candidate, "__name__", type(candidate).__name__)
                errors.append(checks.Error(
                    f"The admin of {model._meta.label} ({name}) does not use org.admin_scope.ScopedAdminMixin",
                    hint="Put ScopedAdminMixin first in its bases (or make the model RESTRICTED).",
                    obj=candidate, id="org.E002"))
    return errors


def restrict_foreign_admins(site, own_apps) -> None:
    """Re-register the admins of apps that are not ours (auth groups, schedules, login records …)
    with the mixin: their models are RESTRICTED, so only superusers reach them."""
    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label in own_apps or getattr(model_admin, "scoped_admin", False):
            continue
        site.unregister(model)
        site.register(model, _scoped(type(model_admin), inlines=[_scoped(i) for i in model_admin.inlines]))


def _scoped(cls, **attrs):
    if getattr(cls, "scoped_admin", False):
        return cls
    return type(cls.__name__, (ScopedAdminMixin, cls), {"__module__": cls.__module__, **attrs})
