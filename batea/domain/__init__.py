"""Batea's domain rules as plain Python: no Django import anywhere in this package.

Messages meant for people are English templates marked with `gettext_noop` so that the
Django shell can extract and translate them; parameters travel separately.
"""
