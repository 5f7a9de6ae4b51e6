"""Limits on uploaded files: their size, their name's extension and what their first bytes
say they are, with messages for people.

`LimitedUploadHandler` (first in FILE_UPLOAD_HANDLERS) stops keeping a file once it passes
BATEA_MAX_UPLOAD_BYTES: the view then gets an empty stand-in that still reports the size
received, so each view's own size check refuses it with its message, and nothing larger
than the limit is ever kept in memory or on disk. `upload_problem` is what forms and
views ask about a file.
"""

import codecs
import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

HEAD_BYTES = 8192
# The formats people upload, by the first bytes of the file.
SIGNATURES = {
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "gif": (b"GIF87a", b"GIF89a"),
    "pdf": (b"%PDF-",),
}
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")


class OversizedUpload(UploadedFile):
    """What is left of a file that passed the limit: no content, the size received."""

    def __init__(self, name: str, content_type: str, size: int):
        super().__init__(io.BytesIO(b""), name, content_type, size)


class LimitedUploadHandler(FileUploadHandler):
    """Counts each file's bytes; past the limit it passes nothing on to the handlers that
    keep files, and hands the view an `OversizedUpload` instead."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.oversized = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.BATEA_MAX_UPLOAD_BYTES:
            self.oversized = True
        return None if self.oversized else raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.oversized:
            return None  # the next handler keeps the file
        return OversizedUpload(self.file_name, self.content_type, self.received)


def upload_limit(kind_limit: int) -> int:
    """A kind of file's own limit, never above the platform's."""
    return min(kind_limit, settings.BATEA_MAX_UPLOAD_BYTES)


def too_large(limit: int) -> str:
    return _("The file is larger than %(limit)s MB.") % {"limit": _megabytes(limit)}


def _megabytes(size: int) -> str:
    megabytes = size / 2**20
    return f"{megabytes:.0f}" if megabytes >= 1 else f"{megabytes:.1f}"


def sniff(head: bytes) -> str | None:
    """The format the first bytes announce: a key of SIGNATURES, "webp", "heif" or None."""
    for kind, signatures in SIGNATURES.items():
        if head.startswith(signatures):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heif"
    return None


def is_utf8_text(head: bytes) -> bool:
    """Whether the first bytes are UTF-8 text (a character cut at the end is fine)."""
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def upload_problem(
    upload,
    *,
    limit: int,
    extensions: tuple[str, ...],
    kinds: frozenset[str] = frozenset(),
    text: bool = False,
) -> str | None:
    """Why the file is refused, or None: too large, a name without one of `extensions`,
    content that is not one of `kinds` (when given), or not UTF-8 text (when `text`)."""
    limit = upload_limit(limit)
    if upload.size > limit:
        return too_large(limit)
    name = upload.name or ""
    accepted = ", ".join(extensions)
    if not name.lower().endswith(extensions):
        return _("%(name)s is not a file of an accepted type (%(types)s).") % {
            "name": name[-80:],
            "types": accepted,
        }
    head = _head(upload)
    if kinds and sniff(head) not in kinds:
        return _("The content of %(name)s is not what its name says (%(types)s).") % {
            "name": name[-80:],
            "types": accepted,
        }
    if text and not is_utf8_text(head):
        return _("%(name)s is not a text file in UTF-8.") % {"name": name[-80:]}
    return None


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head
