"""Markdown tables from a results dict (printed by run.py, pasted into docs/benchmarks.md)."""

from __future__ import annotations


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[_fmt(c) for c in row] for row in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(results: dict) -> str:
    out = [f"## {results['corpus']} ({results['date']}, {results['machine']['summary']})"]
    build = results.get("build")
    if build:
        c = build["counts"]
        out.append("\n### Build (median of %d)" % build["runs"])
        out.append(table(
            ["documents", "sentences", "terms", "postings", "build s", "sentences/s", "peak RSS MB (tree)",
             "peak PSS MB (tree)", "artifact MB", "MB per 1M sentences"],
            [[c["documents"], c["sentences"], c["terms"], c["postings"], build["seconds"], build["sentences_per_second"],
              build["peak_tree_rss_mb"], build["peak_tree_pss_mb"], build["artifact_mb"], build["mb_per_million_sentences"]]],
        ))
        out.append("build phases (s): " + ", ".join(f"{k} {v}" for k, v in build["timings"].items()))
    serving = results.get("serving_process")
    if serving:
        out.append("\n### One serving process (median of %d)" % serving["runs"])
        out.append(table(["cold start s (process start → first answer)", "USS MB", "of which anonymous MB",
                          "of which index pages MB", "PSS MB", "RSS MB"],
                         [[serving["cold_start_s"], serving["uss_mb"], serving.get("anon_mb"), serving.get("private_file_mb"),
                           serving["pss_mb"], serving["rss_mb"]]]))
    for qset, rows in results.get("latency", {}).items():
        out.append(f"\n### Query latency, {qset} queries (single thread, top 10, terms pre-analysed)")
        out.append(table(
            ["engine", "queries", "p50 ms", "p95 ms", "p99 ms", "mean ms", "queries/s", "× serving (mean)", "× serving (p50)",
             "top-10 overlap"],
            [[r["engine"], r["queries"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["mean_ms"], r["qps"],
              r.get("ratio_mean"), r.get("ratio_p50"), r.get("overlap")] for r in rows],
        ))
    engines = results.get("engines_build")
    if engines:
        out.append("\n### Other engines: index build on the same tokens")
        out.append(table(["engine", "sentences", "build s", "on disk MB", "note"],
                         [[e["engine"], e["sentences"], e.get("build_s"), e.get("disk_mb"), e.get("note", "")] for e in engines]))
    http = results.get("http")
    if http and http.get("points"):
        out.append("\n### HTTP /api/search vs a trivial view (gunicorn %d workers × %d threads, wrk, %d s a point)"
                   % (http["workers"], http["threads"], http["seconds_per_point"]))
        out.append(table(
            ["target", "clients", "rounds (median)", "requests/s", "p50 ms", "p95 ms", "p99 ms", "errors", "search ÷ trivial"],
            [[p["target"], p["connections"], p.get("rounds", 1), p["rps"], p["p50_ms"], p["p95_ms"], p["p99_ms"], p["errors"],
              p.get("ratio")] for p in http["points"]],
        ))
        mem = ", ".join(f"{w['uss_mb']} MB (anonymous {w.get('anon_mb', '?')} MB)" for w in http.get("worker_memory", []))
        out.append(f"cold start (gunicorn start → first search answered): {http.get('cold_start_s')} s; "
                   f"worker USS after the load: {mem}; query logs written: {http.get('query_logs_written')} "
                   f"for {http.get('searches_sent')} searches answered")
    return "\n".join(out)
