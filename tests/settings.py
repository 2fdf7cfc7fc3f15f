"""The test session's settings: the site's own (newsite/settings.py), and the few things only a
test process wants, kept here rather than behind a "running under pytest" check in the site's.

The servers the tests start (gunicorn behind Varnish, the cluster) run newsite.settings itself,
as production does: their environments name it.
"""

from newsite.settings import *  # noqa: F403
from newsite.settings import INSTALLED_APPS, MIDDLEWARE

# The debug toolbar would change the pages under test. (A server started with DJANGO_DEBUG=true
# shows it: tests/test_debug_toolbar.py.)
DEBUG_TOOLBAR = False
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "debug_toolbar"]
MIDDLEWARE = [name for name in MIDDLEWARE if not name.startswith("debug_toolbar.")]

# Hashing a password properly takes a deliberate ~0.3 s, and tests make many users. A test whose
# users sign in on a server hashes their passwords as the servers check them: the
# `production_password_hashing` fixture (tests/conftest.py).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
