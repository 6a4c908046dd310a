"""python -m app retention report | purge --approve --by USERNAME"""

import sys
from datetime import date

from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine
from app.domain.schema import uk_now
from app.retention import service
from app.retention.rule import describe, uk_day


def add_commands(commands) -> None:
    retention = commands.add_parser(
        "retention", help="records past their retention period").add_subparsers(
        dest="action", required=True)
    retention.add_parser("report", help="list the records past retention (deletes nothing)")
    purge = retention.add_parser(
        "purge", help="delete the records past retention, leaving a tombstone of each")
    purge.add_argument("--approve", action="store_true",
                       help="required: you have checked the report and approve deleting them")
    purge.add_argument("--by", required=True, metavar="USERNAME",
                       help="the manager or administrator who approved it")


def run(args, today: date | None = None) -> str:
    settings, today = get_settings(), today or uk_now().date()
    with Session(get_engine()) as session:
        if args.action == "report":
            return report(session, settings, today)
        if not args.approve:
            print("Nothing deleted: check `python -m app retention report`, then run purge "
                  "again with --approve.", file=sys.stderr)
            raise SystemExit(2)
        try:
            by = service.approver(session, args.by)
        except service.NotApproved as refusal:
            print(refusal, file=sys.stderr)
            raise SystemExit(2) from None
        # The ids first (a keyset read), then each record in its own transaction: an
        # interrupted purge leaves every record either whole or deleted with its tombstone.
        ids = [row.id for row in service.all_due(session, settings, today)]
        deleted = [t.reference for record_id in ids
                   if (t := service.purge(session, record_id, by, settings, today))]
        name = by.username
    return "\n".join([*deleted, f"Deleted {len(deleted)} record(s) past retention, approved "
                      f"by {name}."])


def report(session: Session, settings, today: date) -> str:
    lines = [describe(settings), "reference\tstatus\tteam\tlast changed\tyoungest born\tdue on"]
    count = 0
    for row in service.all_due(session, settings, today):
        count += 1
        born = row.youngest_born.isoformat() if row.youngest_born else "unknown"
        if row.youngest_born and row.born_unknown:
            born += " (another unknown)"
        lines.append(f"{row.reference}\t{row.status}\t{row.team or '-'}\t"
                     f"{uk_day(row.updated_at).isoformat()}\t{born}\t"
                     f"{service.row_due_on(row, settings)}")
    lines.append(f"{count} record(s) past retention on {today.isoformat()}.")
    return "\n".join(lines)
