"""Local stack and test harness for Permitto: real engines, no Docker."""
