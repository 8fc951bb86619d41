"""Scoped downloads of notices, reports and photos (never a public media URL): other units' files
answer 404 like missing ones."""

from django.contrib.auth.decorators import login_required

from org import selectors as org_selectors
from org.uploads import file_response

from ..models import AuthorityReport, HazardPhoto, Notice, ReplyPhoto


@login_required
def notice_file(request, pk: int, which: str = "document"):
    notice = org_selectors.get_for_user_or_404(Notice.objects.all(), request.user, unit_field="site__unit", pk=pk)
    if which == "signed":
        return file_response(notice.signed_scan, download_name=f"{notice.number}-signed")
    return file_response(notice.file, download_name=notice.number)


@login_required
def report_file(request, pk: int):
    report = org_selectors.get_for_user_or_404(AuthorityReport.objects.select_related("hazard"), request.user,
                                               unit_field="hazard__unit", pk=pk)
    return file_response(report.document, download_name=f"{report.hazard.number}-report-{report.pk}")


@login_required
def photo_file(request, pk: int, size: str = "full"):
    photo = org_selectors.get_for_user_or_404(HazardPhoto.objects.select_related("hazard"), request.user,
                                              unit_field="hazard__unit", pk=pk)
    return _photo_response(photo, f"{photo.hazard.number}-photo-{photo.pk}", size)


@login_required
def reply_photo_file(request, pk: int, size: str = "full"):
    photo = org_selectors.get_for_user_or_404(ReplyPhoto.objects.select_related("reply__hazard"), request.user,
                                              unit_field="reply__hazard__unit", pk=pk)
    return _photo_response(photo, f"{photo.reply.hazard.number}-reply-photo-{photo.pk}", size)


def _photo_response(photo, name: str, size: str):
    if size == "thumb" and photo.thumbnail:
        return file_response(photo.thumbnail, download_name=f"{name}-thumb")
    return file_response(photo.image, download_name=name)
