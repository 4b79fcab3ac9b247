"""The event schema of apps_registry's history tables (ADR 0014): per table, one details class per
action with its webhook type name, the writer services call, and the reader everything else uses:
`review` (access-request reviews), `authorization` (seller consent), `audit` (partners and apps)."""
