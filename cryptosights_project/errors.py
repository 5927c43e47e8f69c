"""Error answers in the form each client was promised: JSON under /api/, pages elsewhere.

Django answers a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields and a failed CSRF check
itself, with HTML; gunicorn answers a request line or headers too long for it before Django sees
the request, also with HTML. The API promises JSON {"error": ...} for every error.
"""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    """handler400: a SuspiciousOperation (body too large, too many fields, bad host...)."""
    if _is_api(request):
        return JsonResponse({"error": f"bad request: {exception}" if exception else "bad request"}, status=400)
    return defaults.bad_request(request, exception)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: feedback sent without the csrftoken cookie and X-CSRFToken header."""
    if _is_api(request):
        return JsonResponse({"error": f"CSRF check failed ({reason}): send the csrftoken cookie's value "
                                      "in the X-CSRFToken header"}, status=403)
    return django_csrf_failure(request, reason)


def gunicorn_write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Replaces gunicorn.util.write_error (see gunicorn.conf.py): the same status, a JSON body.
    Used for requests gunicorn refuses before parsing them far enough to know their path."""
    from gunicorn.util import write_nonblock

    hint = ""
    if status_int == 414:
        from search.search_request import MAX_QUERY_CHARS  # here, not above: the gunicorn master imports this module

        hint = f" (a search question may be at most {MAX_QUERY_CHARS} characters)"
    body = json.dumps({"error": f"{reason}: {mesg}{hint}" if mesg else reason}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    write_nonblock(sock, head + body)
