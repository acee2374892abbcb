"""The auth service: users, roles, projects, assignments, sessions and tokens."""
