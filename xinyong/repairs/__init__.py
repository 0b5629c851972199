"""Credit repair (信用修复); the procedure is described in ``service``."""
