"""The drawn signature is an upload too (a PNG data URL from the canvas): every hostile or odd file
of the upload matrix (tests.samples.MATRIX), sent as the signature through the party's page, is
refused with the page's message and nothing kept, except a real PNG with ink on it, which is stored
under a generated name and served only to staff of the hazard's units with safe headers."""

import base64
import re

import pytest
from django.test import Client
from django.urls import reverse

from hazards.models import Hazard
from portal.models import PartyAction
from tests import samples
from tests.test_upload_matrix import media_files

from .conftest import link_for, once, open_link

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("case", list(samples.MATRIX))
def test_signature_matrix(client, notified, case, manager_a, manager_b):
    make_upload, photo_outcome, _document_outcome = samples.MATRIX[case]
    data = make_upload().read()
    link, path = link_for(notified.notices.get())
    page = open_link(client, path)
    html = client.get(page + "?lang=en").content.decode()
    before = media_files()
    response = client.post(reverse("portal:acknowledge", args=[link.selector]), {
        "acknowledged_by_name": "王建国", "signature": "data:image/png;base64," + base64.b64encode(data).decode(),
        "once_token": once(html)})
    body = response.content.decode()
    if photo_outcome != ".png":
        assert response.status_code == 200
        assert "The signature could not be read" in body or "Please sign in the box" in body
        assert not PartyAction.objects.exists() and media_files() == before
        assert Hazard.objects.get(pk=notified.pk).status == Hazard.Status.NOTIFIED
        return
    assert response.status_code == 302
    row = PartyAction.objects.get()
    assert re.fullmatch(r"portal/signatures/\d{4}/\d{2}/[0-9a-f]{32}\.png", row.signature.name)
    staff = Client()
    staff.force_login(manager_a)
    served = staff.get(row.signature.url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff" and served["Cache-Control"] == "private, no-store"
    assert served["Content-Security-Policy"].startswith("default-src 'none'")
    other = Client()
    other.force_login(manager_b)
    assert other.get(row.signature.url).status_code == 404
    assert Client().get(row.signature.url).status_code == 302  # to the login page
