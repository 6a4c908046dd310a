"""Dependencies shared by the routes."""

from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.datastructures import FormData

from app.db import get_session
from app.parsing import FormValues, form_values

SessionDep = Annotated[Session, Depends(get_session)]


async def posted_form(request: Request) -> FormData:
    """The posted form, read without blocking, so that the route itself can be a plain `def`
    (run in a worker thread) and do its database and password work there."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


async def posted_values(form: PostedForm) -> FormValues:
    """The posted form as flat values (read in the event loop by PostedForm, so the routes
    taking it are plain `def`s whose database work runs in the threadpool)."""
    return form_values(list(form.multi_items()))


PostedValues = Annotated[FormValues, Depends(posted_values)]
