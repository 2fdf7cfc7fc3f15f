"""Exercise 6's check: anonymous visitors who carry cookies (analytics, the CSRF cookie) are
answered from the edge's cache.

Real Varnish in front of gunicorn. Each of 200 requests for the home page comes from another
anonymous visitor, with cookies of their own, as browsers send them.
"""

from collections import Counter

from workshop import checking

VISITORS = 200
ACCEPTED_HIT_RATIO = 0.9


def check():
    directory = checking.start_django()
    checking.newsroom(sections=2, articles_per_section=3)
    with checking.edge_stack(directory) as (varnish, _):
        before = varnish.counter("MAIN.backend_req")
        outcomes = Counter()
        for visitor in range(VISITORS):
            cookies = f"_ga=GA1.2.{visitor}.1764000000; csrftoken=visitor{visitor:027d}"
            _, headers, _ = checking.get(f"{varnish.url}/", {"Cookie": cookies})
            outcomes[headers["X-Cache"]] += 1
        backend_requests = varnish.counter("MAIN.backend_req") - before
    hit_ratio = outcomes["HIT"] / VISITORS
    checking.say("anonymous visitors, each with their own cookies", VISITORS)
    checking.say("X-Cache", ", ".join(f"{n} {what}" for what, n in outcomes.most_common()))
    checking.say("hit ratio", f"{hit_ratio:.1%}")
    checking.say("requests that reached gunicorn", backend_requests)
    if hit_ratio < ACCEPTED_HIT_RATIO:
        print(
            f"\nThe edge sent {backend_requests} of {VISITORS} requests for the same page to "
            "Django: a request with a Cookie header is not looked up in the cache."
        )
        return False
    return True
