"""The big tables' admin lists (core/admin_big_tables.py, ADR 0021) count at most what they show:
exact up to the cap, "N+" past it, and PostgreSQL's estimate for a whole table past it, with pages
only up to the cap; they sort only by a column an index serves; and they search names from their
start, ids exactly, related tables through subqueries."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers
from django.core.paginator import EmptyPage
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from apps_registry.admin.partners import PartnerAdmin
from apps_registry.models import Partner
from core import admin_big_tables
from core.admin_big_tables import BigTableAdminMixin, CappedCountPaginator
from tests import factories

pytestmark = pytest.mark.django_db

CAP = 3


@pytest.fixture(autouse=True)
def small_cap(monkeypatch):
    monkeypatch.setattr(admin_big_tables, "COUNT_CAP", CAP)


def add_partners(count: int, **kwargs) -> None:
    for _ in range(count):
        factories.PartnerFactory(**kwargs)


def paginator(queryset) -> CappedCountPaginator:
    return CappedCountPaginator(queryset, per_page=2)


def test_up_to_the_cap_the_count_is_exact():
    add_partners(CAP)

    pages = paginator(Partner.objects.order_by("name", "pk"))

    assert (pages.count, pages.count_label, pages.num_pages) == (CAP, "3", 2)


def test_a_filtered_list_past_the_cap_counts_one_row_past_it_and_says_so():
    add_partners(CAP + 2, is_verified=True)
    add_partners(CAP + 2, is_verified=False)

    pages = paginator(Partner.objects.filter(is_verified=True).order_by("name", "pk"))

    assert (pages.count, pages.count_label, pages.num_pages) == (CAP + 1, "3+", 2)


def test_a_filter_that_leaves_few_rows_counts_them_exactly():
    add_partners(CAP + 2, is_verified=False)
    add_partners(2, is_verified=True)

    pages = paginator(Partner.objects.filter(is_verified=True))

    assert (pages.count, pages.count_label) == (2, "2")


def test_a_whole_table_without_an_estimate_says_one_row_past_the_cap():
    # SQLite has no estimate, and PostgreSQL none for a table never analyzed.
    add_partners(CAP + 5)

    pages = paginator(Partner.objects.all())

    assert (pages.count, pages.count_label) == (CAP + 1, "3+")


@pytest.mark.postgres
def test_on_postgresql_a_whole_table_past_the_cap_says_its_estimate():
    add_partners(CAP + 5)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Partner._meta.db_table}")

    whole = paginator(Partner.objects.order_by("name", "pk"))
    filtered = paginator(Partner.objects.filter(name__startswith="Partner"))

    assert (whole.count, whole.count_label, whole.num_pages) == (CAP + 1, "about 8", 2)
    assert (filtered.count, filtered.count_label) == (CAP + 1, "3+")


@pytest.mark.postgres
def test_on_postgresql_a_stale_estimate_changes_the_label_and_no_page():
    add_partners(CAP + 5)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Partner._meta.db_table}")
    Partner.objects.filter(pk__in=Partner.objects.order_by("pk").values("pk")[:3]).delete()

    pages = paginator(Partner.objects.order_by("name", "pk"))

    # Five partners are left; the estimate still says the eight of the last ANALYZE.
    assert (pages.count, pages.count_label, pages.num_pages) == (CAP + 1, "about 8", 2)
    assert len(pages.page(pages.num_pages)) == 2


def test_past_the_cap_pages_stop_at_the_cap_whatever_the_estimate(monkeypatch):
    # An estimate far above the table, as a stale one from before a purge would be.
    monkeypatch.setattr(admin_big_tables, "_unfiltered_table_estimate", lambda queryset: 10**6)
    add_partners(CAP + 5)

    pages = paginator(Partner.objects.order_by("name", "pk"))

    assert (pages.count, pages.count_label, pages.num_pages) == (CAP + 1, "about 1,000,000", 2)
    assert list(pages.page_range) == [1, 2]
    with pytest.raises(EmptyPage):
        pages.page(3)


def test_the_list_says_how_many_past_the_cap_and_counts_nothing_else(
    mfa_admin_client, django_assert_num_queries
):
    client = mfa_admin_client
    add_partners(CAP + 2)
    url = reverse("admin:apps_registry_partner_changelist")
    client.get(url)

    # The session, the user and their second factor; the capped count; the page's rows.
    with django_assert_num_queries(5):
        page = client.get(url, {"q": "Partner"}).content.decode()

    assert "3+ partners" in page
    assert "3+ results" in page
    assert "Select all 3+ partners" in page
    assert "total" not in page


def test_a_search_matches_the_whole_term_from_the_start_of_names_and_ids_exactly(
    mfa_admin_client,
):
    northwind = factories.PartnerAppFactory(
        name="Helpdesk", partner=factories.PartnerFactory(name="Northwind Software")
    )
    other = factories.PartnerAppFactory(
        name="Software Northwind", partner=factories.PartnerFactory(name="Contoso")
    )
    url = reverse("admin:apps_registry_partnerapp_changelist")

    def found(term: str) -> set[str]:
        page = mfa_admin_client.get(url, {"q": term}).context["cl"]
        return {app.name for app in page.result_list}

    assert found("northwind soft") == {northwind.name}  # the partner's name, from its start
    assert found("Software") == {other.name}  # the app's name; not the middle of another's
    assert found(northwind.client_id) == {northwind.name}
    assert found(northwind.client_id.lower()) == set()  # an id is matched exactly
    assert found("Northwind Contoso") == set()  # the term is one phrase, not two words


def test_a_search_reads_a_related_table_through_a_subquery_not_a_join(
    mfa_admin_client, django_assert_num_queries
):
    factories.PartnerAppFactory(partner=factories.PartnerFactory(name="Northwind"))
    url = reverse("admin:apps_registry_partnerapp_changelist")
    mfa_admin_client.get(url)

    with django_assert_num_queries(5) as queries:
        mfa_admin_client.get(url, {"q": "Northwind"})

    count = next(q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"])
    assert "JOIN" not in count
    assert '"partner_id" IN (SELECT' in count


def test_a_big_list_sorts_only_by_a_column_an_index_serves(mfa_admin_client):
    # By name the partners run Alpha, Beta; by members (unindexed) Beta, Alpha.
    factories.PartnerFactory(name="Alpha")
    factories.MembershipFactory(partner=factories.PartnerFactory(name="Beta"))
    url = reverse("admin:apps_registry_partner_changelist")

    def listed(**params) -> tuple[list[str], list[str]]:
        """The names in the list's order, and the headers that are sort links."""
        cl = mfa_admin_client.get(url, params).context["cl"]
        sort_links = [header["text"] for header in result_headers(cl) if header["sortable"]]
        return [partner.name for partner in cl.result_list], sort_links

    members_column = 1 + PartnerAdmin.list_display.index("member_count")  # after the checkbox
    name_column = 1 + PartnerAdmin.list_display.index("name")
    assert listed() == (["Alpha", "Beta"], ["name"])
    assert listed(o=f"-{members_column}") == (["Alpha", "Beta"], ["name"])
    assert listed(o=f"-{name_column}") == (["Beta", "Alpha"], ["name"])


