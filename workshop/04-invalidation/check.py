"""Exercise 4's check: after a headline edit commits, every page showing the article shows
the new headline at the next request, with every cache layer on.
"""

from workshop import checking


def check():
    checking.start_django()  # every cache layer: query, fragment and page
    from django.test import Client

    story = checking.newsroom(sections=2, articles_per_section=3)[0]
    section, author = story.section, story.author
    topic = story.topics.get()
    pages = {
        "the home page": "/",
        "its section front": section.get_absolute_url(),
        "its author's page": author.get_absolute_url(),
        "its topic's page": topic.get_absolute_url(),
        "the article itself": story.get_absolute_url(),
    }
    client = Client()
    for url in pages.values():
        client.get(url)
        client.get(url)  # warm: from the page cache now
    edited = checking.edit_headline(story)
    stale = []
    for name, url in pages.items():
        response, queries = checking.count_queries(client, url)
        shows_edit = edited.headline in response.content.decode()
        verdict = "new headline" if shows_edit else "OLD HEADLINE (stale)"
        checking.say(f"{name} ({url})", f"{verdict}, {len(queries)} SQL")
        if not shows_edit:
            stale.append(f"{name} ({url})")
    if stale:
        print(
            f"\nStale after the edit: {', '.join(stale)}. Nothing told the caches that "
            "the page was built from this article."
        )
        return False
    print("\nEvery page shows the edit at the next request.")
    return True
