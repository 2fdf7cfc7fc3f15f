"""make load: a realistic mix of visitors against `make stack` or `make cluster`, and a
consistency checker.

Most visitors are anonymous readers following links; some readers sign in, save articles and
comment; an editor edits a headline now and then. Every article page a reader receives is
checked against the edits committed so far: showing a headline older than one committed more
than STALE_AFTER seconds before the request started counts as a stale page. At the end the
summary says the request rate, the errors (any 5xx is one) and the staleness seen, and
docs/performance-load.json records them.

    make stack            # in one terminal
    make load             # in another: locust, headless, for LOAD_SECONDS (default 60)
"""

import json
import os
import random
import re
import threading
import time
from html import unescape

from locust import HttpUser, between, constant, events, task

from deploy.cluster import environment_if_running
from deploy.stack import environment

# The editor writes through Django's ORM in this process, on the stack's database (or the
# running `make cluster`'s): a commit here invalidates and bans exactly as an edit in the admin.
os.environ.update(environment_if_running() or environment())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsite.settings")
import django

django.setup()

from bench import report  # noqa: E402
from demo.credentials import DEMO_READERS  # noqa: E402

# What the report says it ran against.
TARGET = "`make cluster`" if environment_if_running() else "`make stack`"

# How long after an edit's commit a reader may still get the old headline: the edit reaches
# Varnish (a ban) and Redis (new generations) before save() returns, and a page built from the
# old rows meanwhile is kept by no cache (newsite/cache/edge.py), so any request that starts
# later must show it. The bound only absorbs clock granularity.
STALE_AFTER = 0.1
HEADLINE = re.compile(r'<h1 class="article__headline">(.*?)</h1>', re.DOTALL)
ARTICLE_LINK = re.compile(r'href="(/[\w-]+/\d{4}/\d{2}/\d{2}/[\w-]+/)"')


