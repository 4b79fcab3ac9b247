"""The gate: the access rule the platform's API gateway asks about every partner API call
(`decision`), what it reads per app and seller (`context`), how every process learns that what it
read changed (`versions`), and what it records without a write per call (`usage`). ADR 0015."""
