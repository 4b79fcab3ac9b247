"""An application keeps the review rule it was submitted under: requires_dual_approval is copied
from the scope at submission. Existing applications take their scope's current value."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_rule_from_scope(apps, schema_editor):
    AccessRequest = apps.get_model("apps_registry", "AccessRequest")
    Scope = apps.get_model("scopes", "Scope")
    AccessRequest.objects.update(
        requires_dual_approval=Subquery(
            Scope.objects.filter(pk=OuterRef("scope_id")).values("requires_dual_approval")[:1]
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ('apps_registry', '0006_authorizationevent_append_only'),
    ]

    operations = [
        migrations.AddField(
            model_name='accessrequest',
            name='requires_dual_approval',
            field=models.BooleanField(default=False, help_text='Copied from the scope at submission: the rule this application is decided under, whatever happens to the catalog afterwards.'),
        ),
        migrations.RunPython(copy_rule_from_scope, migrations.RunPython.noop),
    ]
