"""Assessment plans, assignment briefs and assessment decisions (to come)."""
