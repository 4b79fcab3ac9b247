"""The API keeps the promises of its OpenAPI document (/api/v1/schema/), checked by schemathesis.

Every operation is called in-process through the WSGI app against the test database, anonymously
and as a signed-in partner (session cookie plus CSRF token, so writes get past the CSRF check and
really run), with all of schemathesis's checks: only documented status codes, content types and
headers; responses that match their schema; schema-valid requests accepted, schema-violating ones
refused (negative and coverage phases); undeclared methods answered with 405. The seed is fixed
and Hypothesis derandomized, so a run is repeatable, and the example budget is small.
"""

from __future__ import annotations

from importlib import import_module

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client

from apps_registry.models import AccessRequest, Membership
from tests import factories

EXAMPLES_PER_OPERATION = 10
# A page's `cursor` is opaque, handed out by the previous page: no schema can tell a valid one from
# a string of the same shape, so these lists may refuse a schema-valid request with their 400.
KEYSET_LISTS = ["apps_list", "requests_list", "apps_webhook_deliveries_list"]

# Loaded at import: schemathesis's lazy `from_fixture` loader does not run on pytest 9. Building
# the document needs no database; the calls below run inside each test's transaction.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/",
    get_wsgi_application(),
    config=schemathesis.Config.from_dict(
        {
            "seed": 20261126,
            "generation": {"max-examples": EXAMPLES_PER_OPERATION},
            "operations": [
                {
                    "include-operation-id": KEYSET_LISTS,
                    "checks": {
                        "positive_data_acceptance": {
                            # schemathesis's default, and 400
                            "expected-statuses": [
                                "2xx",
                                "3xx",
                                "400",
                                "401",
                                "403",
                                "404",
                                "409",
                                "429",
                                "5xx",
                            ]
                        }
                    },
                }
            ],
        }
    ),
)

run_settings = hypothesis.settings(
    database=None,  # no example database: the fixed seed is what makes a failure repeat
    derandomize=True,
    deadline=None,
    # The fixtures below make the catalog and a signed-in partner once per operation; every
    # generated request may see rows earlier requests created, as a real client would.
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def requests_keep_the_test_transaction():
    """Django closes stale database connections around every request; its test client switches
    that off (and back on after each of its requests, so ask for this fixture last), and calls
    through the bare WSGI app must too, or on PostgreSQL the first one closes the test's
    transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Schemathesis builds its coverage-phase requests (auth included) when the tests are collected,
# before any fixture runs, so the partner's credentials are fixed values the fixture makes real.
PARTNER_SESSION_KEY = "schemathesispartnersession000001"
CSRF_SECRET = "SchemathesisCsrfSecret0000000001"  # Django's CSRF secret: 32 letters and digits


class PartnerSession:
    """Schemathesis auth provider: the signed-in partner's session cookie and CSRF token.

    As an auth provider (not extra headers) schemathesis knows these credentials are real: it
    leaves them out where it tests that anonymous calls are refused, and probes that the API
    refuses the same call without them.
    """

    def get(self, case, context):
        return {"sessionid": PARTNER_SESSION_KEY, "csrftoken": CSRF_SECRET}

    def set(self, case, credentials, context):
        case.cookies = {**(case.cookies or {}), **credentials}
        case.headers = {**(case.headers or {}), "X-CSRFToken": credentials["csrftoken"]}


@pytest.fixture
def partner_session(catalog):
    """A partner owner with an app and a Custom-scope application, signed in under the session
    key PartnerSession sends."""
    membership = factories.MembershipFactory(role=Membership.Role.OWNER)
    app = factories.PartnerAppFactory(partner=membership.partner)
    factories.AppScopeFactory(app=app, scope=factories.ScopeFactory(key="seller.product.basic"))
    factories.AccessRequestFactory(
        app=app, submitted_by=membership.user, status=AccessRequest.Status.SUBMITTED
    )
    browser = Client()
    browser.force_login(membership.user)
    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    signed_in = dict(browser.session.items())
    session_store(session_key=PARTNER_SESSION_KEY).create_model_instance(signed_in).save()
    check = Client()
    check.cookies["sessionid"] = PARTNER_SESSION_KEY
    # Else every call below would quietly be the anonymous run again.
    assert check.get("/api/v1/apps/").status_code == 200


@schema.parametrize()
@run_settings
def test_api_matches_its_schema_anonymously(case, catalog, requests_keep_the_test_transaction):
    case.call_and_validate()


@schema.auth.apply(PartnerSession)
@schema.parametrize()
@run_settings
def test_api_matches_its_schema_for_a_signed_in_partner(
    case, partner_session, requests_keep_the_test_transaction
):
    case.call_and_validate()
