"""Every write and state transition, one module per area:
partners.py (organisations, members, invitations), apps.py (apps, credentials, chosen scopes),
the Custom-scope review workflow split by who acts: access_requests.py (the partner: submit,
resubmit, withdraw), reviews.py (reviewers' decisions), review_rules.py (what they may decide) and
access_request_jobs.py (the platform: expiry, grace approvals, review reminders), sharing
_access_request_steps.py; authorizations.py (seller consent), app_status.py (staff: suspend,
reinstate, verify), catalog.py (catalog edits that grant grace approvals), client_auth.py (failed
client authentications), reviewers.py (staff accounts), housekeeping_jobs.py (the daily pruning of
task results and webhook deliveries). History rows are written through apps_registry/events/."""
