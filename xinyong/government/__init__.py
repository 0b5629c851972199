"""Government integrity (政务诚信): public bodies as subjects, their dishonesty records, their
evaluation and ranking, and the notices a default requires."""
