"""Recruiting (招聘): positions and their review, applications, job fairs (双选会) with halls and booths,
interview invitations (面试邀约), and the live on-site queue at a fair's booths (排队叫号).

Rules: domain.py (positions, fairs, invitations), queue_rules.py (the on-site queue), wording.py (the
discriminatory-wording check), text_search.py (Chinese text search tokens). See docs/interviews.md.
"""
