"""The partner console: organisation, team, apps, Manage API and Custom-scope applications.

Views stay thin: they reach objects only through the owner-scoped selectors in
`apps_registry.selectors.partners` (another partner's object is a 404), call one service per
change, and turn a DomainError into a message next to the form, never a 500.
"""
