"""The crawler: polite, incremental fetching of web pages, feeds and sitemaps into documents.

Building blocks without models or settings (parameters come in as arguments), each doing one job:

- `addresses`: which URLs may be fetched at all (http(s) only; no private, loopback, link-local,
  multicast or reserved addresses unless allowed).
- `canonical`: normalised and canonical URLs (the document id of a web page).
- `throttle`: a minimum interval between two requests to one host.
- `robots`: robots.txt rules per site (protego).
- `fetch`: the HTTP client (requests): timeouts, retries with back-off, size limit, conditional
  requests, redirects re-checked hop by hop.
- `extract`: what a response is (HTML, PDF, feed, sitemap, text) and its article or links.
- `near_duplicates`: MinHash signatures to spot near-identical copies of an article.
- `archives`: the files of a .tar.gz/.zip repository archive, read in memory (globs, size caps,
  links and path traversal refused); `spec_archive` turns its specification files into documents
  with search.specs.

With models and settings: `crawl_run` crawls one source's pages (or URLs given by hand) into
CrawledUrl and Document rows, counted in a `report`; `crawl` is the service around it (which
sources are due, leases, time budget, the outcome recorded on the Source).
"""
