"""Fragment cache: keep rendered pieces of a template, Russian-doll style.

    {% load fragment_cache %}
    {% cachefragment "home-section" section.pk %} … {% endcachefragment %}

A fragment remembers the tags of every query used while it rendered, and is served while they
keep their generations. Fragments nest: an outer fragment records the tags of the inner ones,
served from cache or not, so an edit re-renders the inner fragment it touches and the outer
ones around it, and nothing else.

The rule that makes this work: views pass *queries* to templates, not their results
({"lead": queries.lead_story}). The template calls a query where it uses it, so its tags are
registered inside the fragment that shows it (a query already answered in this request is not
fetched again, but its tags are registered again), and a fragment served from the cache never
runs the queries inside it.
"""

from dataclasses import dataclass

from django import template
from django.core.cache import cache

from newsite.cache import includes, layers, tags, timing
from newsite.cache.queries import DEFAULT_TIMEOUT, cache_key, jittered

register = template.Library()


@dataclass
class CachedFragment:
    html: str
    built_from: tags.Collected


class CacheFragmentNode(template.Node):
    def __init__(self, nodelist, name, vary_on):
        self.nodelist = nodelist
        self.name = name
        self.vary_on = vary_on

    def render(self, context):
        if not layers.enabled(layers.FRAGMENT):
            return self.nodelist.render(context)
        name = self.name.resolve(context)
        # Fragments that include per-reader bits differ between ESI and AJAX pages.
        mode = includes.mode(context.get("request"))
        parts = [name, mode, *(str(value.resolve(context)) for value in self.vary_on)]
        key = ":".join(parts)
        entry_key = cache_key("fragment", key)
        entry = cache.get(entry_key)
        if entry is not None and tags.is_current(entry.built_from):
            timing.record_lookup("fragment", key, "hit")
            tags.register(entry.built_from.generations, entry.built_from.expires_at)
            return entry.html
        timing.record_lookup("fragment", key, "miss")
        with tags.collect() as built_from:
            html = self.nodelist.render(context)
        if built_from.is_complete:
            cache.set(entry_key, CachedFragment(html, built_from), jittered(DEFAULT_TIMEOUT))
        return html


@register.tag
def cachefragment(parser, token):
    """{% cachefragment "name" vary_on… %}: cache what is inside, keyed by name and vary_on."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' needs a fragment name.")
    nodelist = parser.parse(("endcachefragment",))
    parser.delete_first_token()
    return CacheFragmentNode(
        nodelist,
        parser.compile_filter(bits[1]),
        [parser.compile_filter(bit) for bit in bits[2:]],
    )
