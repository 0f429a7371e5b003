from django.apps import AppConfig


class DicomApiConfig(AppConfig):
    name = "dicom_api"
