"""The hedge problem (cvxpy), integer solve, rebalancing/rolls, CLI and reports."""
