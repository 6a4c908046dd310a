"""The returns' pages: the section 47 enquiry's course on the follow-up page, and the Returns
page (managers) with the checks and the downloads."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.auth.deps import PageUser
from app.deps import SessionDep
from app.followup import section47
from app.followup.pages import _act
from app.records import access
from app.records.pages import PostedValues

router = APIRouter(include_in_schema=False)


@router.post("/strategies/{record_id}/section-47", response_class=HTMLResponse)
def section47_course(values: PostedValues, request: Request, record_id: int,
                     session: SessionDep, user: PageUser):
    record = access.follow_up_recordable(session, user, record_id, request)
    return _act(request, session, user, record, "s47", values,
                lambda rev, v: section47.record_course(session, record, user, rev, v),
                "s47_course")
