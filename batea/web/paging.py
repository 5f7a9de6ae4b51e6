"""Pagination for lists that can grow to millions of rows.

Counting every row a user may see costs as much as reading them; past a few thousand rows
nobody pages through a list, they filter it. `CappedPaginator` counts at most `cap` rows
(the database stops there), so page 1 costs the same at ten rows or ten million.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """A paginator whose count stops at `cap`; `capped` says whether there were more rows."""

    def __init__(self, object_list, per_page, cap: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        # COUNT(*) over a sub-select with LIMIT cap + 1: one more row than the cap says
        # "there are more" without counting them.
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap
