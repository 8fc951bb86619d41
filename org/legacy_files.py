"""Files stored before uploads were checked by content (data migrations call these; keep them
stable). Nothing a user uploaded is lost: each file is copied to a generated name with the
extension of the type its content starts like (anything unknown becomes `.bin`, served only as an
opaque download), the row is pointed at the copy, and the old file is removed only once the
migration's transaction has committed."""

from __future__ import annotations

import logging
import os
import uuid

from django.core.files import File
from django.core.files.base import ContentFile

from core.transaction import after_commit

log = logging.getLogger(__name__)


def detected_ext(head: bytes) -> str:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    return "bin"


def _is_generated(name: str) -> bool:
    from org.uploads import GENERATED_NAME

    return bool(GENERATED_NAME.match(os.path.basename(name)))


def rename_stored_files(apps, schema_editor, *, app_label: str, model_name: str, field_names: list[str]) -> None:
    model = apps.get_model(app_label, model_name)
    alias = schema_editor.connection.alias
    for field_name in field_names:
        storage = model._meta.get_field(field_name).storage
        rows = list(model.objects.using(alias).exclude(**{field_name: ""}).values_list("pk", field_name))
        for pk, name in rows:
            if _is_generated(name):
                continue
            try:
                with storage.open(name, "rb") as handle:
                    ext = detected_ext(handle.read(16))
                    handle.seek(0)
                    folder = os.path.dirname(name)
                    new_name = storage.save(f"{folder}/{uuid.uuid4().hex}.{ext}" if folder
                                            else f"{uuid.uuid4().hex}.{ext}", File(handle))
            except FileNotFoundError:
                log.warning("%s.%s %s: stored file %s is missing; left as it is", model_name, field_name, pk, name)
                continue
            model.objects.using(alias).filter(pk=pk).update(**{field_name: new_name})
            after_commit(storage.delete, name, using=alias, robust=False)


def add_missing_thumbnails(apps, schema_editor, *, app_label: str, model_name: str, image_field: str,
                           thumbnail_field: str) -> None:
    """Thumbnails for photos stored before they had one; a photo that cannot be read keeps none
    (its view then serves the photo itself)."""
    from django.core.exceptions import ValidationError

    from org.uploads import PHOTO, check_upload

    model = apps.get_model(app_label, model_name)
    alias = schema_editor.connection.alias
    thumb_field = model._meta.get_field(thumbnail_field)
    storage = model._meta.get_field(image_field).storage
    rows = model.objects.using(alias).exclude(**{image_field: ""}).filter(**{thumbnail_field: ""})
    for pk, name in list(rows.values_list("pk", image_field)):
        try:
            with storage.open(name, "rb") as handle:
                checked = check_upload(ContentFile(handle.read(), name=os.path.basename(name)), PHOTO)
        except (FileNotFoundError, ValidationError):
            continue
        thumb = checked.thumbnail_file()
        saved = thumb_field.storage.save(thumb_field.generate_filename(None, thumb.name), thumb)
        model.objects.using(alias).filter(pk=pk).update(**{thumbnail_field: saved})
