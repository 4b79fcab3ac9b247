"""The abstract base of every history table."""

from __future__ import annotations

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk writes would bypass the model's `save`/`delete`, so they are refused here too."""

    def update(self, **kwargs):
        raise self.model.refusal_error(self.model.append_only_message)

    def delete(self):
        raise self.model.refusal_error(self.model.append_only_message)

    def bulk_update(self, objs, fields, batch_size=None):
        raise self.model.refusal_error(self.model.append_only_message)


class AppendOnlyModel(models.Model):
    """A history table: rows are only ever added. The ORM refuses updates and deletes; on
    PostgreSQL a trigger per table (append_only.triggers) refuses them for raw SQL too."""

    append_only_message = "This history is append-only: events cannot be changed or deleted."
    # Each app raises its own domain error, so its views handle the refusal like any other.
    refusal_error: type[Exception] = PermissionError

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.refusal_error(self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.refusal_error(self.append_only_message)
