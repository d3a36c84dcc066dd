"""Foundation: errors, constants, conventions, units, axion physics, TOML tables, atomic output."""
