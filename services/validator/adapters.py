"""MongoDB for the validator: it reads the stored e-prints (GridFS) to apply gate G1."""

from shared.mongo import mongo_client  # noqa: F401  (re-exported for app.py)
