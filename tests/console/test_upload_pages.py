"""Uploads through the console's pages and how the console serves them (ADR 0017): icons to
anyone by content hash, supporting files to the app's partner and to reviewers, 404 to others."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps_registry.models import AccessRequest, AccessRequestAttachment, PartnerApp
from apps_registry.services import access_requests, apps
from console.api.partner import AppOutputSerializer
from tests import factories
from tests.apps_registry.review_helpers import ANSWERS, make_member, make_reviewer
from tests.conftest import sign_in_with_mfa
from tests.upload_files import PDF, WINDOWS_EXECUTABLE, decoded, image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def branded(app: PartnerApp) -> PartnerApp:
    apps.app_update_branding(
        app_id=app.pk,
        acting_user=make_member(app.partner),
        publisher_url="https://acme.example/about",
        icon=upload(image_bytes()),
    )
    app.refresh_from_db()
    return app


def icon_url(app: PartnerApp) -> str:
    return reverse("app-icon", args=[app.client_id, app.icon_sha256])


# --- The app page ------------------------------------------------------------------------------


def test_the_app_page_uploads_an_icon_and_shows_it_with_the_publisher_domain(client, app):
    response = client.post(
        reverse("partner:app-branding", args=[app.pk]),
        {"icon": upload(image_bytes(), "logo.png"), "publisher_url": "https://acme.example/"},
    )

    assert response.status_code == 302
    app.refresh_from_db()
    page = client.get(reverse("partner:app-detail", args=[app.pk])).content.decode()
    assert f'src="{icon_url(app)}"' in page
    assert ">acme.example</a>" in page
    assert "New icon" in page  # the activity list


def test_a_refused_icon_re_renders_the_form_with_the_reason_and_the_typed_website(client, app):
    response = client.post(
        reverse("partner:app-branding", args=[app.pk]),
        {"icon": upload(WINDOWS_EXECUTABLE, "logo.png"), "publisher_url": "https://acme.example/"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "The icon is not a PNG, JPEG or WebP image." in page
    assert 'value="https://acme.example/"' in page
    app.refresh_from_db()
    assert (app.icon_sha256, app.publisher_url) == ("", "")


def test_an_app_without_an_icon_shows_its_initials(client, member):
    app = factories.PartnerAppFactory(partner=member.partner, name="north wind sync")

    page = client.get(reverse("partner:app-detail", args=[app.pk])).content.decode()

    assert 'data-testid="app-icon-placeholder">NW</span>' in page


# --- Serving icons -----------------------------------------------------------------------------


def test_an_icon_is_served_as_png_cached_for_good(client):
    app = branded(factories.PartnerAppFactory())

    response = client.get(icon_url(app))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "sandbox" in response["Content-Security-Policy"]
    # The API publishes this URL for partners to show the icon on their own sites.
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert decoded(b"".join(response.streaming_content)).size == (256, 256)


def test_an_old_hash_an_app_without_icon_and_an_unknown_app_are_404s(client):
    app = branded(factories.PartnerAppFactory())
    old_url = icon_url(app)
    apps.app_update_branding(
        app_id=app.pk,
        acting_user=make_member(app.partner),
        publisher_url=app.publisher_url,
        remove_icon=True,
    )

    assert client.get(old_url).status_code == 404
    assert client.get(f"/apps/{app.client_id}/icon/{'0' * 64}.png").status_code == 404
    assert client.get(f"/apps/nobody/icon/{'0' * 64}.png").status_code == 404


def test_an_icon_whose_file_is_a_folder_is_a_404(client):
    """Opening a folder raises IsADirectoryError, not FileNotFoundError: still no such icon."""
    app = branded(factories.PartnerAppFactory())
    PartnerApp.objects.filter(pk=app.pk).update(icon=f"app-icons/{app.pk}")

    assert client.get(icon_url(app)).status_code == 404


def test_the_seller_sees_the_icon_and_publisher_of_a_connected_app(client):
    app = branded(factories.PartnerAppFactory(name="Acme Sync"))
    other = factories.PartnerAppFactory(name="plain tool")
    shop = factories.ShopFactory()
    for connected in (app, other):
        factories.ShopAuthorizationFactory(
            app=connected, shop=shop, scopes=[factories.ScopeFactory()]
        )
    client.force_login(shop.owner)

    page = client.get(reverse("seller-apps")).content.decode()

    assert f'src="{icon_url(app)}"' in page
    assert ">acme.example</a>" in page
    assert 'data-testid="app-icon-placeholder">PT</span>' in page


def test_the_api_gives_the_icon_url_at_the_public_address_and_website(api, app, settings):
    """The console's public address (as in e-mails), not the Host the request came with."""
    settings.OAUTH_ISSUER = "https://console.example/"
    branded(app)
    expected = f"https://console.example/apps/{app.client_id}/icon/{app.icon_sha256}.png"

    body = api.get(f"/api/v1/apps/{app.pk}/").json()  # asked of testserver
    listed = api.get("/api/v1/apps/").json()["results"]

    assert body["icon_url"] == expected
    assert [row["icon_url"] for row in listed] == [expected]
    assert body["website"] == "https://acme.example/about"
    assert AppOutputSerializer(app).data["icon_url"] == expected  # no request needed


def test_the_api_gives_a_null_icon_url_without_an_icon(api, app):
    assert api.get(f"/api/v1/apps/{app.pk}/").json()["icon_url"] is None


# --- Applying with supporting files ---------------------------------------------------------


