"""Registrations: entry requests, entry lists, Pearson submission (to come)."""
