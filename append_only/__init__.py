"""History tables whose rows are only ever added: the abstract model and, for migrations, the
PostgreSQL trigger that refuses UPDATE and DELETE, and the read-only admin pages that show them
(and other rows that change only through services). It sits below every app (it imports none of
them), so the scope catalog and the apps registry can both keep append-only history."""
