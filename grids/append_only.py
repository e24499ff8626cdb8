"""Append-only rows (event logs: issue timelines, award-round steps): inserted once, never updated or deleted.

Shared by the apps above; it lives in grids, the bottom layer, because it depends on nothing else.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.dates import current_time


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None or not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only")


class EventLog(AppendOnlyModel):
    """An append-only log row: who (the login, and the name shown at the time) did it, and when."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人账号"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人"), max_length=100)
    # Stamped by the writer (a service may be given the moment: `now=`), the current time otherwise.
    created_at = models.DateTimeField(_("时间"), default=current_time, editable=False, db_index=True)

    class Meta:
        abstract = True
