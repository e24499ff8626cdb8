"""Writes: export jobs (request, run, download log, purge) and the assessment (compute, approve).

Every export is an ExportJob row (the log: who, what, which place, which period, full numbers or not) and a
log line without any personal data. Small ledgers are written in the request; large ones by a Celery task
enqueued after commit. Files live under MEDIA_ROOT/exports/ until `expires_at`, served only to the requester.
"""

from __future__ import annotations

import datetime
import logging
import tempfile

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.enums import PlaceKind
from grids.errors import Invalid
from grids.ledger import printed_by, write_ledger
from grids.models import Place
from members.access import can_manage_town
from members.enums import AccessAction

from . import assessment, exports
from .enums import AssessmentStatus, ExportStatus, LedgerKind
from .models import AssessmentResult, ExportJob
from .periods import ReportPeriod

logger = logging.getLogger("lianhu.reports")

FULL_NUMBERS_PERM = "reports.view_full_numbers"


class ReportError(Invalid):
    """A refusal the user can act on (grids/errors.py)."""


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, "LIANHU", {}).get(name, default))


def export_ttl() -> datetime.timedelta:
    return datetime.timedelta(hours=_setting("EXPORT_TTL_HOURS", 24))


def sync_row_limit() -> int:
    return _setting("EXPORT_SYNC_ROWS", 5000)


# --- exports -----------------------------------------------------------------------------------------


def _period_of(job: ExportJob) -> ReportPeriod:
    start = datetime.date.fromisoformat(job.params["start"])
    last = datetime.date.fromisoformat(job.params["end_inclusive"])
    return ReportPeriod(job.params.get("period", "custom"), start, last + datetime.timedelta(days=1))


def ledger_sheets(*, user, kind: str, place: Place, period: ReportPeriod, full_numbers: bool) -> list:
    """The sheets of one ledger, each with a row generator (nothing is read until the writer asks)."""
    if kind == LedgerKind.GRID:
        return [
            exports.households_sheet(user=user, place=place, full_numbers=full_numbers),
            exports.links_sheet(user=user, place=place, period=period, full_numbers=full_numbers),
            exports.contacts_sheet(user=user, place=place, period=period),
            exports.issues_sheet(user=user, place=place, period=period),
            exports.issue_events_sheet(user=user, place=place, period=period),
            *exports.dispatch_sheets(user=user, place=place, period=period),
        ]
    if kind == LedgerKind.CONTACTS:
        return [exports.contacts_sheet(user=user, place=place, period=period)]
    if kind == LedgerKind.ISSUES:
        return [
            exports.issues_sheet(user=user, place=place, period=period),
            exports.issue_events_sheet(user=user, place=place, period=period),
        ]
    if kind == LedgerKind.COMPLIANCE:
        return [exports.compliance_sheet(user=user, place=place, period=period)]
    if kind == LedgerKind.ASSESSMENT:
        year = period.start.year
        sheet = assessment.assessment_result(town=place, year=year) or assessment.assessment_build(
            user=user, town=place, year=year
        )
        return exports.assessment_sheets(sheet=sheet, town=place, year=year)
    raise ReportError(_("未知的台账类型"))


def estimate_rows(*, user, kind: str, place: Place, period: ReportPeriod) -> int:
    """Roughly how many rows the ledger will have (decides between writing now and in the background)."""
    from members.access import households_visible_to

    from .selectors import contacts_in

    if kind in (LedgerKind.CONTACTS, LedgerKind.GRID):
        n = contacts_in(user=user, place=place, period=period).count()
        if kind == LedgerKind.GRID:
            n += households_visible_to(user).filter(path__startswith=place.path).count()
        return n
    if kind in (LedgerKind.COMPLIANCE,):
        from members.access import links_visible_to

        return links_visible_to(user).current(period.status_day).filter(path__startswith=place.path).count()
    if kind == LedgerKind.ISSUES:
        from issues.access import issues_visible_to

        start, end = period.bounds
        return (
            issues_visible_to(user)
            .filter(path__startswith=place.path, raised_at__gte=start, raised_at__lt=end)
            .count()
        )
    return 0


def export_check(*, user, kind: str, place: Place, full_numbers: bool) -> None:
    """Refuse what the user may not export (the place itself is checked by the caller's access helper)."""
    if kind not in LedgerKind.values:
        raise ReportError(_("未知的台账类型"))
    if full_numbers and not user.has_perm(FULL_NUMBERS_PERM):
        raise ReportError(_("您没有导出完整号码的权限"))
    if kind == LedgerKind.GRID and place.kind not in exports.GRID_KINDS:
        raise ReportError(_("网格台账只能按网格导出"))
    if kind == LedgerKind.ASSESSMENT and place.kind != PlaceKind.TOWN:
        raise ReportError(_("考核台账只能按镇导出"))


