"""Rate limits: how often one client may make us work, and the page that says "slow down".

Each limit (settings.RATE_LIMITS) allows COUNT requests per client in a fixed window of
SECONDS, counted in the cache under a key that names the limit, the window and a hash of the
client (its address or IPv6 /64 network, or the e-mail address a reset is asked for). Only
requests that reach Django count: a page the edge or the page cache answers costs nothing.

While the cache cannot count (Redis down), each process counts in its own memory instead:
the pages are still served, as everything is without Redis, and a flood is still refused (a
client then gets at most one allowance per process), never let through and never a 500. Over
the limit, the friendly 429 page says when to come back; login lockouts (django-axes) use the
same page.

Why not django-ratelimit: it calls `incr()` on our resilient cache, which raises
CacheUnavailable during an outage (a 500), answers a limit with a 403 that carries no
Retry-After, and its system check warns about our cache backend, which would spoil the clean
`check --deploy`; what is left is the twenty lines below.
"""

import hashlib
import math
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.shortcuts import render

from newsite.cache.backend import CacheUnavailable
from newsite.clients import client_network

# Where this process counts while the shared cache is down.
counted_here = LocMemCache("newsite-rate-limits", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


def count(store, key, timeout):
    """Add one to the counter `key` in `store` (created at 0 if missing) and return it."""
    store.add(key, 0, timeout=timeout)
    try:
        return store.incr(key)
    except ValueError:  # evicted between add() and incr()
        store.set(key, 1, timeout=timeout)
        return 1


def seconds_to_wait(limit, client):
    """Count one request of `client` against `limit`; the seconds to wait if it is over, else 0."""
    allowed, window_seconds = settings.RATE_LIMITS[limit]
    now = time.time()
    window = int(now // window_seconds)
    client_hash = hashlib.sha256(str(client).encode()).hexdigest()[:32]
    key = f"rate-limit:{limit}:{window}:{client_hash}"
    # Kept a little past its window, so that it never expires between add() and incr().
    timeout = window_seconds + 60
    try:
        requests_made = count(cache, key, timeout)
    except CacheUnavailable:
        requests_made = count(counted_here, key, timeout)
    if requests_made <= allowed:
        return 0
    return max(1, math.ceil((window + 1) * window_seconds - now))


def check(request, limit, client=None):
    """None if `request` may go on, else the 429 response that refuses it."""
    wait = seconds_to_wait(limit, client_network(request) if client is None else client)
    return too_many_requests(request, wait) if wait else None


def throttle(limit, methods=("GET", "HEAD", "POST")):
    """Decorate a view: each request of one of `methods` counts against `limit` per client."""

    def decorator(view):
        @wraps(view)
        def throttled_view(request, *args, **kwargs):
            if request.method in methods and (refusal := check(request, limit)):
                return refusal
            return view(request, *args, **kwargs)

        return throttled_view

    return decorator


def too_many_requests(request, retry_after, login_locked=False):
    """The friendly 429 page: what happened and when to try again (also in Retry-After)."""
    context = {
        "retry_after": retry_after,
        "minutes": math.ceil(retry_after / 60),
        "login_locked": login_locked,
    }
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): the 429 page, until the cool-off.

    Retry-After is the whole cool-off, an upper bound: failures during the lockout are not
    counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so it ends no later than that.
    """
    cool_off = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return too_many_requests(request, cool_off, login_locked=True)
