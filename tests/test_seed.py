"""The seed command: a realistic demo newspaper in one command, and never twice by accident."""

import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models.functions import Upper
from django.test import Client, RequestFactory

from accounts.models import SavedArticle
from articles.models import Article, Comment, Section

pytestmark = pytest.mark.django_db


def seed(*arguments):
    call_command("seed", *arguments, verbosity=0)


def test_the_seed_fills_every_part_of_the_site():
    seed("--articles", "300")
    assert Article.objects.count() == 300
    assert Article.objects.published().count() < 300, "some drafts and scheduled articles"
    assert Article.objects.filter(status=Article.Status.DRAFT).exists()
    assert Article.objects.filter(is_featured=True).exists()
    assert Comment.objects.filter(is_hidden=True).exists()
    assert SavedArticle.objects.exists()
    assert Section.objects.count() == 8
    page = Client().get("/").content.decode()
    assert "lead-story" in page
    assert page.count('class="section-block"') == 8


def newspaper():
    """What a reader would see of the seeded newspaper, apart from the dates (which follow the
    time of seeding)."""
    return (
        list(
            Article.objects.order_by("pk", "topics__name").values_list(
                "headline", "slug", "summary", "body", "section__name", "author__name", "status",
                "is_featured", "topics__name",
            )
        ),
        list(
            Comment.objects.order_by("pk").values_list(
                "article__slug", "user__username", "body", "is_hidden"
            )
        ),
        list(SavedArticle.objects.order_by("pk").values_list("user__username", "article__slug")),
    )  # fmt: skip


def test_the_same_random_seed_gives_the_same_newspaper():
    """In a new database or after --flush, which both number rows from 1."""
    seed("--articles", "50")
    seed("--articles", "300", "--random-seed", "7", "--flush")
    first = newspaper()
    seed("--articles", "300", "--random-seed", "7", "--flush")
    assert newspaper() == first
    seed("--articles", "300", "--random-seed", "8", "--flush")
    assert newspaper() != first


def sign_in_request():
    # django-axes checks every sign-in against its lockouts, which needs the request.
    return RequestFactory().post("/accounts/login/")


def test_the_demo_accounts_it_prints_can_sign_in(capsys):
    call_command("seed", "--articles", "50", "--demo-passwords")
    printed = capsys.readouterr().out
    assert "alice / alice-demo" in printed
    assert authenticate(sign_in_request(), username="alice", password="alice-demo")
    editor = authenticate(sign_in_request(), username="editor", password="editor-demo")
    assert editor.is_staff


def test_without_demo_passwords_the_staff_account_gets_a_random_one_printed_once(capsys):
    """Only `make run` asks for the known staff password; `make stack` and anyone else get a
    new random one, shown in the seed's report."""
    call_command("seed", "--articles", "50")
    printed = capsys.readouterr().out
    assert "editor / editor-demo" not in printed
    password = re.search(r"editor / (\S+) \(admin", printed)[1]
    assert not authenticate(sign_in_request(), username="editor", password="editor-demo")
    assert authenticate(sign_in_request(), username="editor", password=password).is_staff
    assert authenticate(sign_in_request(), username="alice", password="alice-demo")


def test_a_given_staff_password_is_applied_even_to_a_seeded_database(monkeypatch):
    """`make stack` keeps its password in .stack/ and passes it at every start: the password
    it prints works, whatever seeded the database before."""
    seed("--articles", "50", "--demo-passwords")
    monkeypatch.setenv("NEWSITE_EDITOR_PASSWORD", "kept-by-make-stack-4f9a")
    seed("--articles", "50", "--if-empty")
    assert Article.objects.count() == 50
    assert not authenticate(sign_in_request(), username="editor", password="editor-demo")
    assert authenticate(sign_in_request(), username="editor", password="kept-by-make-stack-4f9a")


def test_every_account_it_creates_has_an_email_address_of_its_own():
    seed("--articles", "300")
    User = get_user_model()
    assert User.objects.exclude(email="").count() == User.objects.count()
    addresses = User.objects.annotate(address=Upper("email")).values("address")
    assert addresses.distinct().count() == User.objects.count()


def test_seeding_a_seeded_database_says_so_instead_of_duplicating():
    seed("--articles", "50")
    with pytest.raises(CommandError, match=r"already has 50 articles.*Use --flush"):
        seed("--articles", "50")
    seed("--articles", "50", "--if-empty")
    assert Article.objects.count() == 50


def test_flush_starts_over():
    seed("--articles", "50")
    seed("--articles", "80", "--flush")
    assert Article.objects.count() == 80


@pytest.mark.parametrize("count", ["0", "-5"])
def test_a_nonsense_size_is_a_clear_error(count):
    with pytest.raises(CommandError, match="--articles must be a positive number"):
        seed("--articles", count)
