"""Every write and state transition, one module per area:
partners.py (organisations, members, invitations), apps.py (apps, credentials, chosen scopes),
access_requests.py (the Custom-scope review workflow), authorizations.py (seller consent),
app_status.py (staff: suspend, reinstate, verify); audit.py writes the partner audit trail."""
