"""Files for the upload tests: real images made with Pillow, a PDF, and files that only pretend."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageDraw, PngImagePlugin

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
WINDOWS_EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def image_bytes(
    width: int = 300,
    height: int = 300,
    image_format: str = "PNG",
    colour: tuple[int, int, int] = (200, 40, 90),
    **save,
) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), colour)
    image.save(buffer, format=image_format, **save)
    return buffer.getvalue()


def png_with_text(text: str, size: int = 300) -> bytes:
    """A PNG carrying a text chunk, which a re-encoded copy must not keep."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    return image_bytes(size, size, "PNG", pnginfo=info)


def jpeg_with_exif(size: int = 300) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    return image_bytes(size, size, "JPEG", exif=exif.tobytes())


SECRET = "SecretCam-42"
# What Pillow reports in an image's `info` when a file carries metadata, by format.
METADATA_KEYS = {"exif", "icc_profile", "comment", "Comment", "xmp", "XML:com.adobe.xmp"}


def image_with_metadata(image_format: str, width: int = 300, height: int = 260) -> bytes:
    """An image carrying an ICC profile, EXIF (a camera make and a quarter-turn orientation, so
    it shows `height` x `width` upright) and, by format, a text chunk, a comment or XMP; every
    text names SECRET."""
    exif = Image.Exif()
    exif[0x010F] = SECRET  # Make
    exif[0x0112] = 6  # Orientation: turn a quarter clockwise to show upright
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    save = {"exif": exif.tobytes(), "icc_profile": srgb}
    if image_format == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", SECRET)
        save["pnginfo"] = text
    elif image_format == "JPEG":
        save["comment"] = SECRET
    else:
        save["xmp"] = f"<x:xmpmeta><rdf:Description>{SECRET}</rdf:Description></x:xmpmeta>".encode()
    return image_bytes(width, height, image_format, **save)


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height`: a decompression bomb's header."""
    data = bytearray(image_bytes(1, 1))
    ihdr = bytearray(data[16:29])  # IHDR data follows the 8-byte signature, length and type
    ihdr[0:8] = struct.pack(">II", width, height)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)))
    return bytes(data)


def upload(content: bytes, name: str = "file.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def decoded(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def logo_bytes(size: int = 512) -> bytes:
    """A PNG that looks like an app's logo: a white ring and an orange square on blue."""
    image = Image.new("RGB", (size, size), (28, 78, 160))
    draw = ImageDraw.Draw(image)
    unit = size // 8
    draw.ellipse((unit, unit, 7 * unit, 7 * unit), outline=(255, 255, 255), width=unit // 2 + 4)
    draw.rectangle((3 * unit, 3 * unit, 5 * unit, 5 * unit), fill=(247, 140, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
