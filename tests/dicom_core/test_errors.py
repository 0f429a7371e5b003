"""The core's errors keep every attribute across a process boundary (the worker pool pickles them)."""

import pickle

from dicom_core.errors import InvalidOptionError, LimitExceededError


def test_errors_are_rebuilt_whole_after_pickling():
    limit = pickle.loads(pickle.dumps(LimitExceededError("Too many frames.", limit="max_decoded_bytes", field="file")))
    invalid = pickle.loads(pickle.dumps(InvalidOptionError("Bad syntax.", field="transfer_syntax")))

    assert (type(limit), limit.message, limit.limit, limit.field, str(limit)) == (
        LimitExceededError, "Too many frames.", "max_decoded_bytes", "file", "Too many frames.")
    assert (type(invalid), invalid.message, invalid.field) == (InvalidOptionError, "Bad syntax.", "transfer_syntax")
