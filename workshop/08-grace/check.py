"""Exercise 8's check: with the application down for longer than a page's TTL, readers still
get the page the edge holds, not an error.

Real Varnish in front of gunicorn, with a TTL of 1 s for shared pages (NEWSITE_EDGE_TTL). The
home page is cached, gunicorn is stopped, and the page is asked for OUTAGE_SECONDS later: past
its TTL and past the 10 s of grace Varnish gives an object by default.
"""

import time

from deploy import engines
from workshop import checking

OUTAGE_SECONDS = 12


def check():
    directory = checking.start_django()
    checking.newsroom(sections=2, articles_per_section=3)
    with checking.edge_stack(directory, NEWSITE_EDGE_TTL="1") as (varnish, application):
        checking.get(f"{varnish.url}/")
        _, headers, _ = checking.get(f"{varnish.url}/")
        cached_at = time.monotonic()
        checking.say("before the outage, X-Cache", headers["X-Cache"])
        application.stop()
        engines.wait_until(varnish.backend_is_sick, "Varnish's probe to notice", 30)
        # The outage has to last: a page is only at risk once its TTL and grace are over.
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cached_at)))
        (status, headers, body), seconds = checking.timed(checking.get, f"{varnish.url}/")
    checking.say("application stopped; page asked for after", f"{OUTAGE_SECONDS} s")
    checking.say("status the reader got", status)
    checking.say("X-Cache", headers.get("X-Cache", "(none)"))
    checking.say("Age of the page they got", f"{headers.get('Age', '(none)')} s")
    checking.say("time to answer", checking.milliseconds(seconds))
    if status != 200:
        title = body.split("<h1>")[1].split("</h1>")[0] if "<h1>" in body else body[:80]
        print(f"\nThe reader got a {status} page saying {title!r}, though the edge had the page.")
        return False
    return True
