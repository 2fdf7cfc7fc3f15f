"""Who is asking: the client's address, the one every rate limit and lockout counts by.

Behind Varnish every request reaches Django from 127.0.0.1, and Varnish appends the address it
was connected from to X-Forwarded-For. With NEWSITE_TRUSTED_PROXIES proxies in front, each
appending one entry, the client is the entry the outermost of them appended: the last but
N-1. Anything to the left of it was written by the client and is never believed, so nobody
picks their own address by sending the header.
"""

import ipaddress

from django.conf import settings


def client_address(request):
    """The address of the client that sent `request`, as the outermost trusted proxy saw it."""
    direct = request.META.get("REMOTE_ADDR", "")
    proxies = settings.NEWSITE_TRUSTED_PROXIES
    if not proxies:
        return direct
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < proxies:
        # It did not come through every proxy (a health check straight to gunicorn, say).
        return direct
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return direct


def client_network(request):
    """What the rate limits and lockouts count by: the client's address, or for IPv6 its /64
    network, since one subscriber usually holds a whole /64 and could take a new address for
    every request."""
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6 and not parsed.ipv4_mapped:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return address


def show_debug_toolbar(request):
    """The debug toolbar is for the developer at this machine, never for a visitor.

    Through a proxy that nobody declared (NEWSITE_TRUSTED_PROXIES=0, but the request carries
    X-Forwarded-For) every visitor would look local, so such a request never sees it.
    """
    if not settings.DEBUG:
        return False
    if not settings.NEWSITE_TRUSTED_PROXIES and "HTTP_X_FORWARDED_FOR" in request.META:
        return False
    return client_address(request) in settings.INTERNAL_IPS
