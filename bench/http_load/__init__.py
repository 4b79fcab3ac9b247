"""The HTTP benchmark's parts: its data (seed), its load generator (wrk) and wrk's Lua scripts."""
