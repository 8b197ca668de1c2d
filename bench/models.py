from django.db import models


class BareRow(models.Model):
    """The baseline's one row: written by the bare insert view, stamped by the no-op task."""

    label = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.label} #{self.pk}"
