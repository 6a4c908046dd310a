"""What every JSON API route shares: the problem bodies and the error responses each route
documents, stored times read as UTC, and the revision a write names (in the body or If-Match)."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, Field, StrictInt

from app.clock import as_utc
from app.parsing import whole_number
from app.records.models import StrategyRecord

UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]
Revision = Annotated[StrictInt, Field(ge=1, description="The record's revision, as read")]


class Problem(BaseModel):
    """Why a request was refused."""

    detail: str


class ValidationProblem(BaseModel):
    """Which fields were refused: each with its path (`loc`) and the problem (`msg`)."""

    detail: list[dict[str, Any]]


def problem(description: str, model=Problem) -> dict:
    return {"model": model, "description": description}


READ_ERRORS = {
    400: problem("Text that cannot be stored (a NUL or an unpaired surrogate) in the request"),
    401: problem("No valid session or API token"),
    404: problem("No such record, or not one you may see"),
    422: problem("A malformed field, with its path", ValidationProblem),
}
WRITE_ERRORS = {
    **READ_ERRORS,
    400: problem("The body could not be read as JSON (for example, not UTF-8), or held text "
                  "that cannot be stored (a NUL or an unpaired surrogate)"),
    403: problem("You may see this record but not change it, or may not create records"),
    413: problem("The body is too large"),
}
REVISION_ERRORS = {
    409: problem("Not a draft, or saved by someone else since the revision you sent"),
    428: problem("No revision sent: put `revision` in the body or send If-Match"),
}


def etag(record: StrategyRecord) -> str:
    return f'"{record.revision}"'


def invalid(loc: tuple, message: str, value) -> RequestValidationError:
    """A 422 in the same shape as FastAPI's own, for checks made after parsing."""
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message,
                                    "input": value}])


def if_match_revision(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    revision = whole_number(if_match.strip().removeprefix("W/").strip('"'))
    if revision is None:
        raise invalid(("header", "if-match"), 'If-Match must be an ETag from this API, like "3"',
                       if_match)
    return revision


STALE = "Someone else changed this record since you read it: read it again"


def revision_named(record: StrategyRecord, *revisions: int | None) -> int:
    """The revision a write is based on: 428 if it names none, 409 if one is stale. A damaged
    record answers 409 with the reason first."""
    record.content  # noqa: B018
    named = [r for r in revisions if r is not None]
    if not named:
        raise HTTPException(428, detail=(
            "Send the revision you read, as \"revision\" in the body or an If-Match header "
            "with the ETag, so that nobody else's change is overwritten"))
    if any(r != record.revision for r in named):
        raise HTTPException(409, detail=STALE)
    return named[0]
