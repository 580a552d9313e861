"""`python -m services.api`: serve the API on PV_API_HOST:PV_API_PORT."""

from __future__ import annotations

import uvicorn

from shared.settings import ApiSettings


def main() -> None:
    settings = ApiSettings()
    uvicorn.run("services.api.app:app", host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
