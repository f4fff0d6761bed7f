"""Series: brands such as 岭南科学论坛 with a cadence, an annual target and host limits."""
