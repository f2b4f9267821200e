"""Run outputs: history.csv, fields.xdmf, summary.json, case.resolved.toml and plots."""
