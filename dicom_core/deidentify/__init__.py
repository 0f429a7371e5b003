"""De-identification by the PS3.15 Basic Application Level Confidentiality Profile and its
options: one implementation for the read endpoint's `anonymize=true` and for
`/api/dicom/anonymize/`."""

from dicom_core.deidentify.deidentify import (
    OPTION_CODES,
    DeidentifyOptions,
    deidentify,
    parse_profile_options,
)
from dicom_core.deidentify.profile import profile_table

__all__ = ["OPTION_CODES", "DeidentifyOptions", "deidentify", "parse_profile_options", "profile_table"]
