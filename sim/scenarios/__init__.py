"""Bundled scenario files (YAML data, read by :func:`sim.load_scenario`)."""
