"""Purge backends: every cache in front of Django, behind one small interface.

A backend drops what was built from some tags (`purge_tags`) or everything (`purge_everything`),
and says how many tags one request may carry. Varnish takes a BAN by tag on each node (our VCL,
deploy/varnish/newsite.vcl); a CDN takes its vendor's purge by tag: here Fastly's purge by
surrogate key, whose format our `Surrogate-Key` header already is. Purging goes innermost
first, the Varnish nodes before the CDN, so that the CDN refetches from an edge already purged.

A backend raises PurgeFailed, saying whether trying again can help and when. What to do then
(retry now, owe it in Redis, give up) is purging.py's and purge_queue.py's business.
"""

import http.client
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from django.conf import settings

# The tag that stands for everything (newsite/cache/tags.py, invalidate_everything).
EVERYTHING = "*"


class PurgeFailed(Exception):
    """A purge that did not happen. `permanent`: sending it again cannot help (the backend
    refused our credentials or the request itself); `retry_after`: the backend asked us to wait
    so many seconds before the next request."""

    def __init__(self, reason, permanent=False, retry_after=None):
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after


class PurgeBackend:
    """One cache in front of Django. `name` labels it in logs, metrics and the purge queue."""

    name = ""
    # How much one request may carry: so many tags, in a header of at most so many bytes.
    max_tags = 100
    max_header_bytes = 4096

    def purge_tags(self, tag_names, timeout):
        raise NotImplementedError

    def purge_everything(self, timeout):
        raise NotImplementedError


def configured():
    """The backends the settings name, innermost first: each Varnish node, then the CDN."""
    backends = [VarnishNode(address) for address in settings.VARNISH_NODES]
    if settings.NEWSITE_FASTLY_SERVICE_ID:
        backends.append(
            FastlyService(
                settings.NEWSITE_FASTLY_API_URL,
                settings.NEWSITE_FASTLY_SERVICE_ID,
                settings.NEWSITE_FASTLY_API_TOKEN,
                soft=settings.NEWSITE_FASTLY_SOFT_PURGE,
            )
        )
    return backends


def purge(backend, tag_names):
    """Purge `tag_names` (or everything, if EVERYTHING is among them) on one backend, in as many
    requests as its limits need. Raises PurgeFailed at the first request that fails."""
    timeout = settings.NEWSITE_EDGE_PURGE_TIMEOUT
    try:
        if EVERYTHING in tag_names:
            backend.purge_everything(timeout)
        else:
            for batch in batches(tag_names, backend.max_tags, backend.max_header_bytes):
                backend.purge_tags(batch, timeout)
    except (OSError, http.client.HTTPException) as error:
        raise PurgeFailed(f"{type(error).__name__}: {error}") from error


def batches(tag_names, max_tags, max_header_bytes):
    """`tag_names` in order, in lists that fit one request: at most `max_tags` tags, joined by
    spaces in at most `max_header_bytes` bytes (a tag longer than that goes alone)."""
    batch, length = [], 0
    for tag in tag_names:
        added = len(tag.encode()) + (1 if batch else 0)
        if batch and (len(batch) == max_tags or length + added > max_header_bytes):
            yield batch
            batch, length, added = [], 0, len(tag.encode())
        batch.append(tag)
        length += added
    if batch:
        yield batch


def describe(tag_names, shown=8):
    """The tags for a log line: the first few, and how many more."""
    more = len(tag_names) - shown
    return " ".join(tag_names[:shown]) + (f" and {more} more" if more > 0 else "")


def http_request(url, method, headers, timeout):
    """Send a request without a body to `url`; its (status, reason, headers)."""
    address = urlsplit(url)
    if address.scheme == "https":
        connection = http.client.HTTPSConnection(address.hostname, address.port, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=timeout)
    try:
        connection.request(method, address.path or "/", headers=headers)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    return response.status, response.reason, response.headers


# ------------------------------------------------------------------------------
# Varnish: a BAN by tag on one node (deploy/varnish/newsite.vcl, sub ban_by_tags)
# ------------------------------------------------------------------------------
class VarnishNode(PurgeBackend):
    """One Varnish node, at http://host:port. Any answer but 200 may be worth another try (a
    node starting up, a ban list being rewritten): nothing it says is final."""

    # The VCL turns the tags into one regular expression; Varnish takes request headers of
    # 8 kB (http_req_hdr_len).
    max_tags = 100
    max_header_bytes = 4096

    def __init__(self, address):
        self.name = address

    def purge_tags(self, tag_names, timeout):
        self._ban(" ".join(tag_names), timeout)

    def purge_everything(self, timeout):
        self._ban(EVERYTHING, timeout)

    def _ban(self, tags_header, timeout):
        headers = {
            "X-Ban-Tags": tags_header,
            "X-Purge-Secret": settings.NEWSITE_EDGE_PURGE_SECRET,
        }
        status, reason, _ = http_request(self.name, "BAN", headers, timeout)
        if status != 200:
            raise PurgeFailed(f"{status} {reason}")


# ------------------------------------------------------------------------------
# Fastly: purge by surrogate key (https://www.fastly.com/documentation/reference/api/purging/)
# ------------------------------------------------------------------------------
class FastlyService(PurgeBackend):
    """One Fastly service, purged through Fastly's API as its reference documents it:

    - tags: `POST /service/{service_id}/purge` with the keys in a `Surrogate-Key` header,
      space-separated, up to 256 keys a request (the API's batch limit); `Fastly-Soft-Purge: 1`
      marks the objects stale instead of removing them (NEWSITE_FASTLY_SOFT_PURGE);
    - everything: `POST /service/{service_id}/purge_all`, which is never soft, needs a token
      with the purge_all scope, and counts against the API's hourly limit of 1,000 requests;
    - the token in `Fastly-Key`; a token with the purge_select scope is enough for tags.

    A 429 (rate limited) or a 5xx is worth another try, after `Retry-After` or, failing that,
    `Fastly-RateLimit-Reset` (when the limit's window resets, in epoch seconds); any other 4xx
    (an expired or refused token, a malformed request) is final.
    """

    max_tags = 256
    # Fastly applies at most 16 kB of Surrogate-Key to an object; a purge needs no more.
    max_header_bytes = 16384

    def __init__(self, api_url, service_id, token, soft=False):
        self.api_url = api_url.rstrip("/")
        self.service_id = service_id
        self.token = token
        self.soft = soft
        self.name = f"fastly:{service_id}"

    def purge_tags(self, tag_names, timeout):
        headers = {"Surrogate-Key": " ".join(tag_names)}
        if self.soft:
            headers["Fastly-Soft-Purge"] = "1"
        self._post(f"/service/{self.service_id}/purge", headers, timeout)

    def purge_everything(self, timeout):
        self._post(f"/service/{self.service_id}/purge_all", {}, timeout)

    def _post(self, path, headers, timeout):
        headers = {**headers, "Fastly-Key": self.token, "Accept": "application/json"}
        status, reason, answer = http_request(f"{self.api_url}{path}", "POST", headers, timeout)
        if 200 <= status < 300:
            return
        failure = f"{status} {reason}"
        if status == 429:
            raise PurgeFailed(failure, retry_after=retry_after(answer))
        if status >= 500:
            raise PurgeFailed(failure)
        if status in (401, 403):
            failure += (
                " (check NEWSITE_FASTLY_API_TOKEN: purging by key needs the purge_select "
                "scope, purging everything purge_all)"
            )
        raise PurgeFailed(failure, permanent=True)


def retry_after(headers):
    """Seconds to wait, from `Retry-After` (seconds or an HTTP date) or from Fastly's
    `Fastly-RateLimit-Reset` (epoch seconds); None if neither says."""
    value = headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
        except (TypeError, ValueError):
            pass
    reset = headers.get("Fastly-RateLimit-Reset", "").strip()
    if reset.isdigit():
        return max(float(reset) - time.time(), 0.0)
    return None
