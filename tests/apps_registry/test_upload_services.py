"""Partner uploads (ADR 0017): an app's icon and publisher website, an application's supporting
files. What is accepted is decided from the bytes; what is refused leaves nothing stored and
nothing changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from PIL import ImageFile

from apps_registry.events import audit as audit_events
from apps_registry.models import AccessRequest, AccessRequestAttachment, PartnerApp
from apps_registry.models import PartnerAuditEvent as AuditEvent
from apps_registry.services import access_requests, apps
from apps_registry.uploads import checked_attachment, checked_icon
from core.errors import InvalidInputError, InvalidTransitionError, PermissionRefusedError
from tests import factories
from tests.apps_registry.review_helpers import ANSWERS, make_member, make_request, snapshot
from tests.upload_files import (
    METADATA_KEYS,
    PDF,
    SECRET,
    WINDOWS_EXECUTABLE,
    decoded,
    image_bytes,
    image_with_metadata,
    jpeg_with_exif,
    png_claiming_size,
    png_with_text,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """A storage of its own per test, so "nothing stored" can be checked by listing it."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


# --- App icon and publisher website ----------------------------------------------------------


def test_an_icon_is_re_encoded_to_a_256_png_stored_by_its_hash_and_audited(media_root):
    app = factories.PartnerAppFactory()
    member = make_member(app.partner)

    apps.app_update_branding(
        app_id=app.pk,
        acting_user=member,
        publisher_url="https://acme.example/",
        icon=upload(jpeg_with_exif(600), "logo.jpg", "image/jpeg"),
    )

    app.refresh_from_db()
    stored = default_storage.open(app.icon.name).read()
    icon = decoded(stored)
    assert (icon.format, icon.size) == ("PNG", (256, 256))
    assert not icon.getexif()
    assert "exif" not in icon.info
    assert app.icon_sha256 == hashlib.sha256(stored).hexdigest()
    assert app.icon.name == f"app-icons/{app.pk}/{app.icon_sha256}.png"
    assert stored_files(media_root) == [app.icon.name]
    assert app.publisher_url == "https://acme.example/"
    assert app.publisher_domain == "acme.example"
    event = AuditEvent.objects.get(app=app)
    assert event.actor == member
    assert audit_events.read_details(event) == audit_events.BrandingChanged(
        icon_sha256={"old": "", "new": app.icon_sha256},
        publisher_url={"old": "", "new": "https://acme.example/"},
    )


