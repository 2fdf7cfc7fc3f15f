"""The demo accounts and their passwords, named once: the seed creates them; `make stack`, `make
cluster`, the benchmarks and the tests sign in with them or print them.

The readers' passwords are known to everyone: a reader can only comment and save articles. The
staff account's known password is given only by `seed --demo-passwords` (`make run`): a staff
account with a password everyone knows must never reach a server. This module starts nothing
of Django's, so that scripts which do not start Django can read it.
"""

from newsite import configuration

STAFF_USERNAME = "editor"
DEMO_STAFF_PASSWORD = "editor-demo"
# Otherwise the staff password comes from here (`make stack` keeps one in .stack/), or the seed
# generates one and prints it once.
STAFF_PASSWORD_VARIABLE = "NEWSITE_EDITOR_PASSWORD"

# The readers with names, and the password every generated reader shares.
DEMO_READERS = {"alice": "alice-demo", "bob": "bob-demo"}
GENERATED_READER_PASSWORD = "reader-demo"


def given_staff_password(demo_passwords):
    """The staff password asked for: the known one with --demo-passwords, else the
    environment's; None when neither gives one."""
    if demo_passwords:
        return DEMO_STAFF_PASSWORD
    return configuration.read(STAFF_PASSWORD_VARIABLE)


def demo_readers_in_words():
    """The demo readers as scripts print them: "alice / alice-demo, bob / bob-demo"."""
    return ", ".join(f"{username} / {password}" for username, password in DEMO_READERS.items())
