from django.apps import AppConfig

from dicom_core.logging_safety import silence_pydicom_logging


class DicomApiConfig(AppConfig):
    name = "dicom_api"

    def ready(self):
        # pydicom's warnings and log records quote element values: never in this service's logs.
        # Here, once logging is configured, for the whole process (see dicom_core/logging_safety.py).
        silence_pydicom_logging()
