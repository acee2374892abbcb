"""Delivery channels: email now; in-app and push join here."""
