"""RF engine: batched ABCD networks, transmission-line media, materials, Touchstone and FEM-export readers."""
