"""In a real browser: sign in, open an organisation, switch to Spanish.

Uses Debian's chromium (never a downloaded browser). CI installs it; on a machine without
it this test is skipped with the reason.
"""

import os

import pytest

from tests.chromium import launch, needs_chromium

ARTIFACTS = os.environ.get("BATEA_TEST_ARTIFACTS")

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.fixture
def browser_page(live_server):
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # fixtures happen before any page is driven.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        yield page
        browser.close()


def shot(page, name: str) -> None:
    if ARTIFACTS:
        os.makedirs(ARTIFACTS, exist_ok=True)
        page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_sign_in_open_an_organisation_and_switch_to_spanish(world, live_server, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "manager_a")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text().startswith("Welcome")

    page.click("text=Alpha Gold Cooperative")
    page.wait_for_url(f"**/orgs/{world.org_a.slug}/")
    assert page.locator("h1").inner_text() == "Alpha Gold Cooperative"
    page.wait_for_selector("#site-map .leaflet-interactive")  # the site is drawn on the map
    shot(page, "organisation-en")

    page.select_option("#language-select", "es")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/orgs/{world.org_a.slug}/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert "Miembros" in page.locator("#members-title").inner_text()
    assert "Sitios" in page.locator("#sites-title").inner_text()
    shot(page, "organisation-es")
