"""What the demo newspaper says, read from data/newsroom.toml and data/phrases.toml.

The content is data, not code, so that a fork can make the demo its own (other sections, other
headlines) by editing text files, and a change to a headline template reads as one line in a
diff.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.utils.text import slugify

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class SectionContent:
    """A section of newsroom.toml: what the seed creates for it and what its articles say."""

    name: str
    description: str
    # Its share of the articles, against the other sections' shares.
    share: int
    topics: list[str]
    # The roles of its desk, one author each.
    roles: list[str]
    headlines: list[str]
    # Sentences that only its articles' bodies use.
    sentences: list[str]

    @property
    def slug(self):
        return slugify(self.name)


def read(name):
    with (DATA / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


_newsroom = read("newsroom")
SECTIONS = [SectionContent(**section) for section in _newsroom["sections"]]
GENERAL_ROLES = _newsroom["general_roles"]
OUTLETS = _newsroom["outlets"]

_phrases = read("phrases")
TOPIC_HEADLINES = _phrases["topic_headlines"]
SUMMARIES = _phrases["summaries"]
SENTENCES = _phrases["sentences"]
ROLE_PHRASES = _phrases["role_phrases"]
QUOTE_LINES = _phrases["quote_lines"]
SUBHEADINGS = _phrases["subheadings"]
COMMENT_LINES = _phrases["comment_lines"]
WORDS = _phrases["words"]
