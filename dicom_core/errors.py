"""Errors raised by the DICOM core.

The core knows nothing of HTTP: each error says what went wrong, and the web layer maps
the kind to a status code in one place (common/exceptions.py).
"""


class DicomError(Exception):
    """Base class of every error the core raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field  # the request field or DICOM keyword at fault, when there is one

    def __reduce__(self):
        # Rebuilt with every attribute when raised in a worker process (keyword-only arguments
        # are not in `args`, which is all that pickling an exception passes by default).
        return _rebuild_error, (type(self), self.message, self.__dict__)


def _rebuild_error(kind: type, message: str, state: dict) -> DicomError:
    error = kind.__new__(kind)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class NotDicomError(DicomError):
    """The input is neither a DICOM file nor a zip of them."""


class MalformedInputError(DicomError):
    """The input claims to be DICOM (or an image, or a zip) but cannot be parsed."""


class InvalidOptionError(DicomError):
    """A request option or a metadata value is invalid (names the field)."""


class LimitExceededError(DicomError):
    """The input passes one of the configured limits (names the limit)."""

    def __init__(self, message: str, *, limit: str, field: str | None = None):
        super().__init__(message, field=field)
        self.limit = limit


class UnsupportedMediaError(DicomError):
    """The input is a kind of file the operation does not take (e.g. a GIF to generate from)."""
