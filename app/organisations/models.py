"""The directory of partner organisations: who a record is sent to, and whom a partner user
works for.

Access for partners is by organisation, never by agency type: two schools are two
organisations, and a record sent to one is not the other's to read.
"""

from datetime import datetime

from sqlmodel import Field, SQLModel


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # Its kind of agency (choices.Agency): what the rules and the live audit count by.
    agency: str = Field(max_length=40, index=True)
    # A secure address for notices that a record was sent; without one, its users' addresses.
    email: str | None = Field(default=None, max_length=320)
    # An inactive organisation is offered to nobody; what it was already sent stays readable.
    active: bool = True
    created_at: datetime


class OrganisationContact(SQLModel, table=True):
    """A named person at an organisation who receives its records without an account (the
    duty sergeant, the GP, the school's safeguarding lead): each version sent to the
    organisation reaches them as a personal link (app/links). Without any, the organisation's
    own address (its safeguarding mailbox) receives the link."""

    __tablename__ = "organisation_contact"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    role: str | None = Field(default=None, max_length=200)
    email: str = Field(max_length=320)
    # A secure mailbox (a police or NHS secure address): shown so staff know where it goes.
    secure: bool = False
    # An inactive contact is sent nothing more; links already sent keep their own expiry.
    active: bool = True
    created_at: datetime
