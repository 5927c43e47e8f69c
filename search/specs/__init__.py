"""Specification documents (EIPs, ERCs, BIPs, BOLTs) read from their repositories' own files.

Plain Python, no Django: `formats` recognises a file by its name and turns it into a SpecDocument
(metadata from the front matter or preamble, the body as structured text); `markup` turns
Markdown and MediaWiki bodies into that text. The crawler (search/crawl/archives.py) feeds them
the members of a repository archive.
"""

from .formats import SpecDocument, SpecError, parse_spec, spec_kind

__all__ = ["SpecDocument", "SpecError", "parse_spec", "spec_kind"]
