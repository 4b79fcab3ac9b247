"""Running the console as production runs it, on one machine: deploy/cluster.py (several
instances behind nginx) and the pieces it shares with the benchmark and the tests."""
