"""Exercise 7's check: a signed-in reader's pages come from the edge's cache, with their own
name in the personal bar.

Real Varnish in front of gunicorn; one reader, signed in, reads the home page 20 times.
"""

from collections import Counter

from workshop import checking

PAGE_VIEWS = 20
ACCEPTED_HITS = PAGE_VIEWS - 2


def check():
    directory = checking.start_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    checking.newsroom(sections=2, articles_per_section=3)
    reader = get_user_model().objects.create(username="alice")
    browser = Client()
    browser.force_login(reader)  # a session in the database, which gunicorn reads too
    cookies = f"sessionid={browser.cookies['sessionid'].value}"
    with checking.edge_stack(directory) as (varnish, _):
        before = varnish.counter("MAIN.backend_req")
        outcomes = Counter()
        for _ in range(PAGE_VIEWS):
            _, headers, body = checking.get(f"{varnish.url}/", {"Cookie": cookies})
            outcomes[headers["X-Cache"]] += 1
        backend_requests = varnish.counter("MAIN.backend_req") - before
    greeted = "Hi, <strong>alice</strong>" in body
    checking.say("page views by one signed-in reader", PAGE_VIEWS)
    checking.say("X-Cache of the page", ", ".join(f"{n} {x}" for x, n in outcomes.most_common()))
    checking.say("requests that reached gunicorn (pages and fragments)", backend_requests)
    checking.say("the page greets alice by name", "yes" if greeted else "NO")
    if outcomes["HIT"] < ACCEPTED_HITS:
        print(
            "\nThe page itself was rendered by Django for this reader again and again: "
            "something in it is the reader's own, so the edge may not share it."
        )
    if not greeted:
        print("\nThe personal bar does not name the reader.")
    return outcomes["HIT"] >= ACCEPTED_HITS and greeted
