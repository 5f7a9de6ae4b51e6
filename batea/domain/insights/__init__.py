"""Inclusion insights: the rules that turn counts into figures people can read (plain Python).

- `bands`: age bands from birth years.
- `suppression`: small-cell suppression for public, anonymised figures.
- `measures`: shares, women's share comparisons, time to a level, cost and premium per
  member, monthly series.
- `levels`: where an organisation stands on a ladder, and since when (approximately).
- `segments`: a small filter language over member and organisation attributes.

The Django app `batea.insights` queries the database and hands plain data to these.
"""
