"""Pagination for lists that can grow to millions of rows.

Two costs grow with a list, and `CappedPaginator` bounds both:

- **Counting.** Counting every row a user may see costs as much as reading them; past a few
  thousand rows nobody pages through a list, they filter it. With a `cap`, the count stops
  there (`COUNT(*)` over a sub-select with `LIMIT cap + 1`), so page 1 costs the same at ten
  rows or ten million; `capped` says there are more. Pages past the cap can still be read:
  each page fetches one row more than it shows to know whether another page follows.
- **Deep pages.** `OFFSET 49950` makes the database read and throw away 49,950 whole rows.
  With `keys_first`, a page first reads only the primary keys of its rows (from an index
  that holds the filter and sort columns and the key, without touching the table), then
  those rows by key.
"""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.functional import cached_property

# Past the cap any page number is accepted; beyond this offset none can hold rows (and the
# database's 64-bit OFFSET would overflow).
MAX_OFFSET = 10**12


class CappedPage(Page):
    """A page that knows whether another follows without knowing the total."""

    def __init__(self, object_list, number, paginator, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more


class CappedPaginator(Paginator):
    """A paginator whose count stops at `cap` (None: exact) and whose pages can read their
    keys first (`keys_first`, for querysets ordered by indexed columns)."""

    def __init__(self, object_list, per_page, cap: int | None = None, keys_first=False, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap
        self.keys_first = keys_first

    @cached_property
    def _counted(self) -> int:
        if self.cap is None:
            return super().count
        # One row more than the cap says "there are more" without counting them.
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return self._counted if self.cap is None else min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self.cap is not None and self._counted > self.cap

    def validate_number(self, number):
        if not self.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if (number - 1) * self.per_page > MAX_OFFSET:
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def last_page_number(self) -> int:
        """The number of the last page: past the cap this counts every row, once."""
        if not self.capped:
            return self.num_pages
        return max(1, -(-self.object_list.count() // self.per_page))

    def get_page(self, number):
        """Like Django's: a bad number gives page 1, one past the end the last counted page."""
        try:
            return super().get_page(number)
        except EmptyPage:
            return self.page(self.num_pages)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.capped:
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            return CappedPage(self._rows(bottom, top), number, self, top < self.count)
        rows = self._rows(bottom, bottom + self.per_page + 1)
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return CappedPage(rows[: self.per_page], number, self, len(rows) > self.per_page)

    def _rows(self, bottom: int, top: int) -> list:
        if not self.keys_first:
            return list(self.object_list[bottom:top])
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=keys)}
        return [rows[key] for key in keys if key in rows]
