"""Paging through lists of articles: ?page=N, bounded so that deep archives stay cheap."""

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.utils.functional import cached_property

from newsite.cache import canonical

# Lists page through their newest MAX_PAGES pages. Counting a million rows to number pages
# nobody reads would make a big section cost more than a small one; the sitemap still lists
# every article.
MAX_PAGES = 50


class BoundedPaginator(Paginator):
    @cached_property
    def count(self):
        return self.object_list[: self.per_page * MAX_PAGES].count()

    @property
    def is_capped(self):
        """True when there are more items than the pages show."""
        return self.count >= self.per_page * MAX_PAGES


def paginate(request, items, per_page=None, count=None):
    """The page of `items` named by ?page=, or 404 for one that does not exist (?page=abc, 0).

    The same rule as Django's ListView: a page number is part of the URL, so a wrong one is a
    missing page rather than a silent jump to page one. Pass `count` when it is known already
    (from a cache) to save the COUNT query.
    """
    paginator = BoundedPaginator(items, per_page or settings.ARTICLES_PER_PAGE)
    if count is not None:
        paginator.count = count
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("No such page.") from None
    if page.has_previous():
        page.previous_url = page_url(request, page.previous_page_number())
    if page.has_next():
        page.next_url = page_url(request, page.next_page_number())
    return page


def page_url(request, number):
    """The URL of page `number` of this list, in canonical form (newsite/cache/canonical.py):
    the other parameters kept, sorted, and no ?page=1, so following it costs no redirect."""
    query = request.GET.copy()
    query["page"] = "" if number == 1 else str(number)
    return canonical.url_with_query(request.path, canonical.query_string(query.items()))
