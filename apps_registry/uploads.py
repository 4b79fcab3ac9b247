"""What the console accepts from partners' file uploads, decided from the bytes, never from a file's
name or the browser's content type (ADR 0017).

Images are decoded by Pillow, which opens only PNG, JPEG and WebP here, and re-encoded: what we
store and serve is pixels we drew, with no metadata, no second format hidden behind the first and no
payload after the image's end. PDFs cannot be re-drawn, so they must start with the PDF signature
and are only ever served as downloads. Every check runs before anything is stored.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import unicodedata
import warnings
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps

from apps_registry.error_codes import UploadErrorCode
from core.errors import InvalidInputError

ACCEPTED_IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
IMAGE_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
PDF_SIGNATURE = b"%PDF-"
PDF_CONTENT_TYPE = "application/pdf"

ICON_MAX_BYTES = 1024 * 1024
ICON_MIN_SIDE = 128
ICON_MAX_SIDE = 4096
ICON_MAX_ASPECT_RATIO = 1.25  # "roughly square": the longer side at most a quarter longer
ICON_SIDE = 256  # every stored icon is a 256x256 PNG

ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENT_MAX_FILES = 5
ATTACHMENT_MAX_SIDE = 8000
# 12 megapixels covers a 4K screenshot (8.3) or a phone photo (12); more is a decompression bomb,
# not evidence. Decoding and re-encoding briefly holds about two 4-byte-per-pixel copies, so this
# caps one upload at roughly 100 MB of memory.
ATTACHMENT_MAX_PIXELS = 12_000_000
ORIGINAL_NAME_MAX_LENGTH = 200


@dataclasses.dataclass(frozen=True)
class CheckedFile:
    """An upload that passed its checks: the bytes to store and what to say about them."""

    content: bytes
    content_type: str
    original_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def extension(self) -> str:
        if self.content_type == PDF_CONTENT_TYPE:
            return "pdf"
        return IMAGE_EXTENSIONS[self.content_type]


@contextlib.contextmanager
def _blamed_on(field: str):
    """Refusals inside name `field` as the input to blame, so a form shows them under it."""
    try:
        yield
    except InvalidInputError as error:
        error.fields = {field: [error.message]}
        raise


def _read_capped(upload: UploadedFile, *, max_bytes: int, what: str) -> bytes:
    """The upload's bytes, refused when over `max_bytes` (reading one byte more tells)."""
    upload.seek(0)
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise InvalidInputError(
            f"{what} is larger than {max_bytes // (1024 * 1024)} MB; upload a smaller file.",
            code=UploadErrorCode.FILE_TOO_LARGE,
        )
    if not content:
        raise InvalidInputError(f"{what} is empty.", code=UploadErrorCode.EMPTY_FILE)
    return content


def _too_large(what: str, *, max_side: int) -> InvalidInputError:
    return InvalidInputError(
        f"{what} is too large: at most {max_side}x{max_side} pixels.",
        code=UploadErrorCode.IMAGE_TOO_LARGE,
    )


def _not_an_image(what: str) -> InvalidInputError:
    return InvalidInputError(
        f"{what} is not a PNG, JPEG or WebP image.", code=UploadErrorCode.UNSUPPORTED_FILE_TYPE
    )


