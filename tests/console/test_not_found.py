"""Selectors return None for what the user may not reach; pages and the API turn that into the
same 404 as before (the API's body names the kind of object, in the error model's shape)."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_another_partners_app_is_the_same_json_404(api):
    theirs = factories.PartnerAppFactory()

    response = api.get(f"/api/v1/apps/{theirs.pk}/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "No such partner app.", "fields": {}}


def test_another_partners_request_is_the_same_json_404(api):
    theirs = factories.AccessRequestFactory()

    response = api.get(f"/api/v1/requests/{theirs.pk}/")

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No such access request.",
        "fields": {},
    }


def test_applying_for_an_unknown_scope_is_a_404_page(client, app):
    response = client.get(f"/console/apps/{app.pk}/api/seller.no_such_scope/apply/")

    assert response.status_code == 404
