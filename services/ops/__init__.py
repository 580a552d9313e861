"""Operating a running pipeline: dead letters (`paperverdict dlq`) and status (`paperverdict status`)."""
