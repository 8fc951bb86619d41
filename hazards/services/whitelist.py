"""The whitelist: checklist items of a site exempt from inspection until a date (put there by an
accepted "no action needed" reply, or by hand in the admin); audits asks through
audits.hooks.exempt_items."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from org.services import check_unit_in_scope

from ..lifecycle import local_today
from ..models import WhitelistEntry


def whitelist_active_items(*, site, on_date) -> set[int]:
    """Standard item ids exempt for `site` on `on_date` (frozen until that date or later)."""
    return set(WhitelistEntry.objects.filter(site=site, frozen_until__gte=on_date,
                                             revoked_at__isnull=True).values_list("item_id", flat=True))


@transaction.atomic
def whitelist_add(*, site, item, frozen_until, by, reason: str = "", hazard=None) -> WhitelistEntry:
    """Put a checklist item of a site on the whitelist by hand (the admin): the site in the user's
    unit, a leaf item, the hazard (if any) one of that site's, the freeze period in the future."""
    check_unit_in_scope(by, site.unit)
    errors = {}
    if not item.is_leaf:
        errors["item"] = [_("Only a checklist item without sub-items can be whitelisted.")]
    if hazard is not None and hazard.site_id != site.pk:
        errors["hazard"] = [_("The hazard belongs to another site.")]
    if frozen_until is not None and frozen_until <= local_today():
        errors["frozen_until"] = [_("The freeze period must end in the future.")]
    if errors:
        raise ValidationError(errors)
    entry = WhitelistEntry(site=site, item=item, frozen_until=frozen_until, reason=(reason or "").strip(),
                           hazard=hazard, created_by=by)
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def whitelist_update(*, entry, by, frozen_until, reason: str = "") -> WhitelistEntry:
    """Change the freeze period or the reason of an entry not revoked (site and item stay)."""
    entry = WhitelistEntry.objects.select_for_update().select_related("site__unit").get(pk=entry.pk)
    check_unit_in_scope(by, entry.site.unit)
    if entry.revoked_at is not None:
        raise ValidationError(_("A revoked entry cannot be changed."))
    entry.frozen_until, entry.reason = frozen_until, (reason or "").strip()
    entry.full_clean()
    entry.save(update_fields=["frozen_until", "reason"])
    return entry


@transaction.atomic
def whitelist_revoke(*, entry, by) -> WhitelistEntry:
    entry = WhitelistEntry.objects.select_for_update().select_related("site__unit").get(pk=entry.pk)
    check_unit_in_scope(by, entry.site.unit)
    if entry.revoked_at is None:
        entry.revoked_at = timezone.now()
        entry.save(update_fields=["revoked_at"])
    return entry
