"""Dates and times in English, wherever a template or the admin shows one without an explicit
format (list columns, read-only fields, `|date`): ISO 8601 dates and 24-hour times with their
zone, so "03/04/2026" (US English's default) can never be read as the 3rd of April.
Settings' FORMAT_MODULE_PATH points here; Django's own English formats fill in the rest."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
