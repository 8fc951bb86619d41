"""In the browser: a photo is added through the hazard page (a PNG named `x.html`, as in the attack),
its thumbnail shows, the photo opens as an image (never a page: no script runs), and a refused
file is named in the form."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from hazards import services
from hazards.models import Hazard
from org.models import Role
from org.uploads import PHOTO
from tests import samples
from tests.e2e.conftest import login, screenshot
from tests.factories import make_user
from tests.hazards.factories import RiskCategoryFactory, today

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_add_photo(page):
    page.click('#hazard-actions [data-action="add_photo"]')
    page.wait_for_selector('#action-modal #action-form[data-action="add_photo"]', state="visible")


def test_photos_are_shown_as_images_never_as_pages(page, live_server, site_a, branch_a):
    manager = make_user(branch_a, Role.MANAGER, username="mgr_photos", password="pw-123456")
    hazard = services.hazard_register(site=site_a, description="电缆沟盖板缺失", category=RiskCategoryFactory(),
                                      discovered_on=today(), by=manager)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, live_server, "mgr_photos", "pw-123456")
    page.goto(f"{live_server.url}{reverse('hazards:hazard_detail', args=[hazard.pk])}")

    # A hostile file is refused, and the form names it.
    open_add_photo(page)
    page.set_input_files("#action-modal #id_photos", files=[
        {"name": "x.svg", "mimeType": "image/svg+xml", "buffer": samples.svg()}])
    with page.expect_navigation():
        page.click("#action-modal #action-submit")
    screenshot(page, "uploads-refused")
    with translation.override("zh-hans"):  # the browser asks for Chinese
        refusal = gettext("%(name)s: %(type)s files are not accepted here; %(hint)s.") % {
            "name": "x.svg", "type": "SVG", "hint": PHOTO.hint}
    assert "此处不接受 SVG 文件" in refusal and page.locator("#action-form").get_by_text(refusal).is_visible()
    assert Hazard.objects.get(pk=hazard.pk).photos.count() == 0

    # A real PNG named x.html is kept as a PNG.
    page.goto(f"{live_server.url}{reverse('hazards:hazard_detail', args=[hazard.pk])}")
    open_add_photo(page)
    page.set_input_files("#action-modal #id_photos", files=[
        {"name": "x.html", "mimeType": "text/html", "buffer": samples.png(size=(160, 120))}])
    with page.expect_navigation():
        page.click("#action-modal #action-submit")
    thumbnail = page.locator("#photos-card img").first
    thumbnail.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    screenshot(page, "uploads-photo-thumbnail")
    photo = Hazard.objects.get(pk=hazard.pk).photos.get()
    assert photo.image.name.endswith(".png")

    # Opened on its own, the photo is an image document, whatever the name it was uploaded under.
    viewer = page.context.new_page()
    response = viewer.goto(f"{live_server.url}{reverse('hazards:photo_file', args=[photo.pk])}")
    assert response.headers["content-type"] == "image/png"
    assert viewer.evaluate("document.contentType") == "image/png"
    assert viewer.evaluate("document.images.length === 1 && document.images[0].naturalWidth") == 160
    assert dialogs == []