def leads_an_index(model, name: str) -> bool:
    """Whether an index of the whole table in the database (a model's, or one a migration made
    on a library's table) starts with `model`'s column `name`; not a relation, whose order is the
    related model's."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    if field.is_relation:
        return False
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    partial = {index.name for index in model._meta.indexes if index.condition is not None}
    return any(
        (details["index"] or details["primary_key"] or details["unique"])
        and details["columns"][:1] == [field.column]
        and index_name not in partial
        for index_name, details in constraints.items()
    )


@pytest.mark.django_db
def test_every_big_list_sorts_only_by_columns_an_index_leads(rf):
    request = rf.get("/")
    big_lists = [
        model_admin
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, BigTableAdminMixin)
    ]

    sortable = {
        (model_admin.model, name)
        for model_admin in big_lists
        for name in model_admin.get_sortable_by(request)
    }

    assert len(big_lists) == 15  # ours, the people and the libraries' registered again
    assert (DBTaskResult, "enqueued_at") in sortable  # an index a migration of ours made
    assert {column for column in sortable if not leads_an_index(*column)} == set()


def test_the_people_list_shows_the_newest_first_and_sorts_by_no_column(
    mfa_admin_client, admin_user
):
    older = factories.UserFactory(email="aaron@example.com")
    newer = factories.UserFactory(email="zoe@example.com")
    url = reverse("admin:auth_user_changelist")

    cl = mfa_admin_client.get(url, {"o": "1"}).context["cl"]  # by e-mail, were it sortable

    assert [person.pk for person in cl.result_list] == [newer.pk, older.pk, admin_user.pk]
    assert [header["sortable"] for header in result_headers(cl)] == [False] * 6
