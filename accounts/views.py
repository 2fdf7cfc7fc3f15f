"""A reader's own pages: signing up, the profile with saved articles, saving an article, and
resetting a forgotten password.

These pages are private (the edge passes everything under /accounts/), so unlike the shared
pages they may read `request.user` freely. Signing up and asking for a reset are limited per
client address (newsite/throttling.py), and a reset also per e-mail address asked for, so
nobody can flood a stranger's mailbox; signing in is limited by django-axes.
"""

from axes.utils import reset as reset_sign_in_failures
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.forms import EMAIL_TAKEN, SignUpForm
from accounts.models import SavedArticle
from articles.models import Article
from newsite import site, throttling
from newsite.pagination import paginate

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


@throttling.throttle("sign-up", methods=("POST",))
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # The account and its first sign-in (last_login, the session) in one transaction:
            # a database lost between the two leaves no account whose sign-up failed.
            with transaction.atomic():
                user = form.save()
                login(request, user, backend=PASSWORD_BACKEND)
        except IntegrityError:  # the same address, signed up a moment ago
            form.add_error("email", EMAIL_TAKEN)
        else:
            messages.success(request, f"Welcome to {settings.SITE_NAME}, {user.username}.")
            return redirect("articles:home")
    return render(request, "registration/signup.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, with the link at the configured site address (never the Host header), and
    limited per client and per e-mail address."""

    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request, *args, **kwargs):
        if refusal := throttling.check(request, "password-reset"):
            return refusal
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        if refusal := throttling.check(self.request, "password-reset-email", client=email):
            return refusal
        # Django's documented way to replace the e-mail's domain and protocol.
        self.extra_email_context = {
            "newspaper_name": settings.SITE_NAME,
            "domain": site.domain(),
            "protocol": site.scheme(),
        }
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's; a completed reset also clears the account's failed sign-ins and signs the
    reader in, which is their way in while a stranger keeps their account locked out."""

    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = True
    post_reset_login_backend = PASSWORD_BACKEND

    def form_valid(self, form):
        response = super().form_valid(form)
        reset_sign_in_failures(username=form.user.get_username())
        return response


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
