"""信用承诺 (credit commitments): signed by the subject in /me from the ruleset's templates,
published as credit_commitment records, verified by the accepting department (fulfilled /
breached). Commitments sent by departments through ingest appear in the same view."""
