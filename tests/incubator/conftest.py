from tests.applications.conftest import founder, reviewer  # noqa: F401 (shared fixtures)
