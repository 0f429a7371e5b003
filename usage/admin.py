from django.contrib import admin

from usage.models import DailyUsage, MonthlyUsage


@admin.register(MonthlyUsage)
class MonthlyUsageAdmin(admin.ModelAdmin):
    list_display = ["profile", "endpoint", "month", "count"]
    list_filter = ["endpoint", "month"]
    readonly_fields = ["profile", "endpoint", "month", "count"]


@admin.register(DailyUsage)
class DailyUsageAdmin(admin.ModelAdmin):
    list_display = ["profile", "endpoint", "day", "count"]
    list_filter = ["endpoint", "day"]
    readonly_fields = ["profile", "endpoint", "day", "count"]
