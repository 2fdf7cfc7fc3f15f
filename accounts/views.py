"""A reader's own pages: signing up, the profile with saved articles, saving an article.

These pages are private (the edge passes everything under /accounts/), so unlike the shared
pages they may read `request.user` freely.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.forms import SignUpForm
from accounts.models import SavedArticle
from articles.models import Article
from newsite.pagination import paginate


def sign_up(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to {settings.SITE_NAME}, {user.username}.")
        return redirect("articles:home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def profile(request):
    saved = (
        SavedArticle.objects.filter(user=request.user)
        .filter(article__in=Article.objects.published())
        .select_related("article__section", "article__author")
    )
    return render(request, "accounts/profile.html", {"page": paginate(request, saved)})


@require_POST
@login_required
def save_article(request, article_id):
    """Save (or with action=unsave, forget) an article, then go back to where the reader was."""
    article = get_object_or_404(Article.objects.published(), pk=article_id)
    if request.POST.get("action") == "unsave":
        SavedArticle.objects.filter(user=request.user, article=article).delete()
        messages.info(request, f"Removed “{article.headline}” from your saved articles.")
    else:
        SavedArticle.objects.get_or_create(user=request.user, article=article)
        messages.success(request, f"Saved “{article.headline}” to read later.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = article.get_absolute_url()
    return redirect(next_url)
