"""Settings for the HTTP benchmark only: the project's settings plus a trivial view (the ceiling).

    DJANGO_SETTINGS_MODULE=bench.bench_settings

The trivial view runs through the same middleware, gunicorn configuration and workers as
/api/search, so the ratio of the two isolates what searching (and logging) costs per request.
"""

from cryptosights_project.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.bench_urls"
