from django.db import models

from developers.models import DeveloperProfile


class MonthlyUsage(models.Model):
    """Calls made to one metered endpoint in one UTC calendar month (granted and refused alike):
    the quota is judged on this row, updated in one statement per call."""

    # Kept when the developer deletes their account (for the operator), without the identity.
    profile = models.ForeignKey(DeveloperProfile, null=True, on_delete=models.SET_NULL, related_name="+")
    endpoint = models.CharField(max_length=64)
    month = models.DateField(help_text="First day of the month, UTC.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "endpoint", "month"], name="monthly_usage_once")]


class DailyUsage(models.Model):
    """Calls served (within the quota) per endpoint and UTC day: the activity summary's source."""

    profile = models.ForeignKey(DeveloperProfile, null=True, on_delete=models.SET_NULL, related_name="+")
    endpoint = models.CharField(max_length=64)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "endpoint", "day"], name="daily_usage_once")]
