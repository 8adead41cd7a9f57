"""Real servers for the distributed deployment, started on loopback as the SFTP tests start
sshd: a PostgreSQL server (Debian's package) for the Dagster instance and a Redis server as
the Celery broker (``servers.py``). Each is a process of its own in a temporary folder, gone
after the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.servers import postgres_server, redis_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server on a free loopback port with an empty ``dagster`` database."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server on a free loopback port, nothing persisted."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url
