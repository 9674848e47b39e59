"""Employer organisations (用人单位): public registration and the qualification review (企业资质审核)."""
