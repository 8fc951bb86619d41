"""The after-commit seam (core.transaction) and registered hooks (core.hooks)."""

import pytest
from django.db import transaction

from audits import hooks as audit_hooks
from core.hooks import Hook
from core.transaction import after_commit, in_transaction
from hazards import selectors as hazard_selectors
from hazards import services as hazard_services


@pytest.mark.django_db(transaction=True)
def test_after_commit_runs_after_commit_and_never_after_a_rollback():
    calls = []
    with transaction.atomic():
        after_commit(calls.append, "committed")
        assert in_transaction() and calls == []  # nothing happens inside the transaction
    assert calls == ["committed"]

    with pytest.raises(RuntimeError), transaction.atomic():
        after_commit(calls.append, "rolled back")
        raise RuntimeError
    assert calls == ["committed"]


@pytest.mark.django_db(transaction=True)
def test_a_failing_callback_does_not_stop_the_others(caplog):
    calls = []

    def boom():
        raise ValueError("delivery is down")

    with transaction.atomic():
        after_commit(boom)
        after_commit(calls.append, "second")
    assert calls == ["second"]
    assert "boom" in caplog.text  # logged by its name


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_runs_at_once():
    calls = []
    assert not in_transaction()
    after_commit(calls.append, 1, )
    assert calls == [1]


def test_a_hook_keeps_one_registration_per_function():
    hook = Hook("test.hook")

    def answer(*, x):
        return x * 2

    hook.register(answer)
    hook.register(answer)
    assert hook.call(x=2) == [4]
    hook.unregister(answer)
    assert hook.call(x=2) == []


def test_hazards_answers_what_audits_asks():
    # Registered by hazards' AppConfig.ready(), whatever the order of INSTALLED_APPS.
    assert hazard_services.whitelist_active_items in audit_hooks.exempt_items.receivers
    assert hazard_selectors.findings_panel in audit_hooks.inspection_panels.receivers
