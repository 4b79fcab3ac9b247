"""Admin lists over big tables (ADR 0021): they count at most what they show, and search names
from their start.

Django's changelist counts its filtered rows for the paginator, then every row of the table for
"N total", then each filter choice's rows for the facets: at a million rows each is a scan. Here
the paginator counts at most COUNT_CAP + 1 rows, which an index can serve however big the table,
and offers pages up to there; past the cap an unfiltered list says PostgreSQL's own estimate of
the table's size, and a filtered one (or another database) says "1,000+". The full count and the
facets are off.
A search matches the whole term as one phrase, each table through a subquery of its own."""

from __future__ import annotations

from functools import cached_property

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q

COUNT_CAP = 1_000


class CappedCountPaginator(Paginator):
    """A paginator that counts at most COUNT_CAP + 1 rows, and so offers pages only up to the
    cap; `count_label` says how many there are, e.g. "234", "1,000+" or, past the cap, the
    table's estimate "about 1,000,000", which no page follows: its last pages would be an OFFSET
    of a million rows, and a stale estimate would offer pages that do not exist."""

    @cached_property
    def count(self) -> int:
        # Without its ordering the count stops at the cap's row instead of sorting every match,
        # and without the list's annotations it computes none of them.
        return self.object_list.order_by().values("pk")[: COUNT_CAP + 1].count()

    @cached_property
    def count_label(self) -> str:
        if self.count <= COUNT_CAP:
            return f"{self.count:,}"
        estimate = _unfiltered_table_estimate(self.object_list)
        if estimate is not None and estimate > self.count:
            return f"about {estimate:,}"
        return f"{COUNT_CAP:,}+"


def _unfiltered_table_estimate(queryset) -> int | None:
    """PostgreSQL's estimate of the rows of the queryset's table (as of its last ANALYZE), when
    the queryset is the whole table; None where it is filtered, never analyzed or not PostgreSQL."""
    connection = connections[queryset.db]
    if queryset.query.where or connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    # -1: never vacuumed nor analyzed.
    return int(row[0]) if row and row[0] >= 0 else None


class IndexSortedChangeList(ChangeList):
    """A changelist that sorts only by the columns its `sortable_by` names: Django leaves the
    others' headers without a link, but would still sort by any column a `?o=` names."""

    def get_ordering_field(self, field_name):
        if field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)


class BigTableAdminMixin:
    """For a ModelAdmin over a big table: the capped paginator, no full count, no facets, and
    sorting only by the columns an index serves. Order it by indexed columns with the primary
    key last, so its first page is an index scan, and name each search field's lookup:
    `istartswith` for names and `exact` (or `iexact`) for identifiers, which an index can serve,
    never `icontains`."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_changelist(self, request, **kwargs):
        return IndexSortedChangeList

    def get_sortable_by(self, request):
        """The columns shown that lead the list's ordering, whose index the ordering uses, or
        that are the primary key: sorting by any other reads and sorts the whole table."""
        leading_column = self.get_ordering(request)[0].removeprefix("-")
        indexed = {leading_column, "pk", self.opts.pk.name}
        return [name for name in self.get_list_display(request) if name in indexed]

    def get_search_results(self, request, queryset, search_term):
        """Rows where any search field matches the whole term, a field of a related table through
        a subquery on that table rather than a join, so that the database matches each table
        through its own index instead of filtering the joined rows of every table."""
        term = search_term.strip()
        search_fields = self.get_search_fields(request)
        if not term or not search_fields:
            return queryset, False
        matches = Q()
        for path in search_fields:
            matches |= _matching(queryset.model, path, term)
        return queryset.filter(matches), False


def _matching(model, path: str, term: str) -> Q:
    """`path` (a field and its lookup, e.g. `app__partner__name__istartswith`) matching `term`,
    each forward relation on the way as `<relation>__in` a subquery of the related table."""
    name, _, rest = path.partition("__")
    field = model._meta.get_field(name)
    if not (field.many_to_one or field.one_to_one) or "__" not in rest:
        return Q(**{path: term})
    related = field.related_model
    matching_rows = related._base_manager.filter(_matching(related, rest, term)).values("pk")
    return Q(**{f"{name}__in": matching_rows})
