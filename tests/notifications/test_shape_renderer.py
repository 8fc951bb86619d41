"""The scan's renderer (one template render per shape, values put in afterwards) writes exactly what
render_message writes, for every channel, kind, language, plural and awkward value."""

import itertools

import pytest

from notifications.models import Channel, Kind
from notifications.rendering import ShapeRenderer, render_message

SITES = ["甲客户", "A & B <Ltd> \"x\"", "很长的客户名称" * 8, "{{ site_name }} %(x)s"]


@pytest.mark.parametrize("channel", Channel.values)
def test_shapes_render_like_the_templates(db, channel):
    renderer = ShapeRenderer()
    kinds = [k for k in Kind.values if k != Kind.OVERDUE_DIGEST]
    for kind, days, language, site, name, url in itertools.product(
            kinds, [0, 1, 3, 12], ["zh-hans", "en"], SITES, ["王建国", ""], ["http://x/hazards/1/", ""]):
        context = {"signature": "【江州供电】", "hazard_number": "YH-2026-000001", "site_name": site,
                   "deadline": "2026-12-10", "new_deadline": "2026-12-24", "notice_number": "GZ-2026-00001",
                   "days": days, "recipient_name": name, "about_label": "YH-2026-000001", "url": url,
                   "approved": days % 2 == 0, "comment": "理由" if days else ""}
        expected = render_message(channel=channel, kind=kind, context=context, language=language)
        assert renderer.render(channel=channel, kind=kind, context=context, language=language) == expected, (
            kind, days, language, site, name, url)
    # a few shapes served every message
    assert len(renderer._shapes) <= len(kinds) * 4 * 2 * 2 * 2 * 2 * 2


def test_contexts_it_cannot_shape_are_rendered_in_full(db):
    renderer = ShapeRenderer()
    digest = {"hazards": [{"number": "YH-1", "site_name": "甲", "deadline": "2026-12-01", "days_overdue": 2}]}
    odd = {"hazard_number": "YH-1", "site_name": " 前后空格 ", "deadline": "2026-12-01", "days": 1}
    for kind, context in ((Kind.OVERDUE_DIGEST, digest), (Kind.REMINDER_BEFORE, odd)):
        expected = render_message(channel=Channel.EMAIL, kind=kind, context=context, language="en")
        assert renderer.render(channel=Channel.EMAIL, kind=kind, context=context, language="en") == expected
    assert renderer._shapes == {}
