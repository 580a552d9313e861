"""The validator is pure: verdict rules over messages. It has no adapters beyond Kafka (shared.bus)."""
