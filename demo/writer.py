"""A writer of plausible news: headlines, summaries, bodies and comments, composed by random
choice from the templates and words of data/*.toml (content.py).

A Faker call costs tens of microseconds, so Faker only fills pools once (names, companies, jobs),
and paragraphs, summaries and comments are composed into pools at the start too; an article is
then a few dozen random choices and string joins, fast enough for a million articles.
"""

import re
from functools import partial

from articles.models import Article
from demo.content import (
    COMMENT_LINES,
    QUOTE_LINES,
    ROLE_PHRASES,
    SECTIONS,
    SENTENCES,
    SUBHEADINGS,
    SUMMARIES,
    TOPIC_HEADLINES,
    WORDS,
)

SLOT_PATTERN = re.compile(r"\{(\w+)\}")
# Now and then a headline leads with one of the article's topics instead.
TOPIC_HEADLINE_SHARE = 0.1


class NewsWriter:
    """Writes headlines, summaries, bodies and comments from pools generated once at the start.

    Every random choice comes from `rng`, and Faker from `fake` (seeded by the caller): the same
    seeds write the same words.
    """

    NAME_POOL_SIZE = 400
    COMPANY_POOL_SIZE = 200
    JOB_DRAWS = 300
    PARAGRAPHS_PER_SECTION = 2_500
    # The chance that a paragraph has a sentence only its section uses.
    SECTION_SENTENCE_SHARE = 0.6
    EMPHASIS_SHARE = 0.04
    SUMMARY_POOL_SIZE = 3_000
    QUOTE_POOL_SIZE = 500
    SUBHEADING_POOL_SIZE = 100
    COMMENT_POOL_SIZE = 3_000
    MAX_SUMMARY_LENGTH = Article._meta.get_field("summary").max_length

    def __init__(self, rng, fake):
        self.rng = rng
        self.headlines = {section.slug: section.headlines for section in SECTIONS}
        self.section_sentences = {section.slug: section.sentences for section in SECTIONS}
        self.first_names = [fake.first_name() for _ in range(self.NAME_POOL_SIZE)]
        self.last_names = [fake.last_name() for _ in range(self.NAME_POOL_SIZE)]
        self.slots = self.slot_fillers(fake)
        # The pools: finished text to choose from. The order in which they are filled decides
        # what the random numbers are used for, and so what the same seed writes.
        self.summaries = self.pool(SUMMARIES, self.SUMMARY_POOL_SIZE)
        self.paragraphs = {
            slug: [self.paragraph(slug) for _ in range(self.PARAGRAPHS_PER_SECTION)]
            for slug in self.section_sentences
        }
        self.quotes = [
            self.fill("> “{quote_line}.”\n>\n> — {person}, {role_phrase}")
            for _ in range(self.QUOTE_POOL_SIZE)
        ]
        self.subheadings = self.pool(SUBHEADINGS, self.SUBHEADING_POOL_SIZE)
        self.comments = [self.compose_comment() for _ in range(self.COMMENT_POOL_SIZE)]

    def slot_fillers(self, fake):
        """{slot name: a function that returns a fresh random value}, for fill(): every list of
        WORDS, and the slots made here (names, companies, jobs, teams, money, numbers)."""
        rng = self.rng
        companies = [fake.company() for _ in range(self.COMPANY_POOL_SIZE)]
        job_phrases = self.job_phrases(fake)
        team_names = [f"{place} {rng.choice(WORDS['team_suffix'])}" for place in WORDS["place"]]
        slots = {name: partial(rng.choice, words) for name, words in WORDS.items()}
        slots.update(
            person=self.full_name,
            company=partial(rng.choice, companies),
            job_phrase=partial(rng.choice, job_phrases),
            role_phrase=lambda: self.fill(rng.choice(ROLE_PHRASES)),
            quote_line=lambda: self.sentence(rng.choice(QUOTE_LINES)),
            team=partial(rng.choice, team_names),
            title=lambda: f"{slots['title_adjective']()} {slots['title_noun']()}",
            number=partial(rng.randint, 2, 40),
            few=partial(rng.randint, 2, 5),
            few_more=partial(rng.randint, 3, 9),
            squad_size=partial(rng.randint, 23, 36),
            list_length=partial(rng.choice, [10, 20, 25, 50]),
            big_number=lambda: f"{rng.randint(12, 900) * 100:,}",
            target=partial(rng.randint, 180, 420),
            page_count=partial(rng.randint, 40, 400),
            percent=lambda: f"{rng.uniform(0.5, 40):.1f}",
            money=self.money,
            past_year=partial(rng.randint, 1975, 2023),
        )
        # A second, independent value for templates that name two of a kind.
        for name in ["country", "company", "place", "team"]:
            slots[f"{name}2"] = slots[name]
        return slots

    def job_phrases(self, fake):
        """Jobs as they read in a sentence ("an economist"). Faker also has jobs such as
        "Horticulturist, amenity", which do not: those are left out."""
        jobs = [job.lower() for job in (fake.job() for _ in range(self.JOB_DRAWS)) if job.isascii()]
        readable = [job for job in jobs if not any(mark in job for mark in ",/(")]
        return [f"{'an' if job[0] in 'aeiou' else 'a'} {job}" for job in readable]

    def fill(self, template, **given):
        """The template with each {slot} replaced by a fresh random value, or by `given`."""

        def value(match):
            name = match[1]
            return str(given[name] if name in given else self.slots[name]())

        return SLOT_PATTERN.sub(value, template)

    def sentence(self, template, **given):
        """The filled template with a capital letter, whatever its first slot gave."""
        text = self.fill(template, **given)
        return text[0].upper() + text[1:]

    def pool(self, templates, size):
        return [self.sentence(self.rng.choice(templates)) for _ in range(size)]

    def paragraph(self, section_slug):
        """One to three sentences, as news paragraphs go; maybe one of them the section's own."""
        rng = self.rng
        templates = rng.sample(SENTENCES, rng.randint(1, 3))
        if rng.random() < self.SECTION_SENTENCE_SHARE:
            own = self.section_sentences[section_slug]
            templates[rng.randrange(len(templates))] = rng.choice(own)
        sentences = [self.sentence(template) for template in templates]
        if rng.random() < self.EMPHASIS_SHARE:
            index = rng.randrange(len(sentences))
            sentences[index] = self.emphasise(sentences[index])
        return " ".join(sentences)

    def compose_comment(self):
        """One to three lines of a reader's comment."""
        lines = self.rng.sample(COMMENT_LINES, self.rng.randint(1, 3))
        return " ".join(self.sentence(line) for line in lines)

    def full_name(self):
        return f"{self.rng.choice(self.first_names)} {self.rng.choice(self.last_names)}"

    def money(self):
        if self.rng.random() < 0.3:
            return f"£{self.rng.randint(11, 99) / 10:.1f}bn"
        return f"£{self.rng.randint(2, 900)}m"

    def emphasise(self, sentence):
        """Put one longer word of a plain sentence in *italics*, as a writer sometimes does."""
        if "[" in sentence:
            return sentence
        words = sentence.split(" ")
        candidates = [
            index
            for index, word in enumerate(words)
            if index > 0 and word.isalpha() and len(word) > 5
        ]
        if not candidates:
            return sentence
        index = self.rng.choice(candidates)
        words[index] = f"*{words[index]}*"
        return " ".join(words)

    def headline(self, section_slug, topic_name):
        if self.rng.random() < TOPIC_HEADLINE_SHARE:
            return self.sentence(self.rng.choice(TOPIC_HEADLINES), topic=topic_name)
        return self.sentence(self.rng.choice(self.headlines[section_slug]))

    def summary(self):
        first = self.rng.choice(self.summaries)
        if self.rng.random() < 0.5:
            second = self.rng.choice(self.summaries)
            if len(first) + 1 + len(second) <= self.MAX_SUMMARY_LENGTH:
                return f"{first} {second}"
        return first[: self.MAX_SUMMARY_LENGTH]

    def body(self, section_slug):
        """Markdown: 4 to 8 paragraphs, sometimes a ## subheading and sometimes a > quote."""
        rng = self.rng
        paragraphs = rng.sample(self.paragraphs[section_slug], rng.randint(4, 8))
        if rng.random() < 0.35:
            paragraphs.insert(rng.randint(1, len(paragraphs) - 1), rng.choice(self.quotes))
        if rng.random() < 0.4:
            paragraphs.insert(
                rng.randint(2, len(paragraphs) - 1), f"## {rng.choice(self.subheadings)}"
            )
        return "\n\n".join(paragraphs)

    def comment(self):
        return self.rng.choice(self.comments)
