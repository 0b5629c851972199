"""Credit records (信用记录): versions, publicity windows, expiry. Facts only: the credit state
derived from them is ``xinyong.creditstate``."""
