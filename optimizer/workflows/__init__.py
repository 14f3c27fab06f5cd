"""Workflows a PM runs (hedge, rebalance, rolls, programs, scenarios, frontier, backtest,
examples): typed requests in, typed results out; the CLI and reports are layers on top."""
