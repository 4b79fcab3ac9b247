from django.db import migrations


class Migration(migrations.Migration):
    """Placeholder: the review-workflow work fills in the append-only trigger for ReviewEvent."""

    dependencies = [("apps_registry", "0001_initial")]

    operations = []
