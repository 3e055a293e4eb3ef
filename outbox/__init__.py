"""The e-mail outbox: every outgoing e-mail is a row first, sent by a worker after commit.

Use `outbox.services.queue_email(...)` inside the transaction that does the work.
"""
