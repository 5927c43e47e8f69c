"""A small local web site for the crawler tests (served by server.py on 127.0.0.1)."""
