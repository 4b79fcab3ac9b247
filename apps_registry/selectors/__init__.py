"""Reads that views need, owner-scoped; one module per area, mirroring services/."""
