"""Fragment includes: keep shared pages identical for everyone.

    {% load fragment_includes %}
    {% include_fragment "fragments:personal-bar" %}

puts a fragment (the reader's name and saved count, a save button, a rail that changes every
minute) into a page by URL instead of rendering it in place, so the page never reads the
session and one cached copy serves every reader. Behind an edge cache that advertises ESI the
tag writes an <esi:include> that the edge fills in, per reader; without one it writes a
placeholder that a few lines of JavaScript (static/js/site.js) fill from the same URL.
"""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()

ESI = "esi"
AJAX = "ajax"


def mode(request):
    """ESI when the request comes through an edge that says it can process it, else AJAX."""
    capability = request.headers.get("Surrogate-Capability", "") if request else ""
    return ESI if "ESI/1.0" in capability else AJAX


@register.simple_tag(takes_context=True)
def include_fragment(context, url_name, *args):
    """Include the fragment view named `url_name` (with `args`) by its URL."""
    request = context["request"]
    url = reverse(url_name, args=args)
    # Where the reader is, for "sign in and come back here" links.
    url = f"{url}?{urlencode({'next': request.path})}"
    if mode(request) == ESI:
        return format_html('<esi:include src="{}"/>', url)
    css_name = url_name.rpartition(":")[2]
    return format_html(
        '<div class="fragment fragment--{}" data-fragment-url="{}"></div>', css_name, url
    )
