"""The manager's page of records past retention (deleting them is `python -m app retention
purge`, approved by name: a page's button is too easy to press)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import visibility
from app.auth import audit
from app.config import get_settings
from app.deps import SessionDep
from app.domain.schema import uk_now
from app.parsing import whole_number
from app.retention import service
from app.retention.rule import describe, uk_day
from app.templating import templates
from app.web.roles import RetentionReader

router = APIRouter()
PAGE = 100


@router.get("/retention", response_class=HTMLResponse, include_in_schema=False)
def retention_page(request: Request, session: SessionDep, user: RetentionReader, after: str = ""):
    settings, today = get_settings(), uk_now().date()
    after_id = whole_number(after) or 0
    visible = visibility.record_filter(user)
    rows = service.due_rows(session, settings, today, after_id=after_id, limit=PAGE + 1,
                            where=visible)
    count = service.due_count(session, settings, today, where=visible)
    audit.log(session, "viewed", user=user, detail="records due for deletion", request=request)
    shown = [{"row": row, "changed": uk_day(row.updated_at),
              "due_on": service.row_due_on(row, settings)} for row in rows[:PAGE]]
    return templates.TemplateResponse(request, "retention/due.html", {
        "title": "Records due for deletion", "rows": shown, "count": count, "cap": 1000,
        "rule": describe(settings), "today": today,
        "next_after": rows[PAGE - 1].id if len(rows) > PAGE else None})