class EditLog:
    """The headlines of each article path, in the order they were written, with commit times.

    A headline is logged before its save() and gets its time when save() returns (committed,
    invalidated, banned): a reader may see it in between, and that is not stale.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.edits = {}  # path: [[committed at, or None while saving, headline], ...]
        self.checked = 0
        self.checked_after_an_edit = 0
        self.stale_pages = []  # (path, seconds since the newer headline was committed)

    def saving(self, path, headline):
        with self._lock:
            self.edits.setdefault(path, []).append([None, headline])

    def committed(self, path, headline):
        with self._lock:
            for edit in self.edits[path]:
                if edit[1] == headline:
                    edit[0] = time.monotonic()

    def check(self, path, shown, request_started):
        """Note a stale page: one older than the last headline committed STALE_AFTER before."""
        with self._lock:
            self.checked += 1
            history = [tuple(edit) for edit in self.edits.get(path, [])]
        due = [
            index
            for index, (at, _) in enumerate(history)
            if at is not None and at + STALE_AFTER < request_started
        ]
        if not due:
            return
        last_due = due[-1]
        # The headline due, or one written after it (being saved, or just committed).
        acceptable = {headline for _, headline in history[last_due:]}
        with self._lock:
            self.checked_after_an_edit += 1
            if shown not in acceptable:
                self.stale_pages.append((path, request_started - history[last_due][0]))


edit_log = EditLog()


def article_paths(response):
    return sorted(set(ARTICLE_LINK.findall(response.text)))


class Reader(HttpUser):
    """An anonymous reader: the home page, a section, a few articles, and back."""

    weight = 16
    wait_time = constant(0)
    paths = []

    def on_start(self):
        self.paths = article_paths(self.client.get("/", name="home"))

    @task(3)
    def home(self):
        self.paths = article_paths(self.client.get("/", name="home")) or self.paths

    @task(2)
    def section(self):
        if self.paths:
            section = "/" + random.choice(self.paths).split("/")[1] + "/"
            self.client.get(section, name="section")

    @task(6)
    def article(self):
        if not self.paths:
            return
        path = random.choice(self.paths)
        started = time.monotonic()
        response = self.client.get(path, name="article")
        match = HEADLINE.search(response.text)
        if response.ok and match:
            edit_log.check(path, unescape(match[1].strip()), started)


class SignedInReader(Reader):
    """A reader who signs in, reads, saves articles and comments now and then."""

    weight = 3
    wait_time = between(0.2, 1)

    def on_start(self):
        login = self.client.get("/accounts/login/", name="sign in")
        username = random.choice(list(DEMO_READERS))
        self.client.post(
            "/accounts/login/",
            {
                "username": username,
                "password": DEMO_READERS[username],
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            headers={"Referer": login.url},
            name="sign in",
        )
        super().on_start()

    def post(self, path, data, name):
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post(
            path,
            {**data, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}{path}"},
            name=name,
            catch_response=True,
        ) as response:
            # 429: the comment rate limit at work, as intended.
            if response.status_code in (200, 302, 429):
                response.success()

    @task(1)
    def save(self):
        if self.paths:
            page = self.client.get(random.choice(self.paths), name="article")
            article = re.search(r"/-/read/(\d+)/", page.text)
            if article:
                self.post(f"/accounts/saved/{article[1]}/", {}, "save")

    @task(1)
    def comment(self):
        if self.paths:
            page = self.client.get(random.choice(self.paths), name="article")
            article = re.search(r"/-/read/(\d+)/", page.text)
            if article:
                self.post(f"/comments/{article[1]}/", {"body": "Load test."}, "comment")


class Editor(HttpUser):
    """The newsroom: edits the headline of a recent article every few seconds."""

    weight = 1
    fixed_count = 1
    wait_time = between(1, 3)

    @task
    def edit_headline(self):
        from articles.models import Article

        article = random.choice(list(Article.objects.published()[:20]))
        started = time.monotonic()
        article.headline = (
            f"Updated at {time.strftime('%H:%M:%S')}, edit {random.randint(1, 10**6)}"
        )
        path = article.get_absolute_url()
        edit_log.saving(path, article.headline)
        article.save()  # commits, invalidates, bans
        edit_log.committed(path, article.headline)
        events.request.fire(
            request_type="ORM",
            name="edit headline",
            response_time=(time.monotonic() - started) * 1000,
            response_length=0,
            exception=None,
        )


@events.quitting.add_listener
def summarise(environment, **kwargs):
    stats = environment.stats.total
    server_errors = sum(
        error.occurrences
        for error in environment.stats.errors.values()
        if re.search(r"\b5\d\d\b", str(error.error))
    )
    stale = edit_log.stale_pages
    worst = max((seconds for _, seconds in stale), default=0.0)
    results = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(stats.start_time)),
        "users": environment.runner.target_user_count if environment.runner else None,
        "requests": stats.num_requests,
        "requests_per_second": round(stats.total_rps, 1),
        "failures": stats.num_failures,
        "server_errors": server_errors,
        "p50_ms": stats.get_response_time_percentile(0.5),
        "p99_ms": stats.get_response_time_percentile(0.99),
        "edits": sum(len(history) for history in edit_log.edits.values()),
        "article_pages_checked": edit_log.checked,
        "pages_of_edited_articles_checked": edit_log.checked_after_an_edit,
        "stale_pages": len(stale),
        "worst_staleness_seconds": round(worst, 3),
        "stale_after_seconds": STALE_AFTER,
    }
    results["markdown"] = "\n".join(
        [
            "## Load and consistency: `make load`",
            "",
            f"Measured {results['started']}: Locust, {results['users']} users (16 anonymous "
            f"readers to 3 signed-in readers, one editor), against {TARGET}.",
            "",
            f"- {results['requests']:,} requests, **{results['requests_per_second']:g} req/s**; "
            f"p50 {results['p50_ms']:g} ms, p99 {results['p99_ms']:g} ms.",
            f"- Failures: {results['failures']}; 5xx responses: **{server_errors}**.",
            f"- {results['edits']} headline edits; {results['article_pages_checked']:,} article "
            f"pages checked, {edit_log.checked_after_an_edit:,} of them of an article already "
            f"edited; pages older than an edit committed more than {STALE_AFTER:g} s before the "
            f"request: **{len(stale)}** (worst {worst:.3f} s).",
            "",
            f"Reproduce: {TARGET} in one terminal, `make load` in another "
            "(`LOAD_USERS`, `LOAD_SECONDS`).",
        ]
    )
    report.LOAD.write_text(json.dumps(results, indent=2) + "\n")
    report.write()
    print("\n" + results["markdown"] + "\n")
    if server_errors or stale:
        environment.process_exit_code = 1
