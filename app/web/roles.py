"""Who may use a route, by role: each requirement is a dependency, declared in the route's
signature like `PageUser` (`user: ReportReader`), and refused here, the one place that logs a
role refusal and answers 403 (the error page for a page, `{"detail": ...}` for the API).

The predicates are app/auth/roles.py's. Refusals that depend on the record as well as the role
(may see it but not change, authorise or follow it up) are app/web/access.py's.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from app.auth.deps import api_user, page_user
from app.auth.models import User
from app.auth.roles import (
    Role,
    can_export_returns,
    can_list_records,
    can_manage_directory,
    can_read_audit,
    can_record,
    can_record_follow_up,
    can_request,
    can_see_damaged,
    can_see_queues,
    can_see_reports,
    can_triage,
)
from app.deps import SessionDep
from app.reports.disclosure import sees_exact_figures
from app.web.access import refuse

Allowed = Callable[[User], bool]


def require(allowed: Allowed, message: str, *, of: Callable[..., Any] = page_user
            ) -> Callable[..., User]:
    """A dependency answering the person `of` gives (a page's or the API's, or another
    requirement's) if `allowed`; otherwise the refusal is logged once and answered 403 with
    `message`."""

    def person(request: Request, session: SessionDep,
               user: Annotated[User, Depends(of)]) -> User:
        if not allowed(user):
            raise refuse(session, user, request, 403, message, message)
        return user

    person.allowed = allowed  # type: ignore[attr-defined]  # the test reads what it requires
    person.message = message  # type: ignore[attr-defined]
    return person


def _sees_requests(user: User) -> bool:
    return can_request(user) or can_triage(user)


def _names_recipients(user: User) -> bool:
    # An administrator manages every organisation; social care names the active ones.
    return user.role == Role.ADMIN or can_record(user)


# --- pages -------------------------------------------------------------------------------------

NOT_RECORDS = "The safeguarding partnership sees the reports' figures, not strategy records"
RECORDERS_ONLY = "Only social-care staff can start strategy records"
TRACKERS_ONLY = "Only social-care staff track actions"
RETURNS_ONLY = "Only managers export the returns"
FIGURES_NOT_RECORDS = "The safeguarding partnership sees figures, not records"

RecordListReader = Annotated[User, Depends(require(can_list_records, NOT_RECORDS))]
Recorder = Annotated[User, Depends(require(can_record, RECORDERS_ONLY))]
DamagedRecordsReader = Annotated[User, Depends(require(
    can_see_damaged, "Only managers and administrators can see damaged records"))]
ActionTracker = Annotated[User, Depends(require(can_record_follow_up, TRACKERS_ONLY))]
QueueReader = Annotated[User, Depends(require(can_see_queues, "Only managers see the queues"))]
ManagerPageReader = Annotated[User, Depends(require(
    can_see_queues, "Only managers see the manager's page"))]
RetentionReader = Annotated[User, Depends(require(
    can_see_queues, "Only managers see the records due for deletion"))]
SubjectAccessOfficer = Annotated[User, Depends(require(
    can_see_queues, "Only managers answer subject access requests"))]
_report_reader = require(
    can_see_reports, "Only managers and the safeguarding partnership can see the live audit report")
ReportReader = Annotated[User, Depends(_report_reader)]
# Managers follow a figure to its records; the partnership is refused (after the above).
FigureRecordsReader = Annotated[User, Depends(require(
    sees_exact_figures, FIGURES_NOT_RECORDS, of=_report_reader))]
DirectoryAdmin = Annotated[User, Depends(require(
    can_manage_directory, "Only administrators manage the directory of organisations"))]
AuditLogReader = Annotated[User, Depends(require(
    can_read_audit, "Only managers and administrators can read the audit log"))]
OutboxReader = Annotated[User, Depends(require(
    can_read_audit, "Only managers and administrators see the outbox"))]
ReturnsExporter = Annotated[User, Depends(require(can_export_returns, RETURNS_ONLY))]
RequestsReader = Annotated[User, Depends(require(
    _sees_requests, "Only partner agencies and social care see requests"))]
Requester = Annotated[User, Depends(require(
    can_request, "Only partner agencies and social care can request"))]

# --- the JSON API ------------------------------------------------------------------------------

ApiRecordListReader = Annotated[User, Depends(require(can_list_records, NOT_RECORDS, of=api_user))]
ApiRecorder = Annotated[User, Depends(require(can_record, RECORDERS_ONLY, of=api_user))]
ApiActionTracker = Annotated[User, Depends(require(
    can_record_follow_up, TRACKERS_ONLY, of=api_user))]
ApiReturnsExporter = Annotated[User, Depends(require(
    can_export_returns, RETURNS_ONLY, of=api_user))]
ApiReportReader = Annotated[User, Depends(require(
    can_see_reports, "Only managers and the safeguarding partnership see reports", of=api_user))]
ApiFigureRecordsReader = Annotated[User, Depends(require(
    sees_exact_figures, FIGURES_NOT_RECORDS, of=api_user))]
ApiRequester = Annotated[User, Depends(require(
    can_request, "Only partner agencies and social-care staff can request a strategy discussion",
    of=api_user))]
ApiRecipientChooser = Annotated[User, Depends(require(
    _names_recipients, "Only social-care staff choose who receives a record", of=api_user))]
