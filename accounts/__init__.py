"""Staff accounts of the node: users, log-in, sessions and API tokens (local to the node,
never replicated: the city never sees a password hash or a session)."""
