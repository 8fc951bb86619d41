"""SMS: one small interface, `send(to, text)`, with the backend named by the SMS_BACKEND setting.

To plug a provider, write a class with a `send(self, to: str, text: str) -> None` method that
raises on failure (the outbox then retries with backoff), e.g. `myproject.sms.AliyunBackend`
calling the provider's HTTP API with credentials read from the environment, and set
`SMS_BACKEND=myproject.sms.AliyunBackend`. The texts come from the outbox, already rendered and
cut to SMS_MAX_CHARS (templates notifications/sms/<kind>.txt)."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")


class InvalidPhoneNumber(ValueError):
    pass


class BaseBackend:
    def send(self, to: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class LoggingBackend(BaseBackend):
    """The default: writes each SMS to the log (logger notifications.sms) instead of sending it."""

    def send(self, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", to, text)


class LocmemBackend(BaseBackend):
    """Keeps the texts in `LocmemBackend.outbox` (tests)."""

    outbox: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        LocmemBackend.outbox.append((to, text))


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()


def send(to: str, text: str) -> None:
    """Send one SMS through the configured backend; raises on an invalid number or a provider error."""
    if not PHONE.match((to or "").strip()):
        raise InvalidPhoneNumber(f"not a phone number: {to!r}")
    get_backend().send(to.strip(), text)
