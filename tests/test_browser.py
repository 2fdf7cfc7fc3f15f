"""What a newcomer sees, in a real browser (Debian's Chromium, headless, driven by Playwright).

The page's personal bits arrive by JavaScript from /_fragments/ (the AJAX variant: there is no
edge cache in front of the test server), and forms take their CSRF token from the cookie.
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.credentials import DEMO_READERS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_follows_a_headline_signs_in_and_saves_the_article(
    live_server, browser_page, artifacts
):
    call_command("seed", "--articles", "300", verbosity=0)
    page = browser_page

    page.goto(live_server.url)
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.screenshot(path=artifacts / "home.png", full_page=True)

    lead = page.locator(".lead-story__headline a")
    headline = lead.inner_text()
    lead.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(headline)
    article_url = page.url

    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(DEMO_READERS["alice"])
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(article_url)
    expect(page.locator(".personal-bar")).to_contain_text("Hi, alice")
    saved_before = int(re.search(r"Saved \((\d+)\)", page.locator(".personal-bar").inner_text())[1])

    page.get_by_role("button", name="Save for later").click()

    expect(page).to_have_url(article_url)
    expect(page.locator(".messages")).to_contain_text(f"Saved “{headline}”")
    expect(page.get_by_role("button", name="Saved")).to_be_visible()
    expect(page.locator(".personal-bar")).to_contain_text(f"Saved ({saved_before + 1})")
    page.screenshot(path=artifacts / "article-signed-in.png", full_page=True)

    page.get_by_role("link", name=f"Saved ({saved_before + 1})").click()
    expect(page.get_by_role("link", name=headline)).to_be_visible()