@pytest.mark.parametrize(
    "mismatch",
    [{"icon": ""}, {"icon_sha256": ""}],
    ids=["file-cleared-hash-kept", "hash-cleared-file-kept"],
)
def test_the_database_refuses_an_icon_file_and_hash_that_disagree(mismatch):
    """Set and cleared together (a check constraint), so no page links to an icon with no file."""
    app = factories.PartnerAppFactory()
    apps.app_update_branding(
        app_id=app.pk,
        acting_user=make_member(app.partner),
        publisher_url="",
        icon=upload(image_bytes()),
    )
    app.refresh_from_db()
    stored = (app.icon.name, app.icon_sha256)

    for field, value in mismatch.items():
        setattr(app, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        app.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerApp.objects.filter(pk=app.pk).update(**mismatch)

    assert PartnerApp.objects.values_list("icon", "icon_sha256").get(pk=app.pk) == stored


def test_the_database_refuses_an_icon_hash_without_a_file():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PartnerAppFactory(icon_sha256="ab" * 32)

    assert not PartnerApp.objects.exists()


def test_a_png_keeps_none_of_its_text_chunks():
    app = factories.PartnerAppFactory()

    apps.app_update_branding(
        app_id=app.pk,
        acting_user=make_member(app.partner),
        publisher_url="",
        icon=upload(png_with_text("made by someone")),
    )

    app.refresh_from_db()
    assert "Comment" not in decoded(default_storage.open(app.icon.name).read()).info


def test_a_new_icon_replaces_the_old_file_after_commit(
    media_root, django_capture_on_commit_callbacks
):
    app = factories.PartnerAppFactory()
    member = make_member(app.partner)
    apps.app_update_branding(
        app_id=app.pk, acting_user=member, publisher_url="", icon=upload(image_bytes(300, 300))
    )
    old_name = PartnerApp.objects.get(pk=app.pk).icon.name

    with django_capture_on_commit_callbacks(execute=True):
        apps.app_update_branding(
            app_id=app.pk,
            acting_user=member,
            publisher_url="",
            icon=upload(image_bytes(400, 420, colour=(0, 90, 200))),
        )

    app.refresh_from_db()
    assert app.icon.name != old_name
    assert stored_files(media_root) == [app.icon.name]


def test_removing_the_icon_deletes_its_file_after_commit(
    media_root, django_capture_on_commit_callbacks
):
    app = factories.PartnerAppFactory()
    member = make_member(app.partner)
    apps.app_update_branding(
        app_id=app.pk, acting_user=member, publisher_url="", icon=upload(image_bytes())
    )

    with django_capture_on_commit_callbacks(execute=True):
        apps.app_update_branding(
            app_id=app.pk, acting_user=member, publisher_url="", remove_icon=True
        )

    app.refresh_from_db()
    assert (app.icon.name, app.icon_sha256) == ("", "")
    assert stored_files(media_root) == []


ICON_REFUSALS = [
    pytest.param(image_bytes(300, 300, "GIF"), "unsupported_file_type", id="gif"),
    pytest.param(WINDOWS_EXECUTABLE, "unsupported_file_type", id="exe-renamed-png"),
    pytest.param(PDF, "unsupported_file_type", id="pdf"),
    pytest.param(b"", "empty_file", id="empty"),
    pytest.param(image_bytes(100, 100), "image_too_small", id="too-small"),
    pytest.param(image_bytes(400, 200), "image_not_square", id="not-square"),
    pytest.param(png_claiming_size(5000, 5000), "image_too_large", id="too-many-pixels"),
    pytest.param(png_claiming_size(100_000, 100_000), "image_too_large", id="decompression-bomb"),
    pytest.param(image_bytes(1) + b"\0" * (1024 * 1024), "file_too_large", id="over-1-mb"),
    pytest.param(image_bytes()[:200], "unsupported_file_type", id="truncated"),
]


@pytest.mark.parametrize(("content", "code"), ICON_REFUSALS)
def test_an_icon_that_breaks_a_rule_is_refused_with_nothing_stored(media_root, content, code):
    app = factories.PartnerAppFactory()

    with pytest.raises(InvalidInputError) as refusal:
        apps.app_update_branding(
            app_id=app.pk,
            acting_user=make_member(app.partner),
            publisher_url="https://acme.example/",
            icon=upload(content, "icon.png"),
        )

    assert refusal.value.code == code
    assert list(refusal.value.fields) == ["icon"]
    app.refresh_from_db()
    assert (app.icon.name, app.icon_sha256, app.publisher_url) == ("", "", "")
    assert stored_files(media_root) == []
    assert not AuditEvent.objects.filter(app=app).exists()


@pytest.mark.parametrize(
    "publisher_url", ["http://acme.example/", "acme", "https://localhost/", "javascript:alert(1)"]
)
def test_the_publisher_website_must_be_an_https_address_with_a_domain(publisher_url):
    app = factories.PartnerAppFactory()

    with pytest.raises(InvalidInputError) as refusal:
        apps.app_update_branding(
            app_id=app.pk, acting_user=make_member(app.partner), publisher_url=publisher_url
        )

    assert (refusal.value.code, list(refusal.value.fields)) == ("invalid_url", ["publisher_url"])
    app.refresh_from_db()
    assert app.publisher_url == ""


def test_branding_is_refused_to_a_non_member_and_for_a_suspended_app(media_root):
    app = factories.PartnerAppFactory()
    outsider = make_member(factories.PartnerFactory())
    suspended = factories.PartnerAppFactory(status=PartnerApp.Status.SUSPENDED)

    with pytest.raises(PermissionRefusedError):
        apps.app_update_branding(
            app_id=app.pk, acting_user=outsider, publisher_url="", icon=upload(image_bytes())
        )
    with pytest.raises(InvalidTransitionError) as refusal:
        apps.app_update_branding(
            app_id=suspended.pk,
            acting_user=make_member(suspended.partner),
            publisher_url="",
            icon=upload(image_bytes()),
        )

    assert refusal.value.code == "app_suspended"
    assert stored_files(media_root) == []
    assert not PartnerApp.objects.exclude(icon="").exists()
    assert not AuditEvent.objects.exists()


def test_a_branding_change_that_changes_nothing_is_refused():
    app = factories.PartnerAppFactory(publisher_url="https://acme.example/")

    with pytest.raises(InvalidInputError) as refusal:
        apps.app_update_branding(
            app_id=app.pk,
            acting_user=make_member(app.partner),
            publisher_url="https://acme.example/",
        )

    assert refusal.value.code == "nothing_to_change"
    assert not AuditEvent.objects.exists()


# --- Supporting files on applications --------------------------------------------------------


def submit(app, member, files):
    return access_requests.access_request_submit(
        app=app,
        scope=factories.CustomScopeFactory(),
        answers=ANSWERS,
        acting_user=member,
        attachments=files,
    )


def test_a_pdf_is_kept_as_is_and_an_image_re_encoded_under_random_names(media_root):
    app = factories.PartnerAppFactory()
    member = make_member(app.partner)

    access_request = submit(
        app,
        member,
        [
            upload(PDF, "../../Data flow.pdf", "application/pdf"),
            upload(png_with_text("secret"), "screen.png"),
        ],
    )

    pdf, image = access_request.attachments.order_by("pk")
    assert (pdf.original_name, pdf.content_type, pdf.size) == (
        "Data flow.pdf",
        "application/pdf",
        len(PDF),
    )
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    assert default_storage.open(pdf.file.name).read() == PDF
    assert (image.original_name, image.content_type) == ("screen.png", "image/png")
    stored_image = default_storage.open(image.file.name).read()
    assert "Comment" not in decoded(stored_image).info
    assert image.sha256 == hashlib.sha256(stored_image).hexdigest()
    assert {pdf.uploaded_by, image.uploaded_by} == {member}
    for attachment in (pdf, image):
        name = Path(attachment.file.name)
        assert name.parent == Path(f"access-request-attachments/{access_request.pk}")
        assert not {"Data", "screen"} & set(name.stem.split())
    assert len(stored_files(media_root)) == 2


EXE_AS_PDF = upload(WINDOWS_EXECUTABLE, "evidence.pdf", "application/pdf")
HTML_AS_PDF = upload(b"<html><script>alert(1)</script>", "a.pdf", "application/pdf")
OVER_5_MB = upload(PDF + b"\0" * (5 * 1024 * 1024), "big.pdf", "application/pdf")
GIF = upload(image_bytes(300, 300, "GIF"), "anim.gif", "image/gif")
ATTACHMENT_REFUSALS = [
    pytest.param([EXE_AS_PDF], "unsupported_file_type", id="exe-renamed-pdf"),
    pytest.param([upload(WINDOWS_EXECUTABLE)], "unsupported_file_type", id="exe-renamed-png"),
    pytest.param([HTML_AS_PDF], "unsupported_file_type", id="html"),
    pytest.param([OVER_5_MB], "file_too_large", id="over-5-mb"),
    pytest.param([upload(png_claiming_size(10**5, 10**5))], "image_too_large", id="bomb"),
    pytest.param([upload(png_claiming_size(4000, 3001))], "image_too_large", id="over-12-mpx"),
    pytest.param([upload(PDF, f"{n}.pdf") for n in range(6)], "too_many_files", id="six-files"),
    pytest.param([upload(PDF, "ok.pdf"), GIF], "unsupported_file_type", id="one-bad-of-two"),
]


@pytest.mark.parametrize(("files", "code"), ATTACHMENT_REFUSALS)
def test_files_that_break_a_rule_refuse_the_application_with_nothing_stored(
    media_root, files, code
):
    app = factories.PartnerAppFactory()

    with pytest.raises(InvalidInputError) as refusal:
        submit(app, make_member(app.partner), files)

    assert refusal.value.code == code
    assert list(refusal.value.fields) == ["attachments"]
    assert not AccessRequest.objects.exists()
    assert not AccessRequestAttachment.objects.exists()
    assert stored_files(media_root) == []


def test_a_non_member_cannot_attach_files(media_root):
    app = factories.PartnerAppFactory()

    with pytest.raises(PermissionRefusedError):
        submit(app, make_member(factories.PartnerFactory()), [upload(PDF, "a.pdf")])

    assert not AccessRequest.objects.exists()
    assert stored_files(media_root) == []


def test_resubmitting_adds_files_up_to_five_in_all(media_root):
    access_request = make_request(status=AccessRequest.Status.CHANGES_REQUESTED)
    member = access_request.submitted_by
    for n in range(4):
        factories_attachment(access_request, member, n)

    with pytest.raises(InvalidInputError) as refusal:
        access_requests.access_request_resubmit(
            request_id=access_request.pk,
            answers={"data_usage": "We answer buyer messages, now with a screenshot."},
            acting_user=member,
            attachments=[upload(PDF, "a.pdf"), upload(PDF, "b.pdf")],
        )
    assert refusal.value.code == "too_many_files"
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.CHANGES_REQUESTED
    assert stored_files(media_root) == []

    access_requests.access_request_resubmit(
        request_id=access_request.pk,
        answers={"data_usage": "We answer buyer messages, now with a screenshot."},
        acting_user=member,
        attachments=[upload(image_bytes(), "screen.webp")],
    )
    access_request.refresh_from_db()
    assert access_request.status == AccessRequest.Status.SUBMITTED
    assert access_request.attachments.count() == 5
    assert len(stored_files(media_root)) == 1


def test_a_file_past_the_total_is_refused_before_any_file_is_decoded(monkeypatch, media_root):
    """Five stored and one more: refused on the count alone, so neither the new images' pixels
    nor the resubmission's status change are spent on an application that cannot take them."""
    access_request = make_request(status=AccessRequest.Status.CHANGES_REQUESTED)
    member = access_request.submitted_by
    for n in range(5):
        factories_attachment(access_request, member, n)
    before = snapshot(access_request)
    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_to_decode)

    with pytest.raises(InvalidInputError) as refusal:
        access_requests.access_request_resubmit(
            request_id=access_request.pk,
            answers={"data_usage": "We answer buyer messages, now with a screenshot."},
            acting_user=member,
            attachments=[upload(image_bytes(), "screen.png")],
        )

    message = (
        "An application holds at most 5 files; this one has 5 already, so you may attach no more."
    )
    assert (refusal.value.code, refusal.value.message) == ("too_many_files", message)
    assert refusal.value.fields == {"attachments": [message]}
    assert snapshot(access_request) == before
    assert access_request.data_usage != "We answer buyer messages, now with a screenshot."
    assert access_request.attachments.count() == 5
    assert stored_files(media_root) == []


