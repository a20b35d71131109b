"""Profile photos: checked by content, bounded, resized, stripped and re-encoded.

Nothing a person uploads is stored as uploaded. The bytes must decode as JPEG, PNG
or WebP (whatever the file name or declared content type says), the pixel count is
bounded before any pixel is decoded (decompression bombs), and the stored file is a
fresh WebP encoding of at most ``AVATAR_MAX_SIDE`` pixels a side with no metadata
(EXIF, GPS, ICC comments) carried over.
"""

from __future__ import annotations

import io
import warnings
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp"
AVATAR_MAX_SIDE = 512
# 40 megapixels covers any phone camera; anything larger is refused before decoding.
MAX_SOURCE_PIXELS = 40_000_000
OUTPUT_FORMAT = "WEBP"
OUTPUT_CONTENT_TYPE = "image/webp"
OUTPUT_EXTENSION = "webp"


def _reject(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def avatar_process(upload: IO[bytes], *, size: int | None = None) -> ContentFile[bytes]:
    """Return the re-encoded photo, or raise ``ValidationError`` with a clear message."""
    limit = settings.LOOM_AVATAR_MAX_BYTES
    if size is not None and size > limit:
        raise _too_large(limit)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise _reject(_("The file is empty."), "empty")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; treat that as a bomb too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as probe:
                width, height = probe.size
                if width * height > MAX_SOURCE_PIXELS:
                    raise _too_many_pixels()
                probe.verify()
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as image:
                image.draft("RGB", (AVATAR_MAX_SIDE * 2, AVATAR_MAX_SIDE * 2))
                # Apply the camera's rotation before the EXIF that records it is dropped.
                upright = ImageOps.exif_transpose(image)
                has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
                    upright.mode == "P" and "transparency" in upright.info
                )
                converted = upright.convert("RGBA" if has_alpha else "RGB")
                converted.thumbnail((AVATAR_MAX_SIDE, AVATAR_MAX_SIDE), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                # No exif=, icc_profile= or xmp= arguments: nothing of the source's metadata survives.
                converted.save(out, OUTPUT_FORMAT, quality=85, method=4)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _reject(
            _(
                "This file is not a JPEG, PNG or WebP image. Choose a photo in one of those formats."
            ),
            "invalid_image",
        ) from None
    return ContentFile(out.getvalue())


def _too_large(limit: int) -> ValidationError:
    megabytes = limit / (1024 * 1024)
    return _reject(
        _("The photo is too large. Choose one smaller than %(size).1f MB.") % {"size": megabytes},
        "too_large",
    )


def _too_many_pixels() -> ValidationError:
    return _reject(
        _("The photo has too many pixels. Choose one under 40 megapixels."), "too_many_pixels"
    )
