from django.contrib import admin

from jobs.models import ReadJob


@admin.register(ReadJob)
class ReadJobAdmin(admin.ModelAdmin):
    """Jobs as the operator sees them: status and progress, never the results (patient data)."""

    list_display = ["id", "profile", "status", "files_done", "files_total", "created", "finished", "expires"]
    list_filter = ["status"]
    search_fields = ["id", "profile__user__email"]
    fields = ["id", "profile", "status", "files_total", "files_done", "frames_done", "created", "started", "finished", "expires", "error"]
    readonly_fields = fields
