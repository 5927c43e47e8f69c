# CryptoSights as a Hugging Face Docker Space (README front matter: sdk: docker, app_port: 7860).
# scripts/replay_dockerfile.py replays the RUN steps below without Docker, and
# tests/test_deployment.py checks this file's facts against the project.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Spaces run the container as uid 1000. The app directory and /data belong to that user, so
# run.py can write var/ and staticfiles/ next to the code, and DATA_DIR=/data is writable even
# without persistent storage (when storage is attached, it is mounted over /data).
RUN useradd --create-home --uid 1000 user \
 && install -d -o user -g user /home/user/app /data
ENV HOME=/home/user
WORKDIR /home/user/app

# Dependencies first (as root, into the system site-packages) so this layer is rebuilt only
# when the lock changes. requirements.lock pins the whole closure with hashes (`make lock`), so
# nothing is left to resolve (--no-deps).
COPY requirements.lock .
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock

# The project (.dockerignore keeps out .venv, var, staticfiles, .git and caches).
COPY --chown=user . .
USER user

# Fail the build if the NLP pipeline cannot work offline: it needs no downloads (Punkt is
# trained at index time, VADER's lexicon ships in its wheel), so this must pass with no network.
RUN python -c "from search.nlp.analyzer import analyze; \
from search.nlp.sentiment import sentiment_score; \
from search.nlp.sentences import SentenceSplitter; \
from search.nlp.coins import detect_coins; \
assert analyze('ERC-20 tokens') == ['erc20', 'token'], analyze('ERC-20 tokens'); \
assert sentiment_score('great gains') > 0; \
assert detect_coins('Bitcoin') == ['bitcoin']; \
print('NLP smoke check ok')"

# Static files are baked into the image. settings.py needs a secret key and a writable
# DATA_DIR at import time: throwaway values for this step only, removed afterwards.
RUN SECRET_KEY=collectstatic-only DATA_DIR=/tmp/build-data \
    python manage.py collectstatic --noinput -v 0 \
 && rm -rf /tmp/build-data

# The Space's proxy sets X-Forwarded-For and X-Forwarded-Proto. DEFAULT_SOURCES=1: a new Space
# fetches the specification repositories and news feeds of search/default_sources.json by itself. run.py resolves DATA_DIR once
# (falling back to ./var only where /data is not writable) and hands it to every process.
ENV DATA_DIR=/data \
    DATA_DIR_FALLBACK=/home/user/app/var \
    DEFAULT_SOURCES=1 \
    PORT=7860 \
    TRUST_X_FORWARDED_FOR=1 \
    HTTPS=1
EXPOSE 7860

# The first start builds an index from the starter corpus, so allow a long start period.
# /health answers 503 until an index is loaded; urlopen raises on it, so the check fails.
HEALTHCHECK --interval=30s --timeout=10s --start-period=180s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://localhost:%s/health' % os.environ.get('PORT', '7860'), timeout=8)" || exit 1

# The README's start command: migrate, collectstatic, bootstrap, gunicorn + django-q2 cluster.
CMD ["python", "run.py"]
