"""自主申报 (voluntary self-declaration): the subject declares honours, qualifications,
certifications and social contributions with attachments; the competent department verifies or
rejects them; a verified declaration becomes a self_declaration record (经核实)."""
