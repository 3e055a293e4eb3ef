"""The dossier has no models of its own: it reads every app's records."""