def test_the_apply_form_submits_files_with_the_answers(client, app):
    scope = factories.CustomScopeFactory()
    factories.conversations_endpoint(scope)

    response = client.post(
        reverse("partner:access-request-apply", args=[app.pk, scope.key]),
        {
            **ANSWERS,
            "attachments": [
                upload(PDF, "flow.pdf", "application/pdf"),
                upload(image_bytes(), "screen.png"),
            ],
        },
    )

    access_request = AccessRequest.objects.get()
    assert response.status_code == 302
    assert sorted(access_request.attachments.values_list("original_name", flat=True)) == [
        "flow.pdf",
        "screen.png",
    ]
    page = client.get(reverse("partner:request-detail", args=[access_request.pk])).content.decode()
    assert "flow.pdf" in page
    assert "screen.png" in page


def test_a_refused_file_keeps_the_answers_and_submits_nothing(client, app, media_root):
    scope = factories.CustomScopeFactory()
    factories.conversations_endpoint(scope)

    response = client.post(
        reverse("partner:access-request-apply", args=[app.pk, scope.key]),
        {**ANSWERS, "attachments": [upload(WINDOWS_EXECUTABLE, "evidence.pdf")]},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "is neither a PDF nor a PNG, JPEG or WebP image." in page
    assert ANSWERS["data_usage"] in page
    assert not AccessRequest.objects.exists()
    assert not any(media_root.rglob("*.*"))


# --- Serving supporting files ----------------------------------------------------------------


@pytest.fixture
def attachments(app, member):
    access_request = access_requests.access_request_submit(
        app=app,
        scope=factories.CustomScopeFactory(),
        answers=ANSWERS,
        acting_user=member.user,
        attachments=[
            upload(PDF, "Data flow.pdf", "application/pdf"),
            upload(image_bytes(), "screen.png"),
        ],
    )
    return access_request.attachments.order_by("pk")


def member_url(attachment: AccessRequestAttachment) -> str:
    return reverse(
        "partner:request-attachment", args=[attachment.access_request_id, attachment.public_id]
    )


def admin_url(attachment: AccessRequestAttachment) -> str:
    return reverse(
        "admin:apps_registry_accessrequest_attachment",
        args=[attachment.access_request_id, attachment.public_id],
    )


def test_a_member_downloads_the_pdf_and_sees_the_image_inline(client, attachments):
    pdf, image = attachments

    pdf_response = client.get(member_url(pdf))
    image_response = client.get(member_url(image))

    assert pdf_response.status_code == 200
    assert pdf_response["Content-Type"] == "application/pdf"
    assert pdf_response["Content-Disposition"] == 'attachment; filename="Data flow.pdf"'
    assert b"".join(pdf_response.streaming_content) == PDF
    assert image_response["Content-Type"] == "image/png"
    assert image_response["Content-Disposition"] == 'inline; filename="screen.png"'
    for response in (pdf_response, image_response):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
        assert "sandbox" in response["Content-Security-Policy"]
        assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_another_partner_gets_a_404_and_an_anonymous_visitor_the_sign_in_page(client, attachments):
    pdf = attachments[0]
    client.force_login(make_member(factories.PartnerFactory()))
    assert client.get(member_url(pdf)).status_code == 404
    assert client.get(admin_url(pdf)).status_code == 302  # a partner is not staff: admin login

    client.logout()
    response = client.get(member_url(pdf))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_file_of_another_application_of_the_same_partner_is_a_404(client, attachments, app):
    other = factories.AccessRequestFactory(app=app, status=AccessRequest.Status.WITHDRAWN)
    pdf = attachments[0]

    url = reverse("partner:request-attachment", args=[other.pk, pdf.public_id])

    assert client.get(url).status_code == 404


def test_a_reviewer_gets_the_files_through_the_admin_and_sees_them_listed(client, attachments):
    pdf, image = attachments
    sign_in_with_mfa(client, make_reviewer())

    page = client.get(
        reverse("admin:apps_registry_accessrequest_change", args=[pdf.access_request_id])
    ).content.decode()
    response = client.get(admin_url(pdf))

    assert f'<img src="{admin_url(image)}"' in page
    assert f'<a href="{admin_url(pdf)}" target="_blank" rel="noopener">Data flow.pdf</a>' in page
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Data flow.pdf"'
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_the_decision_page_lists_the_files_too(client, attachments):
    pdf, image = attachments
    sign_in_with_mfa(client, make_reviewer())

    page = client.get(
        reverse("admin:apps_registry_accessrequest_decide", args=[pdf.access_request_id, "reject"])
    ).content.decode()

    assert f'<img src="{admin_url(image)}"' in page
    assert f'<a href="{admin_url(pdf)}" target="_blank" rel="noopener">Data flow.pdf</a>' in page


@pytest.mark.parametrize("stored_name", ["", "access-request-attachments", "gone.pdf"])
def test_a_supporting_file_that_cannot_be_opened_is_a_404(client, attachments, stored_name):
    """ "" names the storage's root and the second a folder (IsADirectoryError); none is a 500."""
    AccessRequestAttachment.objects.filter(pk=attachments[0].pk).update(file=stored_name)

    assert client.get(member_url(attachments[0])).status_code == 404


def test_staff_without_the_review_permission_get_a_404(client, attachments):
    sign_in_with_mfa(client, factories.UserFactory(is_staff=True))

    assert client.get(admin_url(attachments[0])).status_code == 404


@pytest.mark.parametrize("object_id", ["%C2%B2", "1%C2%B2", "x", str(2**63), "9" * 30])
def test_an_admin_file_url_whose_application_id_is_not_an_id_is_a_404(
    client, attachments, object_id
):
    """ "²" passes str.isdigit() but not int(), and numbers past a 64-bit id name no row."""
    sign_in_with_mfa(client, make_reviewer())
    url = admin_url(attachments[0]).replace(
        f"/{attachments[0].access_request_id}/", f"/{object_id}/"
    )

    assert client.get(url).status_code == 404
