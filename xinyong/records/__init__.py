"""Credit records (信用记录): versions, publicity windows, expiry, credit state."""
