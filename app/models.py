"""Every table, imported in one place so Alembic and the app see the same metadata."""

from app.auth.models import (
    ApiToken,
    AuditEvent,
    HeldForm,
    OidcSignIn,
    SignInAttempt,
    User,
    UserSession,
)
from app.followup.measure_table import RecordMeasure
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.organisations.models import Organisation, OrganisationContact
from app.pdf.models import RenderedPdf
from app.records.models import StrategyRecord
from app.records.returns_tables import ChildIdentifier, Section47Enquiry
from app.reports.tally_tables import ReportMonth, ReportTally
from app.requests.models import StrategyRequest
from app.retention.models import RecordTombstone
from app.rules.calendar import WorkingDay
from app.sending.link_models import LinkAttempt, LinkCode, LinkSession, RecipientLink
from app.sending.models import Notification, RecordReceipt, WorkerHeartbeat

__all__ = [
    "ApiToken", "AuditEvent", "ChildIdentifier", "FollowUpEntry", "HeldForm", "LinkAttempt", "LinkCode",
    "LinkSession", "Notification", "OidcSignIn", "Organisation", "OrganisationContact", "RecipientLink",
    "RecordReceipt", "RecordMeasure", "RecordTombstone", "RecordVersion", "RenderedPdf", "Section47Enquiry",
    "ReportMonth", "ReportTally", "SignInAttempt", "StrategyRecord", "StrategyRequest", "TrackedAction", "User",
    "UserSession",
    "WorkerHeartbeat", "WorkingDay",
]
