"""Access: who sees which view of a subject's file; one dependency that decides and logs each read."""
