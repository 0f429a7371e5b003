"""Keep patient data out of the logs.

pydicom's warnings and log records quote raw element values ("Invalid value for VR DS:
'<the value>'"), and the service must not log patient data. Reading keeps going after
such a warning, so nothing useful is lost by dropping them.

Call silence_pydicom_logging() once a process's logging is configured (dictConfig may reset
the "pydicom" logger): the web app does in dicom_api.apps, the CLI in its main, and each render
worker process when it starts. Importing dicom_core changes no global state.
"""

import logging
import warnings

PYDICOM_LOGGER = "pydicom"
# Warnings are attributed to the module `stacklevel` frames up: pydicom's own modules, or
# ours when pydicom warns on behalf of its caller.
_QUIET_MODULES = r"(pydicom|dicom_core)(\..*)?$"


def _drop_record(record: logging.LogRecord) -> bool:
    return False


def silence_pydicom_logging() -> None:
    """Drop every pydicom log record and every warning raised from pydicom or dicom_core."""
    logger = logging.getLogger(PYDICOM_LOGGER)
    if _drop_record not in logger.filters:
        logger.addFilter(_drop_record)
    logger.propagate = False
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    warnings.filterwarnings("ignore", module=_QUIET_MODULES)
