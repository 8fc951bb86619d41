"""What the hazard pages share: the words of a refusal, the role check of buttons shown outside a
hazard, form errors from a service's ValidationError. Private to hazards.views."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .. import lifecycle, rules
from ..lifecycle import ActionRefused

CHANGED_MEANWHILE = _("This hazard was changed by someone else meanwhile; the page now shows the current state. "
                      "Please check and try again.")
EDIT_CHANGED_MEANWHILE = _("Someone else changed this hazard file while you were editing it. The form now shows "
                           "the current file with your own changes kept and marked: check them and save again.")
FILES_AGAIN = _("Files you chose were not kept: please choose them again.")


overdue_days = rules.hazard_days_overdue  # the old name, kept for callers


def _may(user, action) -> bool:
    """Whether the user's role may take `action` at all (the buttons shown outside a hazard)."""
    return lifecycle.role_may(user, action)


def _add_validation_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _refusal(hazard, action, user):
    try:
        lifecycle.check(hazard, action, user)
    except ActionRefused as exc:
        return exc.message
    return None
