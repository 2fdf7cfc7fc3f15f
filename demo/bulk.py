"""Loading many rows fast: COPY on PostgreSQL (bulk_create elsewhere), the full-text index built
once after the load instead of row by row, and the planner's statistics refreshed at the end.

These write without calling save(), so no model signal is sent: whoever loads rows this way must
invalidate what is cached about them (the seed command does, once, after its commit).
"""

import csv
import io
from contextlib import contextmanager, nullcontext

from django.core.management.color import no_style
from django.db import connection


class BulkWriter:
    """Inserts many rows of one model, each a tuple of values in `columns` order.

    On PostgreSQL the rows are streamed with COPY: with bulk_create, 100,000 articles took 76 s,
    32 s of it in Python building a model instance and a query parameter per value; with COPY
    the same load took 46 s. Elsewhere, such as SQLite in development, bulk_create does the job.
    """

    def __init__(self, model, columns):
        self.model = model
        self.columns = columns
        self.use_copy = connection.vendor == "postgresql"

    def insert(self, rows, returning_ids=False):
        """Insert the rows; with returning_ids, return their new primary keys in order."""
        if not rows:
            return []
        if not self.use_copy:
            created = self.model.objects.bulk_create(
                self.model(**dict(zip(self.columns, row, strict=True))) for row in rows
            )
            return [instance.pk for instance in created]
        columns = self.columns
        ids = []
        if returning_ids:
            # COPY returns nothing, so take the keys from the table's sequence first.
            ids = self.next_ids(len(rows))
            columns = ["id", *columns]
            rows = [(row_id, *row) for row_id, row in zip(ids, rows, strict=True)]
        self.copy(columns, rows)
        return ids

    def copy(self, columns, rows):
        buffer = io.StringIO()
        # QUOTE_NONNUMERIC quotes every string, so that an empty string stays one: in COPY's CSV
        # format an unquoted empty value is NULL.
        csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(rows)
        buffer.seek(0)
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        column_list = ", ".join(quote(self.model._meta.get_field(name).column) for name in columns)
        with connection.cursor() as cursor:
            # psycopg2's COPY interface (the project's PostgreSQL driver).
            cursor.copy_expert(f"COPY {table} ({column_list}) FROM STDIN WITH (FORMAT csv)", buffer)

    def next_ids(self, count):
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row_id for (row_id,) in cursor.fetchall()]


@contextmanager
def index_dropped(model, index_name, while_rebuilding=None):
    """On PostgreSQL, drop one of the model's indexes for the load and build it once afterwards.

    Keeping a GIN index (the articles' full-text search) current row by row costs more than
    building it once from the finished table (PostgreSQL's "Populating a Database" advice;
    measured at 100,000 articles, the seed took 42 s this way and 48 to 54 s with the index in
    place). Use it inside the load's transaction, so that a failed load rolls the drop back
    with everything else; until the commit, the table is locked against other sessions, which
    is fine for a seed. The rebuild, which takes a while, runs inside `while_rebuilding` (a
    context manager: a message, a stopwatch).
    """
    if connection.vendor != "postgresql":
        yield
        return
    index = next(index for index in model._meta.indexes if index.name == index_name)
    with connection.schema_editor() as editor:
        editor.remove_index(model, index)
    yield
    with while_rebuilding or nullcontext(), connection.schema_editor() as editor:
        # Django's foreign keys are checked at commit, and PostgreSQL refuses to build an index on
        # a table with such checks pending: run them now.
        editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        editor.add_index(model, index)


def analyze(models):
    """Refresh the query planner's statistics of these tables, so that the first pages after a
    load get good plans instead of ones made for empty tables."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def empty(models):
    """Empty these tables at once and return how many rows each had, by verbose plural name.

    On PostgreSQL this is one TRUNCATE: deleting a million articles row by row would take
    minutes. Tables that refer to one another must be emptied in the same call.
    """
    emptied = {model._meta.verbose_name_plural: model.objects.count() for model in models}
    tables = [model._meta.db_table for model in models]
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
    )
    return emptied
