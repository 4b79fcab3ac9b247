"""The pages benchmark's data at a scale factor: `python -m bench.scale_data generate --factor F
FIXTURE.json [--reuse]` (see bench/scale_data/generate.py)."""
