"""Two people edit one hazard file (issue 11, fault 2). The second to save is told the file changed
meanwhile; the page then shows the current values, carries over only the fields this person
changed (marked), flags a field both changed, and saving again keeps the first person's edits."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from hazards.models import Hazard
from tests.factories import make_user
from tests.hazards.factories import register

pytestmark = pytest.mark.django_db


class _FormFields(HTMLParser):
    """The fields a browser would send from #hazard-form: {name: value}."""

    def __init__(self):
        super().__init__()
        self.fields, self._in_form, self._textarea, self._select, self._option = {}, False, None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "hazard-form":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "submit"):
            if "disabled" not in a:
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea" and "disabled" not in a:
            self._textarea = a["name"]
            self.fields[self._textarea] = ""
        elif tag == "select" and "disabled" not in a:
            self._select = a["name"]
            self.fields.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_of(response) -> dict:
    parser = _FormFields()
    parser.feed(response.content.decode())
    fields = parser.fields
    fields.pop("csrfmiddlewaretoken", None)
    # a browser sends textareas after dropping the newline right after <textarea>
    return {k: v[1:] if v.startswith("\n") else v for k, v in fields.items()}


@pytest.fixture
def two_editors(branch_a):
    return (make_user(branch_a, "manager", username="first"), make_user(branch_a, "manager", username="second"))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _marked(body: str, name: str) -> bool:
    tag = re.search(rf'<div class="([^"]*)" id="field-{name}">', body)
    return bool(tag) and "hz-carried" in tag.group(1)


def test_the_conflict_page_carries_only_my_changes_and_a_second_save_keeps_the_others(
        two_editors, site_a, category):
    first, second = two_editors
    hazard = register(site=site_a, by=first, category=category, location="1 号配电室", description="接地线松动")
    url = reverse("hazards:hazard_edit", args=[hazard.pk])
    a, b = _client(first), _client(second)
    form_a, form_b = form_of(a.get(url)), form_of(b.get(url))

    assert a.post(url, {**form_a, "location": "2 号配电室"}).status_code == 302
    conflict = b.post(url, {**form_b, "description": "接地线松动，螺栓锈蚀"})
    assert conflict.status_code == 409
    body = conflict.content.decode()
    shown = form_of(conflict)
    assert shown["location"] == "2 号配电室"  # the current value, not the stale one B loaded
    assert shown["description"] == "接地线松动，螺栓锈蚀"  # B's own change, carried over
    assert 'id="field-description"' in body and _marked(body, "description")
    assert not _marked(body, "location")
    assert "check them and save again" in body

    assert b.post(url, shown).status_code == 302
    hazard = Hazard.objects.get(pk=hazard.pk)
    assert (hazard.location, hazard.description) == ("2 号配电室", "接地线松动，螺栓锈蚀")


def test_a_field_both_changed_is_flagged_with_the_value_left_by_the_other(two_editors, site_a, category):
    first, second = two_editors
    hazard = register(site=site_a, by=first, category=category, location="1 号配电室")
    url = reverse("hazards:hazard_edit", args=[hazard.pk])
    a, b = _client(first), _client(second)
    form_a, form_b = form_of(a.get(url)), form_of(b.get(url))
    assert a.post(url, {**form_a, "location": "2 号配电室", "severity": "major"}).status_code == 302
    conflict = b.post(url, {**form_b, "location": "3 号配电室"})
    assert conflict.status_code == 409
    body = conflict.content.decode()
    assert form_of(conflict)["location"] == "3 号配电室" and _marked(body, "location")
    assert "changed meanwhile by someone else to: 2 号配电室" in body
    # the other person's severity change is shown, not reverted
    assert form_of(conflict)["severity"] == "major"


def test_a_forged_original_carries_everything_posted(two_editors, site_a, category):
    """Without a valid snapshot nothing is known of what the user saw: every posted field is theirs
    (the old behaviour), and the page says so by marking them all."""
    first, second = two_editors
    hazard = register(site=site_a, by=first, category=category)
    url = reverse("hazards:hazard_edit", args=[hazard.pk])
    a, b = _client(first), _client(second)
    form_a, form_b = form_of(a.get(url)), form_of(b.get(url))
    a.post(url, {**form_a, "location": "2 号配电室"})
    conflict = b.post(url, {**form_b, "original": "forged"})
    assert conflict.status_code == 409 and _marked(conflict.content.decode(), "location")
