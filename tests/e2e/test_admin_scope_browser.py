"""The scoped admin in the browser (issue 8, faults 1 and 2): a branch administrator adds an account
through the Django admin; the unit picker (autocomplete) offers only units of their branch, the
company root typed by id is refused, the role list has no administrator, and the page runs under
the Content-Security-Policy."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from org.models import OrgUnit, Role
from org.services import sync_role_groups
from tests.factories import OrgUnitFactory, make_user

from .conftest import login, screenshot, watch_csp

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Zq-7!browser-Strong"


@pytest.fixture
def branches(db):
    sync_role_groups()
    company = OrgUnitFactory(code="CO", name="江州公司", kind=OrgUnit.Kind.COMPANY)
    west = OrgUnitFactory(code="W", name="城西分公司", parent=company)
    OrgUnitFactory(code="W-T1", name="西山所", kind=OrgUnit.Kind.TEAM, parent=west)
    OrgUnitFactory(code="E", name="城东分公司", parent=company)
    make_user(west, Role.ADMIN, username="west_adm", password=PASSWORD)
    return company, west


def _pick_unit(page, term):
    """The unit picker's options for a typed term (Django's select2 autocomplete, opened through its
    own jQuery: a synthetic click can arrive before select2 has bound its handlers)."""
    page.wait_for_load_state("networkidle")
    page.evaluate("django.jQuery('#id_membership-0-unit').select2('open')")
    page.locator(".select2-container--open .select2-search__field").fill(term)
    page.wait_for_timeout(800)  # the autocomplete's debounce (250 ms) and request
    page.wait_for_load_state("networkidle")
    return page.locator(".select2-results__option").all_inner_texts()


def test_a_branch_admin_adds_an_account_of_their_branch_only(page, live_server, branches):
    company, west = branches
    violations = watch_csp(page)
    login(page, live_server, "west_adm", PASSWORD)
    page.goto(f"{live_server.url}{reverse('admin:auth_user_add')}")
    roles = page.locator("#id_membership-0-role option").all_inner_texts()
    assert "Administrator" not in roles and "管理员" not in roles, roles
    foreign = _pick_unit(page, "城东")
    assert all("城东" not in o for o in foreign), foreign  # "no results", never the other branch
    page.keyboard.press("Escape")
    options = _pick_unit(page, "西山")
    assert any("西山所" in o for o in options), options
    page.locator(".select2-results__option", has_text="西山所").click()
    page.fill("#id_username", "new_inspector")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    screenshot(page, "admin-scope-user-add")
    with page.expect_navigation():
        page.click("input[name=_save]")
    user = get_user_model().objects.get(username="new_inspector")
    assert user.membership.unit.code == "W-T1" and not user.is_superuser
    # The root unit's id, forced into the picker's select, is refused like a forged form.
    page.goto(f"{live_server.url}{reverse('admin:auth_user_add')}")
    page.evaluate(f"""() => {{
        const select = document.getElementById('id_membership-0-unit');
        select.add(new Option('root', '{company.pk}', true, true));
    }}""")
    page.fill("#id_username", "root_reader")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    with page.expect_navigation():
        page.click("input[name=_save]")
    assert page.locator(".errorlist").count() >= 1
    assert not get_user_model().objects.filter(username="root_reader").exists()
    assert not violations, violations
