"""The notifications service: email, in-app notifications with live updates, push, preferences."""
