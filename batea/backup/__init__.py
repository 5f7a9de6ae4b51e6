"""Backups and restores of the whole database (`batea backup`, `batea restore`)."""
