"""The outbox in the admin: filters, search, resend through the service, template preview, scoping
by unit; the notification settings row, for superusers only."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from notifications import delivery, services
from notifications.models import Channel, Kind, Message, NotificationConfig
from notifications.selectors import notification_config, sender_from_email
from org.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456"))
    return client


def email(key, unit=None, **extra):
    return services.message_enqueue(channel=Channel.EMAIL, kind=Kind.ESCALATION, dedupe_key=key, unit=unit,
                                    recipient_address=f"{key}@example.com", subject=f"主题 {key}", body="正文", **extra)


def test_changelist_filters_and_search(root_client, settings):
    email("alpha")
    dead = email("beta")
    Message.objects.filter(pk=dead.pk).update(status=Message.Status.DEAD)
    url = reverse("admin:notifications_message_changelist")
    body = root_client.get(url, {"status__exact": "dead"}).content.decode()
    assert "beta@example.com" in body and "alpha@example.com" not in body
    body = root_client.get(url, {"q": "alpha"}).content.decode()
    assert "alpha@example.com" in body and "beta@example.com" not in body
    for params in ({"channel__exact": "email"}, {"kind__exact": "escalation"},
                   {"created_at__gte": "2026-01-01T00:00:00+08:00"}):
        assert root_client.get(url, params).status_code == 200


def test_resend_action_queues_the_same_row_and_delivers_once(root_client, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.notifications.conftest.FailingBackend"
    settings.NOTIFY_MAX_ATTEMPTS = 1
    message = email("gamma")
    delivery.message_deliver(ids=[message.pk])
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = root_client.post(reverse("admin:notifications_message_changelist"),
                                    {"action": "resend", "_selected_action": [message.pk]}, follow=True)
    assert "1 message queued again." in response.content.decode()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and Message.objects.count() == 1 and len(mail.outbox) == 1


@pytest.mark.parametrize("language, expected", [("zh-hans", "提醒：隐患 YH-2026-000123 整改期限为 2026-12-10"),
                                                ("en", "Reminder: hazard YH-2026-000123 is due on 2026-12-10")])
def test_template_preview(root_client, language, expected):
    response = root_client.get(reverse("admin:notifications_message_preview"),
                               {"kind": "reminder_before", "channel": "email", "language": language})
    assert response.status_code == 200 and expected in response.content.decode()


def test_every_kind_and_channel_renders_in_both_languages(root_client):
    for kind in Kind.values:
        for channel in Channel.values:
            for language in ("zh-hans", "en"):
                response = root_client.get(reverse("admin:notifications_message_preview"),
                                           {"kind": kind, "channel": channel, "language": language})
                assert response.status_code == 200
                assert 'id="preview-body"' in response.content.decode(), (kind, channel, language)


def test_a_unit_sees_only_its_messages(client, branch_a, branch_b):
    email("ours", unit=branch_a)
    email("theirs", unit=branch_b)
    email("nobodys")
    user = make_user(branch_a, Role.ADMIN, username="adm")
    user.is_superuser = user.is_staff = True
    user.save()
    client.force_login(user)
    body = client.get(reverse("admin:notifications_message_changelist")).content.decode()
    assert "ours@example.com" in body and "theirs@example.com" not in body and "nobodys@example.com" not in body


def test_settings_are_for_superusers_only(client, admin_a):
    admin_a.is_staff = True
    admin_a.save()
    client.force_login(admin_a)
    assert client.get(reverse("admin:notifications_notificationconfig_add")).status_code == 403


def test_settings_saved_and_validated(root_client, settings):
    url = reverse("admin:notifications_notificationconfig_add")
    data = {"reminder_offsets": "5, 2", "remind_on_due_day": "on", "supervision_after_days": 3,
            "leader_escalation_after_days": 2, "from_email": "江州供电 <notify@jz.example>", "reply_to": "",
            "sms_signature": "【江州供电】"}
    response = root_client.post(url, data)
    assert response.status_code == 200 and not NotificationConfig.objects.exists()
    assert "The leader escalation must come after the supervision notice." in response.content.decode()
    response = root_client.post(url, {**data, "leader_escalation_after_days": 10})
    assert response.status_code == 302
    config = notification_config()
    assert config.pk == 1 and config.offsets == [5, 2] and config.leader_escalation_after_days == 10
    assert sender_from_email() == "江州供电 <notify@jz.example>"
    # one row only: no second add
    assert root_client.get(url).status_code == 403


@pytest.mark.parametrize("offsets", ["3,x", "0", "400"])
def test_bad_offsets_are_named(offsets):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        NotificationConfig(reminder_offsets=offsets).full_clean()
    assert "reminder_offsets" in exc.value.message_dict


def test_defaults_without_a_saved_row(settings):
    settings.NOTIFY_FROM_EMAIL = "env@example.com"
    config = notification_config()
    assert (config.offsets, config.remind_on_due_day, config.supervision_after_days,
            config.leader_escalation_after_days) == ([3, 1], True, 3, 7)
    assert sender_from_email() == "env@example.com"
