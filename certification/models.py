"""Unit and final certificate claims and certificate checks (to come)."""
