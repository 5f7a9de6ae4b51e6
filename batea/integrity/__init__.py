"""Tamper-evident history: hash chains over decisions, custody events and the premium ledger."""
