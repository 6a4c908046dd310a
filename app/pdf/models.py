"""Rendered PDFs of finalised versions, stored so every app instance serves the same bytes."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class RenderedPdf(SQLModel, table=True):
    __tablename__ = "rendered_pdf"
    __table_args__ = (UniqueConstraint("record_id", "version", "variant"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="strategy_record.id", index=True)
    version: int
    # "record" for the whole record, "child-<key>" for one child's copy.
    variant: str = Field(max_length=60)
    etag: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime
