"""Bond math, curves, futures instruments, exposures, risk model, betas, scenarios."""
