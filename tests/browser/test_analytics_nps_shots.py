import pytest
from datetime import timedelta
from django.utils import timezone
from tests.accounts.security_support import enable_totp
from tests.analytics.test_nps_support import completed_session, response
from tests.browser.messaging_support import open_as
from tests.browser.wellbeing_support import speak
from tests.world import World

pytestmark = pytest.mark.browser

@pytest.mark.parametrize(("language", "viewport"), [("en", "1280"), ("he", "375")])
def test_shots(open_page, server_url, language, viewport):
    world = World.build()
    client = speak(world.avi, language)
    admin = speak(world.admin, language)
    enable_totp(admin)
    completed_session(world.dana, client, completed_at=timezone.now() - timedelta(minutes=5))
    page = open_as(open_page, client, server_url, "/client/")
    page.locator("#nps-survey").screenshot(path=f"/tmp/nps-panel-{language}.png")
    response(world.noa, period="2026-11", score=9, comment="Great <b>stuff</b>", at=timezone.now())
    response(world.maya, period="2026-11", score=4, at=timezone.now())
    response(world.dana, period="2026-11", score=7, at=timezone.now())
    apage = open_as(open_page, admin, server_url, "/admin-area/analytics/nps/")
    apage.screenshot(path=f"/tmp/nps-admin-{language}.png", full_page=True)
