"""The seed command: a realistic demo newspaper in one command, and never twice by accident."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client

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


def test_the_demo_accounts_it_prints_can_sign_in(capsys):
    call_command("seed", "--articles", "50")
    printed = capsys.readouterr().out
    assert "alice / alice-demo" in printed
    assert authenticate(username="alice", password="alice-demo")
    editor = authenticate(username="editor", password="editor-demo")
    assert editor.is_staff


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
