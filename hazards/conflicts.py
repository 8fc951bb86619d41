"""Two people editing one hazard file: the second save meets "changed meanwhile". The page then
shows the CURRENT file, carries over only the fields this user actually changed (marked), and
flags those the other person changed too, with the value they left. Saving again can no longer
silently put back what the first person replaced (issue 11, fault 2).

What "this user changed" means: the edit form carries, signed, the values it showed when it was
loaded (`original`); a field changed is one whose posted value differs from that."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core import signing
from django.db import models

from org import display

SALT = "hazards.edit.original"


def as_text(value) -> str:
    """A field value as a form shows and posts it, for comparing two of them."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value).replace("\r\n", "\n").strip()


def shown_values(form) -> dict[str, str]:
    """The values an unbound edit form shows, by field name (the editable fields only)."""
    return {name: as_text(form[name].value()) for name in editable_names(form)}


def editable_names(form) -> list[str]:
    return [name for name, f in form.fields.items()
            if name not in ("expected_version", "original") and not f.disabled]


def sign(values: dict[str, str]) -> str:
    return signing.dumps(values, salt=SALT, compress=True)


def unsign(token: str) -> dict[str, str] | None:
    try:
        return signing.loads(token or "", salt=SALT)
    except signing.BadSignature:
        return None


def user_changes(form) -> dict[str, str]:
    """{name: posted text} of the fields the user changed from what the form showed; every
    posted field when the form carried no (valid) original."""
    original = unsign(form.data.get("original", ""))
    changed = {}
    for name in editable_names(form):
        f = form.fields[name]
        posted = form.data.get(name, "")
        try:
            now = as_text(f.to_python(posted))
        except Exception:  # noqa: BLE001 - an unparsable value is a change the user made
            now = as_text(posted)
        if original is None:
            changed[name] = posted
            continue
        try:
            before = as_text(f.to_python(original.get(name, "")))
        except Exception:  # noqa: BLE001
            before = original.get(name, "")
        if now != before:
            changed[name] = posted
    return changed


@dataclass
class CarriedOver:
    data: dict
    carried: set[str] = field(default_factory=set)
    # name -> the value the other person left (shown in words), for fields both people changed
    clashes: dict[str, str] = field(default_factory=dict)


def carry_over(posted_form, fresh_form, hazard) -> CarriedOver:
    """The data of the conflict page's form: the hazard's current values with this user's own
    changes on top; which fields were carried, and which of them the other person changed too."""
    original = unsign(posted_form.data.get("original", "")) or {}
    current = shown_values(fresh_form)
    mine = user_changes(posted_form)
    data = {**current, **mine, "expected_version": str(hazard.version), "original": sign(current)}
    clashes = {}
    for name in mine:
        if name in original and original[name] != current.get(name):
            clashes[name] = display.stored_value(type(hazard), name, getattr(hazard, name, None))
    return CarriedOver(data=data, carried=set(mine), clashes=clashes)


def mark(form, carried: CarriedOver) -> None:
    """Mark the carried fields on the form's fields (read by hazards/_field.html)."""
    for name in carried.carried:
        if name in form.fields:
            form.fields[name].carried = True
            form.fields[name].clash = carried.clashes.get(name, "")
