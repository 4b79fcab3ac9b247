"""Signed webhooks to partner apps (ADR 0020): the outbox services write events to (`outbox`), the
encrypted signing secrets (`secrets`) and the worker's delivery (`delivery`), which signs
(`signing`) and posts (`transport`)."""
