"""Upload size limits that act before a body is read, not after it landed on disk.

Django writes an upload larger than `FILE_UPLOAD_MAX_MEMORY_SIZE` to a temporary file as it reads
the request, and reads as much as the client's `Content-Length` says. The attachment views
therefore:

1. refuse a request whose declared `Content-Length` exceeds `MAX_UPLOAD_MB` (plus a small
   allowance for the multipart envelope) before anything reads the body (the API's 400 or the
   portal's 413, naming `file`);
2. put `LimitedUploadHandler` first in the request's upload handlers, so that while the body is
   read no more than `MAX_UPLOAD_MB` of file data passes on to Django's own handlers: past it,
   the handler stops the upload (`StopUpload`: nothing more is read, the partial temporary file
   is closed and removed) and the view answers as above.

Django never reads past `Content-Length`, so the second is what stops a file that fits the
envelope's allowance but not the limit. A proxy in front should refuse larger bodies too (the
README's operator notes).
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.utils.translation import gettext as _

# Multipart boundaries, part headers and the small fields sent beside the file.
ENVELOPE_BYTES = 64 * 1024


def upload_limit_bytes() -> int:
    return settings.MAX_UPLOAD_MB * 1024 * 1024


def too_large_message() -> str:
    return _("The file is larger than the %(limit)d MB allowed.") % {
        "limit": settings.MAX_UPLOAD_MB
    }


def declared_body_too_large(request: HttpRequest) -> bool:
    """Whether the request says its body is larger than an upload may be (nothing is read)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False  # Django reads nothing of a body whose length it cannot read either
    return length > upload_limit_bytes() + ENVELOPE_BYTES


class LimitedUploadHandler(FileUploadHandler):
    """Passes file data on to the next handlers until the request's files exceed the limit."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = upload_limit_bytes()
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            # Stop reading the body at once; Django closes (and so deletes) partial files.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file


def limit_uploads(request: HttpRequest) -> LimitedUploadHandler:
    """Install the limit as the first upload handler; call before anything reads the body."""
    handler = LimitedUploadHandler(request)
    request.upload_handlers.insert(0, handler)
    return handler
