from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from developers.models import DeveloperAPIKey, DeveloperProfile


@admin.register(DeveloperProfile)
class DeveloperProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "read_file_quota", "generate_quota", "read_jobs_quota", "anonymize_quota", "transcode_quota", "created"]
    search_fields = ["user__email", "organization"]
    fields = ["user", "purpose", "organization", "read_file_quota", "generate_quota", "read_jobs_quota", "anonymize_quota", "transcode_quota"]
    raw_id_fields = ["user"]


@admin.register(DeveloperAPIKey)
class DeveloperAPIKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "profile"]
    search_fields = [*APIKeyModelAdmin.search_fields, "profile__user__email"]


# The library's own key model is unused here: our keys belong to developer profiles.
admin.site.unregister(APIKey)
