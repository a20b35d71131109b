import pytest
from django.urls import reverse
from tests.browser.test_analytics_admin import _seed_kpis, memory_metrics  # noqa
from tests.accounts.security_support import enable_totp
from tests.browser.messaging_support import open_as
from tests.browser.wellbeing_support import speak
from tests.world import World
from loom.core import ops

pytestmark = pytest.mark.browser

@pytest.mark.parametrize(("language", "viewport"), [("en", "1280"), ("he", "375")])
def test_shots(open_page, server_url, language, viewport, memory_metrics):
    world = World.build()
    admin = speak(world.admin, language)
    enable_totp(admin)
    _seed_kpis()
    for s in (200, 200, 500):
        memory_metrics.record(ops.observation(route="journal:entry", status=s, seconds=0.05, request_id="rq1"))
    page = open_as(open_page, admin, server_url, reverse("analytics_admin:kpis"))
    for name in ("kpis", "operations", "business"):
        page.goto(reverse(f"analytics_admin:{name}"))
        h = page.evaluate("document.documentElement.scrollHeight")
        for i, y in enumerate(range(0, min(h, 6000), 1400)):
            page.screenshot(path=f"/tmp/adm/{name}-{language}-{i}.png", clip={"x": 0, "y": y, "width": page.viewport_size["width"], "height": 1400}, full_page=True)
    page.goto(reverse("analytics_admin:kpi", args=["onboarding_completion"]))
    page.screenshot(path=f"/tmp/adm/kpi-{language}.png", full_page=True)
