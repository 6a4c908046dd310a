"""Who may do what, by role. Every route asks these functions; templates never decide access.

Whether a person may see or change one particular record, and which versions, is decided in
app/visibility.py (the one rule, as a query filter and per record).
"""

from app.auth.models import User
from app.domain.choices import Choice


class Role(Choice):
    SOCIAL_WORKER = "social_worker", "Social worker"
    EDT_WORKER = "edt_worker", "EDT worker"
    MANAGER = "manager", "Manager"
    PARTNER = "partner", "Partner agency"
    ADMIN = "admin", "Administrator"
    # Read-only: the reports' figures, never a record's content (issue 14).
    PARTNERSHIP = "partnership", "Safeguarding partnership"


RECORDERS = frozenset({Role.SOCIAL_WORKER, Role.EDT_WORKER, Role.MANAGER})


def can_record(user: User) -> bool:
    """Create drafts, edit them and finalise them."""
    return user.role in RECORDERS


def can_list_records(user: User) -> bool:
    """Open the list of records (which shows only those they may see). The safeguarding
    partnership sees figures, not records: the list is refused, not shown empty."""
    return user.role != Role.PARTNERSHIP


def can_see_reports(user: User) -> bool:
    """The audit reports' figures: managers, and the safeguarding partnership (read-only)."""
    return user.role in (Role.MANAGER, Role.PARTNERSHIP)


def can_read_audit(user: User) -> bool:
    return user.role in (Role.MANAGER, Role.ADMIN)


def can_manage_directory(user: User) -> bool:
    """The directory of partner organisations (app/organisations)."""
    return user.role == Role.ADMIN


def can_see_damaged(user: User) -> bool:
    """See that damaged records exist (reference, team, reason), not their content."""
    return user.role in (Role.MANAGER, Role.ADMIN)


# --- requests for a strategy discussion (app/requests) ---------------------------------------


def can_request(user: User) -> bool:
    """Ask for a strategy discussion: a partner agency's user, or social care on an agency's behalf."""
    return (user.role == Role.PARTNER and user.organisation_id is not None) or user.role in RECORDERS


def can_triage(user: User) -> bool:
    """See every request and convene or decline it: social-care staff."""
    return user.role in RECORDERS


def can_view_request(user: User, request) -> bool:
    # A partner sees only the requests they made: one agency value covers every school.
    return can_triage(user) or (user.role == Role.PARTNER and request.created_by_id == user.id)


# --- after the meeting (app/followup) ---------------------------------------------------------


def can_authorise(user: User) -> bool:
    """Authorise a finalised record, or return it to its author with comments."""
    return user.role == Role.MANAGER


def can_record_follow_up(user: User) -> bool:
    """Record what happened after the discussion, and start an amendment: social care only."""
    return user.role in RECORDERS


def can_export_returns(user: User) -> bool:
    """The returns (CIN census, Standard Safeguarding Dataset): managers only, as identifiers
    and section 47 facts of every visible record leave the service."""
    return user.role == Role.MANAGER


def can_see_queues(user: User) -> bool:
    """The review queue and the manager's page."""
    return user.role == Role.MANAGER
