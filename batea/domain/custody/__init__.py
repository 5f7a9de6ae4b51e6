"""Chain of custody: lots and the events that move them, mass-balance credit, trace and red flags.

Plain Python on plain data, as the rest of the domain: the Django app stores what these
rules decide and enforces the same invariants with constraints and transactions.
"""

from batea.domain.messages import Problem


class CustodyError(Exception):
    """A custody rule refused an input; nothing was changed. `problems` says why."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))