def _opened_image(content: bytes, *, what: str, max_side: int, max_pixels: int) -> Image.Image:
    """Open PNG, JPEG or WebP only, reading the header and no pixel: the size is checked here, so
    a small file that would expand to gigabytes (a decompression bomb) is refused undecoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(content), formats=list(ACCEPTED_IMAGE_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large(what, max_side=max_side) from None
        except (OSError, ValueError, SyntaxError):
            raise _not_an_image(what) from None
    width, height = image.size
    if width > max_side or height > max_side:
        raise _too_large(what, max_side=max_side)
    if width * height > max_pixels:
        raise InvalidInputError(
            f"{what} is {width}x{height} pixels; it may have at most "
            f"{max_pixels / 1_000_000:g} million pixels.",
            code=UploadErrorCode.IMAGE_TOO_LARGE,
        )
    return image


def _decoded_without_metadata(image: Image.Image, *, what: str) -> Image.Image:
    """The image's pixels, decoded, upright and as plain RGB(A), with no EXIF, ICC profile or
    text chunk: Pillow writes metadata only from an image's `info` or from save arguments, so a
    converted copy with an empty `info` carries none. One copy besides the decoded pixels."""
    try:
        image.load()
    except (OSError, ValueError, SyntaxError):
        raise _not_an_image(what) from None
    ImageOps.exif_transpose(image, in_place=True)
    has_alpha = image.mode in {"RGBA", "LA", "P", "PA"} or "transparency" in image.info
    pixels = image.convert("RGBA" if has_alpha else "RGB")
    pixels.info = {}
    return pixels


def _encoded(image: Image.Image, image_format: str) -> bytes:
    """`image` saved as `image_format`; a JPEG was never transparent, so its pixels are RGB."""
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **({"quality": 90} if image_format == "JPEG" else {}))
    return buffer.getvalue()


def safe_original_name(name: str) -> str:
    """The name the partner's file had, for display and downloads: no folders, no control or
    format characters, at most ORIGINAL_NAME_MAX_LENGTH characters."""
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[-ORIGINAL_NAME_MAX_LENGTH:] or "file"


def checked_icon(upload: UploadedFile, *, field: str = "icon") -> CheckedFile:
    """An app icon: PNG, JPEG or WebP up to 1 MB, 128 to 4096 pixels a side, roughly square;
    stored as a 256x256 PNG, centre-cropped to a square."""
    with _blamed_on(field):
        return _checked_icon(upload)


def _checked_icon(upload: UploadedFile) -> CheckedFile:
    what = "The icon"
    content = _read_capped(upload, max_bytes=ICON_MAX_BYTES, what=what)
    image = _opened_image(
        content, what=what, max_side=ICON_MAX_SIDE, max_pixels=ICON_MAX_SIDE * ICON_MAX_SIDE
    )
    width, height = image.size
    if min(width, height) < ICON_MIN_SIDE:
        raise InvalidInputError(
            f"The icon is {width}x{height} pixels; it must be at least "
            f"{ICON_MIN_SIDE}x{ICON_MIN_SIDE}.",
            code=UploadErrorCode.IMAGE_TOO_SMALL,
        )
    if max(width, height) > ICON_MAX_ASPECT_RATIO * min(width, height):
        raise InvalidInputError(
            f"The icon is {width}x{height} pixels; it must be (roughly) square.",
            code=UploadErrorCode.IMAGE_NOT_SQUARE,
        )
    icon = ImageOps.fit(
        _decoded_without_metadata(image, what=what),
        (ICON_SIDE, ICON_SIDE),
        Image.Resampling.LANCZOS,
    )
    return CheckedFile(
        content=_encoded(icon, "PNG"),
        content_type="image/png",
        original_name=safe_original_name(upload.name or ""),
    )


def checked_attachment(upload: UploadedFile) -> CheckedFile:
    """Supporting evidence for an application: a PDF (by its signature) or a PNG, JPEG or WebP
    image (re-encoded in its own format) of at most 5 MB."""
    original_name = safe_original_name(upload.name or "")
    what = f"“{original_name}”"
    content = _read_capped(upload, max_bytes=ATTACHMENT_MAX_BYTES, what=what)
    if content.startswith(PDF_SIGNATURE):
        return CheckedFile(
            content=content, content_type=PDF_CONTENT_TYPE, original_name=original_name
        )
    try:
        image = _opened_image(
            content, what=what, max_side=ATTACHMENT_MAX_SIDE, max_pixels=ATTACHMENT_MAX_PIXELS
        )
        pixels = _decoded_without_metadata(image, what=what)
    except InvalidInputError as error:
        if error.code != UploadErrorCode.UNSUPPORTED_FILE_TYPE:
            raise
        raise InvalidInputError(
            f"{what} is neither a PDF nor a PNG, JPEG or WebP image.",
            code=UploadErrorCode.UNSUPPORTED_FILE_TYPE,
        ) from None
    return CheckedFile(
        content=_encoded(pixels, image.format),
        content_type=ACCEPTED_IMAGE_FORMATS[image.format],
        original_name=original_name,
    )


def checked_attachments(
    uploads: list[UploadedFile], *, already_attached: int = 0, field: str = "attachments"
) -> list[CheckedFile]:
    """Each upload checked by checked_attachment, once the count is known to fit: an application
    holds at most ATTACHMENT_MAX_FILES files in all, `already_attached` of them before this call,
    so too many is refused before a single file is decoded."""
    with _blamed_on(field):
        allowance = ATTACHMENT_MAX_FILES - already_attached
        if len(uploads) > allowance:
            raise InvalidInputError(
                f"Attach at most {ATTACHMENT_MAX_FILES} files; you chose {len(uploads)}."
                if not already_attached
                else f"An application holds at most {ATTACHMENT_MAX_FILES} files; this one has "
                f"{already_attached} already, so you may attach {allowance or 'no'} more.",
                code=UploadErrorCode.TOO_MANY_FILES,
            )
        return [checked_attachment(upload) for upload in uploads]
