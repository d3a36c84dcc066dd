"""Monte-Carlo boost-factor uncertainty: seeded batched draws, refits per sample, band statistics."""
