"""Our own bugs, told apart from the file's faults.

A decoder that cannot read a file's bytes is the file's fault (an ImageError saying why). Any
other exception while rendering is a bug of ours: it is logged here at ERROR with its traceback
and a reference, and the client gets an ImageError quoting the reference. The log line holds
the exception's type and where it was raised, never its message: messages can quote element
values, and no patient data may reach the logs. Tests fail on every such record
(tests/conftest.py), so a fuzz run that meets a bug says so.
"""

import logging
import traceback
import uuid

LOGGER_NAME = "dicom_core.internal_error"
logger = logging.getLogger(LOGGER_NAME)


class InternalError(Exception):
    """A bug of ours met while rendering, as a report without values (it crosses processes)."""

    def __init__(self, report: str):
        super().__init__(report)
        self.report = report


def report_of(exc: BaseException) -> str:
    """The exception's type and its traceback's frames, without any message."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}' for frame in frames]
    return "\n".join(["Traceback (most recent call last):", *lines, f"{type(exc).__module__}.{type(exc).__qualname__}"])


def log_internal_error(report: str) -> str:
    """Log the report at ERROR; returns the reference the client is given."""
    reference = uuid.uuid4().hex[:12]
    logger.error("Internal error %s while rendering:\n%s", reference, report)
    return reference


def internal_error_message(reference: str) -> str:
    return f"Internal error while rendering the pixel data (reference {reference}); this is our fault, not the file's."
