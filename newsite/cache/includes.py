"""Per-reader includes: keep shared pages identical for everyone.

`{% user_fragment "personal-bar" %}` puts a reader's own bits into a shared page by URL instead
of rendering them in place, so the page itself never reads the session. Without an edge cache
the placeholder is filled by a few lines of JavaScript (static/js/site.js) from the same URL.
"""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def user_fragment(context, name, *args):
    """A placeholder for the fragment `fragments:<name>`, which the browser fills in."""
    request = context["request"]
    url = reverse(f"fragments:{name}", args=args)
    url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return format_html(
        '<div class="fragment fragment--{}" data-fragment-url="{}"></div>', name, url
    )
