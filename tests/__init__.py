"""The test suite. Before any test module imports the app (whose Config reads DATABASE_URL when
it is imported), each pytest-xdist worker points DATABASE_URL at its own PostgreSQL database
and Huey at its own queue file (tests/databases.py)."""

from tests.databases import use_worker_resources

use_worker_resources()
