"""The permits service: templates, permits and their state machine, daily cycle, numbers, audit, PDFs."""
