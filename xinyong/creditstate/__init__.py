"""Credit state (信用状态): the one derived row per subject (in-force counts, grade, lists), its
consumer and its only writers."""