def export_request(
    *, user, kind: str, place: Place, period: ReportPeriod, full_numbers: bool = False
) -> ExportJob:
    """Log an export and write it now if small, else enqueue it after commit. Returns the job.

    Side effects: an ExportJob row; a log line (ids only); a file under LIANHU_PRIVATE_ROOT/exports/ (now or later).
    """
    export_check(user=user, kind=kind, place=place, full_numbers=full_numbers)
    rows = estimate_rows(user=user, kind=kind, place=place, period=period)
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=user,
            kind=kind,
            place=place,
            params={**period.as_params(), "estimated_rows": rows},
            full_numbers=full_numbers,
        )
        logger.info(
            "export requested job=%s user=%s kind=%s place=%s period=%s..%s full_numbers=%s",
            job.pk,
            user.pk,
            kind,
            place.pk,
            job.params["start"],
            job.params["end_inclusive"],
            full_numbers,
        )
        if full_numbers:
            _log_full_numbers(job, AccessAction.EXPORT, user=user)
        if rows > sync_row_limit():
            from .tasks import export_run_task

            job_id = job.pk
            transaction.on_commit(lambda: export_run_task.delay(job_id))
            return job
    export_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def export_run(*, job_id: int) -> ExportJob | None:
    """Write a queued job's file. Idempotent: only a queued job is claimed (queued → running)."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=now
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("requested_by", "place").get(pk=job_id)
    try:
        sheets = ledger_sheets(
            user=job.requested_by,
            kind=job.kind,
            place=job.place,
            period=_period_of(job),
            full_numbers=job.full_numbers and job.requested_by.has_perm(FULL_NUMBERS_PERM),
        )
        with tempfile.TemporaryFile() as tmp:
            counts = write_ledger(sheets, tmp, printed=printed_by(job.requested_by))
            tmp.seek(0)
            with transaction.atomic():
                job.file.save("ledger.xlsx", File(tmp), save=False)
                job.status = ExportStatus.DONE
                job.row_count = sum(counts.values())
                job.finished_at = timezone.now()
                job.expires_at = job.finished_at + export_ttl()
                job.save(update_fields=["file", "status", "row_count", "finished_at", "expires_at"])
    except Exception as exc:
        # The message may not contain personal data: only the exception's type is kept.
        logger.exception("export failed job=%s", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportStatus.FAILED, finished_at=timezone.now(), error=type(exc).__name__[:300]
        )
        return None
    logger.info("export written job=%s rows=%s", job.pk, job.row_count)
    return job


def export_log_download(*, job: ExportJob) -> None:
    """Count a download (the job row is the log; a log line too)."""
    with transaction.atomic():
        now = timezone.now()
        ExportJob.objects.filter(pk=job.pk).update(
            download_count=F("download_count") + 1, last_downloaded_at=now
        )
    logger.info("export downloaded job=%s user=%s", job.pk, job.requested_by_id)
    if job.full_numbers:
        _log_full_numbers(job, AccessAction.EXPORT_DOWNLOAD, user=job.requested_by)


def _log_full_numbers(job: ExportJob, action: str, *, user) -> None:
    """Full-number exports and their downloads go to the access log too (the discipline commission reads it)."""
    from members.privacy import access_log

    access_log(
        action=action,
        user=user,
        object_type="exportjob",
        object_id=job.pk,
        object_repr=f"{job.get_kind_display()} · {job.place.name}",
        path=job.place.path,
        detail={"kind": job.kind, "start": job.params.get("start"), "end": job.params.get("end_inclusive")},
    )


def exports_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of expired jobs (the rows stay as the log). Returns how many files were removed."""
    now = now or timezone.now()
    removed = 0
    for job in ExportJob.objects.filter(expires_at__lt=now).exclude(file=""):
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        removed += 1
    return removed


# --- assessment ----------------------------------------------------------------------------------------


def assessment_compute(*, user, town: Place, year: int) -> AssessmentResult:
    """Compute and store the year's sheet as a draft. Refused once the year is approved (frozen)."""
    if not can_manage_town(user, town):
        raise ReportError(_("只有镇工作人员可以计算考核结果"))
    if year > timezone.localdate().year:
        raise ReportError(_("不能计算未来年度"))
    with transaction.atomic():
        result = AssessmentResult.objects.select_for_update().filter(town=town, year=year).first()
        if result is not None and result.status == AssessmentStatus.APPROVED:
            raise ReportError(_("该年度考核结果已审定,不能重新计算"))
        sheet = assessment.assessment_build(user=user, town=town, year=year)
        if result is None:
            result = AssessmentResult(town=town, year=year)
        result.weights = sheet["weights"]
        result.villages = sheet["villages"]
        result.cadres = sheet["cadres"]
        result.computed_at = timezone.now()
        result.computed_by = user
        result.save()
    return result


def assessment_approve(*, user, town: Place, year: int) -> AssessmentResult:
    """Approve a computed draft: status, approver and time; from then on it never changes."""
    if not assessment.can_approve(user, town):
        raise ReportError(_("只有领导小组成员可以审定考核结果"))
    with transaction.atomic():
        now = timezone.now()
        updated = AssessmentResult.objects.filter(town=town, year=year, status=AssessmentStatus.DRAFT).update(
            status=AssessmentStatus.APPROVED, approved_by=user, approved_at=now
        )
        if not updated:
            if AssessmentResult.objects.filter(town=town, year=year).exists():
                raise ReportError(_("该年度考核结果已审定"))
            raise ReportError(_("请先计算考核结果再审定"))
    return AssessmentResult.objects.get(town=town, year=year)
