"""Retention: what falls due for disposal, the Quality Nominee's approval, legal holds."""
