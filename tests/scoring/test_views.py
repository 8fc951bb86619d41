import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from org.models import Role
from scoring import services
from scoring.models import Standard, StandardItem
from tests.factories import make_user

from .factories import SMALL_ROWS, make_standard, make_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_mgr(client, company_manager):
    client.force_login(company_manager)  # standards are company-wide: a manager of the top unit
    return client


def _upload(name="std.xlsx", data=None):
    return SimpleUploadedFile(name, data if data is not None else make_xlsx(SMALL_ROWS),
                              content_type="application/octet-stream")


def test_pages_need_login(client):
    response = client.get(reverse("scoring:standard_list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_every_user_reads_standards(client_a):
    standard = make_standard(name="全公司标准", activate=True)
    body = client_a.get(reverse("scoring:standard_list")).content.decode()
    assert "全公司标准" in body and 'id="import-standard"' not in body
    detail = client_a.get(reverse("scoring:standard_detail", args=[standard.pk]))
    assert detail.status_code == 200
    content = detail.content.decode()
    assert "接地装置" in content and "接地不良不得分" in content and 'id="new-version"' not in content


def test_list_filters_by_status_and_name(client_a):
    make_standard(name="甲标准", activate=True)
    make_standard(name="乙标准")
    body = client_a.get(reverse("scoring:standard_list"), {"status": "draft"}).content.decode()
    assert "乙标准" in body and "甲标准" not in body
    body = client_a.get(reverse("scoring:standard_list"), {"q": "甲"}).content.decode()
    assert "甲标准" in body and "乙标准" not in body
    body = client_a.get(reverse("scoring:standard_list"), {"q": "无此标准"}).content.decode()
    assert "No standards match these filters." in body


def test_empty_list_state(client_mgr):
    body = client_mgr.get(reverse("scoring:standard_list")).content.decode()
    assert "There are no standards yet." in body and reverse("scoring:standard_import") in body


def test_inspector_cannot_change_standards(client_a):
    standard = make_standard()
    assert client_a.get(reverse("scoring:standard_import")).status_code == 403
    assert client_a.post(reverse("scoring:standard_import"), {"name": "x", "file": _upload()}).status_code == 403
    for name in ("standard_activate", "standard_new_version", "standard_retire"):
        assert client_a.post(reverse(f"scoring:{name}", args=[standard.pk])).status_code == 403
    standard.refresh_from_db()
    assert standard.status == Standard.Status.DRAFT and Standard.objects.count() == 1


def test_leader_cannot_import(client, branch_a):
    client.force_login(make_user(branch_a, Role.LEADER, username="leader"))
    assert client.get(reverse("scoring:standard_import")).status_code == 403


def test_manager_imports_activates_and_versions(client_mgr, company_manager):
    response = client_mgr.post(reverse("scoring:standard_import"), {"name": "上传标准", "file": _upload()})
    standard = Standard.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:standard_detail", args=[standard.pk])
    assert standard.created_by == company_manager and standard.item_count == len(SMALL_ROWS)
    client_mgr.post(reverse("scoring:standard_activate", args=[standard.pk]))
    standard.refresh_from_db()
    assert standard.status == Standard.Status.ACTIVE
    response = client_mgr.post(reverse("scoring:standard_new_version", args=[standard.pk]))
    draft = Standard.objects.get(status=Standard.Status.DRAFT)
    assert draft.previous == standard and response["Location"] == reverse("scoring:standard_detail", args=[draft.pk])
    # activating twice is refused with a message, not an error page
    response = client_mgr.post(reverse("scoring:standard_activate", args=[standard.pk]), follow=True)
    assert "Only a draft can be activated" in response.content.decode()


def test_superuser_without_membership_may_manage(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    assert client.get(reverse("scoring:standard_import")).status_code == 200


def test_upload_errors_are_listed_and_nothing_saved(client_mgr):
    bad = make_xlsx([["1", "甲", 9, "", ""], ["1.1", "", "abc", "", ""], ["3.1", "乙", -1, "", ""]])
    response = client_mgr.post(reverse("scoring:standard_import"), {"name": "坏文件", "file": _upload(data=bad)})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="import-errors"' in body
    for fragment in ("<td>3</td><td>B (评价项目)</td>", "<td>3</td><td>C (应得分)</td>", "<td>4</td><td>A (序号)</td>",
                     "<td>4</td><td>C (应得分)</td>"):
        assert fragment in body
    assert Standard.objects.count() == 0 and StandardItem.objects.count() == 0


def test_upload_of_a_text_file(client_mgr):
    response = client_mgr.post(reverse("scoring:standard_import"),
                               {"name": "文本", "file": _upload("std.xlsx", b"just text")})
    assert response.status_code == 400 and "not an Excel workbook" in response.content.decode()
    assert Standard.objects.count() == 0


def test_export_download(client_a):
    standard = make_standard(name="下载")
    response = client_a.get(reverse("scoring:standard_export", args=[standard.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    assert response.content[:2] == b"PK"


def test_missing_standard_is_404(client_a):
    assert client_a.get(reverse("scoring:standard_detail", args=[999999])).status_code == 404


# session, user with membership and unit (one query), then the page's own queries
LIST_QUERIES = 4  # + count, page of standards
DETAIL_QUERIES = 5  # + standard (with previous and author), items, versions


def _count(client, url, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    return response


def test_list_query_count_is_constant(client_mgr, django_assert_num_queries):
    make_standard(name="一")
    _count(client_mgr, reverse("scoring:standard_list") + "?status=draft", django_assert_num_queries, LIST_QUERIES)
    for n in range(30):
        make_standard(name=f"多{n}", activate=n % 2 == 0)
    response = _count(client_mgr, reverse("scoring:standard_list") + "?status=draft&q=多",
                      django_assert_num_queries, LIST_QUERIES)
    assert response.content.decode().count('href="/standards/') >= 15


def test_detail_query_count_is_constant(client_mgr, django_assert_num_queries):
    small = make_standard(name="小", activate=True)
    _count(client_mgr, reverse("scoring:standard_detail", args=[small.pk]), django_assert_num_queries, DETAIL_QUERIES)
    rows = [["1", "大", None, "", ""]] + [[f"1.{i}", f"项{i}", 1, "要点", "是"] for i in range(1, 120)]
    first = make_standard(name="大", rows=rows, activate=True)
    big = services.standard_new_version(standard=first)
    response = _count(client_mgr, reverse("scoring:standard_detail", args=[big.pk]), django_assert_num_queries,
                      DETAIL_QUERIES)
    assert response.content.decode().count("data-code=") == 120


def test_a_branch_manager_reads_standards_but_changes_none(client, manager_a):
    """Standards are company-wide (as in the Django admin): a branch's manager gets no import
    button, and posting an action anyway is refused."""
    active = make_standard(name="公司标准", activate=True)
    client.force_login(manager_a)
    assert "/standards/import/" not in client.get(reverse("scoring:standard_list")).content.decode()
    assert client.get(reverse("scoring:standard_import")).status_code == 403
    client.post(reverse("scoring:standard_retire", args=[active.pk]))
    active.refresh_from_db()
    assert active.status == Standard.Status.ACTIVE
