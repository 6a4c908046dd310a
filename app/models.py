"""Every table, imported in one place so Alembic and the app see the same metadata."""

from app.auth.models import ApiToken, AuditEvent, HeldForm, SignInAttempt, User, UserSession
from app.followup.models import FollowUpEntry, RecordVersion, TrackedAction
from app.links.models import LinkAttempt, LinkCode, LinkSession, RecipientLink
from app.organisations.models import Organisation, OrganisationContact
from app.pdf.models import RenderedPdf
from app.records.models import StrategyRecord
from app.reports.models import RecordMeasure
from app.requests.models import StrategyRequest
from app.returns.models import ChildIdentifier, Section47Enquiry
from app.rules.calendar import WorkingDay
from app.sending.models import Notification, RecordReceipt

__all__ = [
    "ApiToken", "AuditEvent", "ChildIdentifier", "FollowUpEntry", "HeldForm", "LinkAttempt", "LinkCode",
    "LinkSession", "Notification", "Organisation", "OrganisationContact", "RecipientLink",
    "RecordReceipt", "RecordMeasure", "RecordVersion", "RenderedPdf", "Section47Enquiry", "SignInAttempt",
    "StrategyRecord", "StrategyRequest", "TrackedAction", "User", "UserSession", "WorkingDay",
]
