"""One account per e-mail address, whatever its capitals: a unique index on UPPER(email).

auth.User belongs to Django, so the index is added here, with the schema editor (the same SQL
a UniqueConstraint in the model would produce, on PostgreSQL and SQLite alike). Accounts
without an address (a superuser made by createsuperuser, say) are left out of it.
"""

from django.db import migrations, models
from django.db.models.functions import Upper

EMAIL_UNIQUE = models.UniqueConstraint(
    Upper("email"), condition=~models.Q(email=""), name="user_email_unique_ci"
)


def add_index(apps, schema_editor):
    User = apps.get_model("auth", "User")
    duplicates = (
        User.objects.exclude(email="")
        .values(address=Upper("email"))
        .annotate(accounts=models.Count("pk"))
        .filter(accounts__gt=1)
        .values_list("address", flat=True)
    )
    if duplicates:
        raise RuntimeError(
            "These e-mail addresses belong to more than one account; give each account its own "
            "address, then migrate again: " + ", ".join(sorted(duplicates)[:20])
        )
    schema_editor.add_constraint(User, EMAIL_UNIQUE)


def remove_index(apps, schema_editor):
    schema_editor.remove_constraint(apps.get_model("auth", "User"), EMAIL_UNIQUE)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(add_index, remove_index)]
