"""Identity: accounts, roles and the policy, the principal and the access rules, sign-in and its throttling,
route guards; and the directory of colleges, majors, students and employer organisations."""
