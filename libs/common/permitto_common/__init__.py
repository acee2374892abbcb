"""Shared plumbing for Permitto services. No business logic and no models live here."""
