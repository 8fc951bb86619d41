from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from org.admin_scope import ScopedAdminMixin

from . import services
from .models import PartyAction, PartyLink


class PartyActionInline(ScopedAdminMixin, admin.TabularInline):
    model = PartyAction
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("at", "hazard", "action", "party_name", "client_ip", "user_agent", "signature_link")
    readonly_fields = fields

    @admin.display(description=_("signature"))
    def signature_link(self, obj):
        return format_html('<a href="{}">{}</a>', obj.signature.url, _("signature")) if obj.signature else "—"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PartyLink)
class PartyLinkAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The party's links: who got one for which notice, when it was opened, whether it still works.
    Read-only; revoking goes through portal.services (the action below). No secret is shown: the
    rows hold only the hash of the link's secret half."""

    list_display = ("notice", "address", "created_at", "opened", "last_used_at", "revoked_at", "state")
    list_filter = ("revoked_at",)
    search_fields = ("notice__number", "address", "selector")
    list_select_related = ("notice",)
    readonly_fields = ("notice", "address", "selector", "created_at", "created_by", "revoked_at", "revoked_by",
                       "revoke_reason", "last_used_at", "opened", "state", "expires")
    fields = readonly_fields
    inlines = [PartyActionInline]
    actions = ["revoke"]
    show_full_result_count = False

    @admin.display(description=_("state"))
    def state(self, obj):
        return services.link_state(obj)

    @admin.display(description=_("valid until"))
    def expires(self, obj):
        return services.link_expires_at(obj)

    @admin.action(description=_("Revoke the selected links"), permissions=["revoke"])
    def revoke(self, request, queryset):
        for link in queryset:
            services.link_revoke(link=link, by=request.user, reason="revoked in the admin")
        messages.success(request, _("The links were revoked."))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a link's row is its audit: never edited

    def has_revoke_permission(self, request):
        return request.user.has_perm("portal.change_partylink")

    def has_delete_permission(self, request, obj=None):
        return False
