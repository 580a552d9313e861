"""The one library every paperverdict service imports: schemas, topics, ids, settings, logging."""
