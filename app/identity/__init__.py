"""Sign-in with the council's identity provider (OpenID Connect). Above auth and the directory
of organisations: it maps the provider's groups onto users, teams and organisations."""
