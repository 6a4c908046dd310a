"""Every table, imported in one place so Alembic and the app see the same metadata."""

from app.pdf.models import RenderedPdf
from app.records.models import StrategyRecord

__all__ = ["RenderedPdf", "StrategyRecord"]
