"""The read beacon's signature: only an article the site has shown can be counted.

An article page carries its beacon URL, /-/read/<id>/<signature>/, which static/js/site.js
posts to once the page has loaded (articles/views.py, `count_read`). The signature is an HMAC
of the id with SECRET_KEY (django.core.signing), so nobody can make one up: a read of an id the
site never rendered (0, a huge number, the next id ahead) is refused before Redis or the
database is asked anything, and the counters hold ids of real articles only. Checking it takes
microseconds and no query.
"""

from django.core import signing

# The signature is the last segment of the URL.
SEPARATOR = "/"


def _signer():
    return signing.Signer(salt="articles.read-beacon", sep=SEPARATOR)


def signature(article_id):
    return _signer().sign(str(article_id)).rpartition(SEPARATOR)[2]


def is_genuine(article_id, signature):
    """True if `signature` is the one the site gives the article `article_id`."""
    try:
        _signer().unsign(f"{article_id}{SEPARATOR}{signature}")
    except signing.BadSignature:
        return False
    return True
