"""Estimators: arrays in, frozen results out (booster reflectivity, resonances, noise standards, delays)."""