def factories_attachment(access_request, member, n: int) -> AccessRequestAttachment:
    """An attachment row whose file is stored elsewhere (the cap counts rows)."""
    return AccessRequestAttachment.objects.create(
        access_request=access_request,
        file=f"elsewhere/{n}.pdf",
        original_name=f"{n}.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        uploaded_by=member,
    )


# --- Decoding: judged from the header first, re-drawn without metadata ------------------------


class DecodingReachedError(Exception):
    """Raised by a stand-in for Pillow's decoder: reaching it means the header passed."""


def refuse_to_decode(image):
    raise DecodingReachedError


HEADER_CHECKS = [
    pytest.param(checked_icon, image_bytes(100, 100), "image_too_small", id="icon-too-small"),
    pytest.param(checked_icon, image_bytes(400, 200), "image_not_square", id="icon-not-square"),
    pytest.param(checked_icon, png_claiming_size(5000, 5000), "image_too_large", id="icon-big"),
    pytest.param(
        checked_attachment, png_claiming_size(8001, 100), "image_too_large", id="too-wide"
    ),
    pytest.param(
        checked_attachment, png_claiming_size(4000, 3001), "image_too_large", id="over-12-mpx"
    ),
    pytest.param(checked_attachment, png_claiming_size(4000, 3000), None, id="at-12-mpx"),
    pytest.param(checked_icon, png_claiming_size(4096, 4096), None, id="icon-at-4096"),
]


@pytest.mark.parametrize(("check", "content", "code"), HEADER_CHECKS)
def test_an_image_is_measured_from_its_header_before_a_pixel_is_decoded(
    monkeypatch, check, content, code
):
    """An 8000x5000 PNG of one colour is 165 KB on the wire but 160 MB a copy once decoded, so
    every rule about its size and shape must refuse it before Pillow decodes it."""
    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_to_decode)

    if code is None:  # within every rule: decoding is the next step
        with pytest.raises(DecodingReachedError):
            check(upload(content))
        return
    with pytest.raises(InvalidInputError) as refusal:
        check(upload(content))
    assert refusal.value.code == code


@pytest.mark.parametrize(
    ("image_format", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")],
)
def test_an_attachment_image_is_stored_upright_with_none_of_its_metadata(
    image_format, content_type
):
    content = image_with_metadata(image_format)
    assert {"exif", "icc_profile"} <= set(decoded(content).info)  # the metadata to lose
    app = factories.PartnerAppFactory()

    access_request = submit(app, make_member(app.partner), [upload(content, "shot", content_type)])

    attachment = access_request.attachments.get()
    stored = default_storage.open(attachment.file.name).read()
    image = decoded(stored)
    assert (attachment.content_type, image.format, image.size) == (
        content_type,
        image_format,
        (260, 300),
    )
    assert METADATA_KEYS & set(image.info) == set()
    assert dict(image.getexif()) == {}
    assert SECRET.encode() not in stored


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "WEBP"])
def test_an_icon_is_stored_with_none_of_its_metadata(image_format):
    app = factories.PartnerAppFactory()

    apps.app_update_branding(
        app_id=app.pk,
        acting_user=make_member(app.partner),
        publisher_url="",
        icon=upload(image_with_metadata(image_format)),
    )

    app.refresh_from_db()
    stored = default_storage.open(app.icon.name).read()
    icon = decoded(stored)
    assert (icon.format, icon.size) == ("PNG", (256, 256))
    assert METADATA_KEYS & set(icon.info) == set()
    assert dict(icon.getexif()) == {}
    assert SECRET.encode() not in stored
