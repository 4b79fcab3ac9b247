"""Writes to the scope catalog: loading the catalog file, catalog managers' edits and a second
manager's confirmation of weakening changes, version bumps; each change writes CatalogEvents.

By area: `catalog_validation` parses the catalog file, `catalog_loading` makes the database match
it, `scope_edits` holds catalog managers' edits with their two-person confirm and cancel."""
