"""The error pages a deployed site shows: translated, under the CSP, and the server-error page
renders with the database down (no context processors, no session, no manifest lookup)."""

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from org.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SERVER_ERROR = {"en": "Something went wrong on our side", "zh-hans": "系统出错了"}


def _client(language: str, **kwargs) -> Client:
    client = Client(raise_request_exception=False, **kwargs)
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_server_error_page_renders_with_the_database_down(branch_a, language):
    # given a logged-in user whose next request finds the database gone
    client = _client(language)
    client.force_login(make_user(branch_a, Role.MANAGER, username="m"))
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("database is down")):
        response = client.get("/")
    # then our page, in the user's language, under the policy, with no reference to Django's default
    assert response.status_code == 500
    body = response.content.decode()
    assert SERVER_ERROR[language] in body
    assert 'id="error-page"' in body and "Server Error (500)" not in body
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<style" not in body and "<script" not in body and "style=" not in body


def test_server_error_template_needs_no_request_and_no_query(django_assert_num_queries):
    with django_assert_num_queries(0), translation.override("zh-hans"):
        html = render_to_string("500.html")
    assert SERVER_ERROR["zh-hans"] in html and 'lang="zh-CN"' in html
    assert "/static/css/errors.css" in html  # plain name: works without collectstatic's manifest


@pytest.mark.parametrize(("language", "text"), [("en", "The request could not be understood"),
                                                ("zh-hans", "无法识别")])
def test_bad_request_page(language, text):
    response = _client(language).get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert text in response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(("language", "text"), [("en", "The form could not be accepted"), ("zh-hans", "表单未被接受")])
def test_csrf_failure_page(language, text):
    response = _client(language, enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    body = response.content.decode()
    assert text in body and "CSRF verification failed" not in body


@pytest.mark.parametrize(("language", "text"), [("en", "The page does not exist"), ("zh-hans", "页面不存在")])
def test_not_found_page(language, text):
    response = _client(language).get("/no-such-page/")
    assert response.status_code == 404
    assert text in response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
