"""MongoDB for the publisher: one motor client per process, the read model behind `PublisherStore`."""

from shared.mongo import database, mongo_client  # noqa: F401  (re-exported for app.py)
