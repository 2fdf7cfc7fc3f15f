"""Security headers: a Content-Security-Policy that allows no inline script (and the site still
works under it, in a real browser), a Permissions-Policy, and a Server-Timing header that tells
strangers only what they could time themselves unless asked for its detail."""

import re
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from playwright.sync_api import expect

from articles.models import Article
from demo.credentials import DEMO_READERS
from tests.server_timing import server_timing

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def policy(response):
    header = response["Content-Security-Policy"]
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in header.split(";")
        if directive.strip()
    }


@pytest.mark.django_db
def test_every_page_forbids_inline_script_and_foreign_sources(client):
    for response in [client.get("/"), client.get("/"), client.get("/no-such-page/")]:
        directives = policy(response)
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


def test_no_template_has_inline_script_event_handlers_or_style_attributes():
    """The policy has no nonce (a nonce cannot work on pages the edge shares), so nothing
    inline may appear in a template; site.js does what needs doing."""
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{template.name}: inline <script>")
        if re.search(r"<style\b", text):
            offenders.append(f"{template.name}: <style>")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{template.name}: event handler attribute")
        if re.search(r"\sstyle\s*=", text):
            offenders.append(f"{template.name}: style attribute")
    assert offenders == []


@pytest.mark.django_db
def test_server_timing_detail_can_be_reduced_to_the_total_or_nothing(client, settings):
    settings.NEWSITE_SERVER_TIMING = "detail"
    assert {"sql", "cache", "template", "app", "total"} <= set(server_timing(client.get("/")))
    settings.NEWSITE_SERVER_TIMING = "total"
    assert set(server_timing(client.get("/"))) == {"total"}
    settings.NEWSITE_SERVER_TIMING = "off"
    assert "Server-Timing" not in client.get("/")


@pytest.mark.varnish
@pytest.mark.postgres
def test_pages_from_the_edge_carry_the_headers(edge):
    url = f"{edge.edge.url}/"
    requests.get(url, timeout=10)
    hit = requests.get(url, timeout=10)
    assert hit.headers["X-Cache"] == "HIT"
    assert "script-src 'self'" in hit.headers["Content-Security-Policy"]
    assert "camera=()" in hit.headers["Permissions-Policy"]
    assert "sql;dur=" in hit.headers["Server-Timing"], "the edge tests run with the detail"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_site_works_in_chromium_under_its_policy_without_a_single_violation(
    live_server, browser_page, admin_user
):
    call_command("seed", "--articles", "100", verbosity=0)
    page = browser_page
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # Every violation also fires this event in the page; it is collected from the start.
    page.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', event =>"
        " window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI));"
    )

    def no_violations():
        return page.evaluate("window.cspViolations")

    page.goto(live_server.url)
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert no_violations() == []

    page.locator(".lead-story__headline a").click()
    article_url = page.url
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(DEMO_READERS["alice"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(article_url)
    # Filled by site.js from /_fragments/ (AJAX), the CSRF token taken from the cookie.
    expect(page.locator(".personal-bar")).to_contain_text("Hi, alice")
    page.get_by_role("button", name="Save for later").click()
    expect(page.get_by_role("button", name="Saved")).to_be_visible()
    assert no_violations() == []

    # The newsroom, too: Django's admin runs no inline script either.
    admin = browser_page.context.new_page()
    admin.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', event =>"
        " window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI));"
    )
    admin.goto(f"{live_server.url}/admin/login/")
    admin.get_by_label("Username").fill(admin_user.username)
    admin.get_by_label("Password").fill("password")
    admin.get_by_role("button", name="Log in").click()
    article = Article.objects.first()
    admin.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    expect(admin.locator("#id_headline")).to_be_visible()
    admin.locator(".select2-selection").first.click()
    expect(admin.locator(".select2-results")).to_be_visible()
    assert admin.evaluate("window.cspViolations") == []
    assert violations == []
