"""The demo newspaper: `manage.py seed` fills an empty database with one, for `make run`, `make
stack`, `make cluster`, the benchmarks and the tests.

Its content is data (data/*.toml) and its passwords are named once (credentials.py); writer.py
composes plausible news from them, bulk.py loads rows fast, newsroom.py seeds what every reader
shares and readers.py the accounts and what they saved. The site's apps never import it.
"""
