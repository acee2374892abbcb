"""The printable permit."""
