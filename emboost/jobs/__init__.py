"""Jobs: recipe parsing into frozen settings, stages with typed inputs and results, derive, validation."""
