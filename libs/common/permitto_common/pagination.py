"""Page and limit query parameters, and the meta block of a list response."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_LIMIT = 100


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(20, ge=1, le=MAX_LIMIT)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def page_meta(query: PageQuery, total: int) -> dict[str, Any]:
    return {"page": query.page, "limit": query.limit, "total": total}
