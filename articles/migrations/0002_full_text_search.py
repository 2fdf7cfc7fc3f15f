"""Full-text search on PostgreSQL: a GIN index on Article.search_vector, kept current by a trigger.

The trigger fills the vector inside the database on every insert or update of the text
(weighted: headline A, summary B, body C), so bulk inserts such as the seed command get it for
free. Other databases keep the column empty and search falls back to a plain text match.
"""

import django.contrib.postgres.indexes
from django.db import migrations

SEARCH_VECTOR = """
    setweight(to_tsvector('english', coalesce({row}headline, '')), 'A') ||
    setweight(to_tsvector('english', coalesce({row}summary, '')), 'B') ||
    setweight(to_tsvector('english', coalesce({row}body, '')), 'C')
"""

CREATE_TRIGGER = f"""
CREATE FUNCTION articles_article_search_vector_update() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := {SEARCH_VECTOR.format(row="NEW.")};
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER articles_article_search_vector
    BEFORE INSERT OR UPDATE OF headline, summary, body ON articles_article
    FOR EACH ROW EXECUTE FUNCTION articles_article_search_vector_update();

UPDATE articles_article SET search_vector = {SEARCH_VECTOR.format(row="")};
"""

DROP_TRIGGER = """
DROP TRIGGER articles_article_search_vector ON articles_article;
DROP FUNCTION articles_article_search_vector_update();
"""


class OnPostgreSQLOnly:
    """Run an operation's SQL on PostgreSQL only; the model state changes on every database."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class AddIndexOnPostgreSQL(OnPostgreSQLOnly, migrations.AddIndex):
    pass


class RunSQLOnPostgreSQL(OnPostgreSQLOnly, migrations.RunSQL):
    pass


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [
        AddIndexOnPostgreSQL(
            model_name="article",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="article_search_idx"
            ),
        ),
        RunSQLOnPostgreSQL(CREATE_TRIGGER, DROP_TRIGGER),
    ]
