"""Article bodies: Markdown rendered to HTML, then sanitised by nh3 (a maintained sanitiser).

Editors write Markdown; anything in it that is not safe HTML (scripts, event handlers,
javascript: links) is removed before it reaches a reader.
"""

import markdown as markdown_library
import nh3
from django import template
from django.utils.safestring import mark_safe

register = template.Library()

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "strong", "em", "a",
    "code", "pre", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td", "sup",
    "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}


@register.filter
def markdown(text):
    html = markdown_library.markdown(text, extensions=["extra", "sane_lists", "smarty"])
    return mark_safe(nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES))
