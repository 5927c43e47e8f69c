/* CryptoSights: progressive enhancement only — every page works without this file.
 * - search boxes with data-suggest get completions (GET /api/suggest) in their <datalist>;
 * - the search page updates results as you type (GET /api/search, the last word as a prefix) and
 *   keeps the URL in step: typing replaces the history entry, a filter change adds one (Back undoes it);
 *   the results are the API's document groups and best answer, in the server's own markup;
 * - "Why this result" fetches the score parts when first opened (explain=1), not on every keystroke;
 * - clicks on results and 👍/👎 votes go to POST /api/feedback;
 * - keyboard: "/" search box, j/k or ↓/↑ move between results, Enter opens one.
 */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function isTyping(el) {
    return el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName));
  }

  /* --- completions ------------------------------------------------------------------------ */

  function setUpSuggestions(input) {
    var list = input.list, controller = null;
    if (!list) return;
    input.addEventListener("input", debounce(function () {
      if (controller) controller.abort();
      controller = new AbortController();
      var q = input.value;
      if (!q.trim() || q.length > 100) { list.replaceChildren(); return; }
      fetch(input.dataset.suggest + "?" + new URLSearchParams({ q: q }), { signal: controller.signal })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) {
          list.replaceChildren.apply(list, data.suggestions.map(function (s) {
            var option = document.createElement("option");
            option.value = s;
            return option;
          }));
        })
        .catch(function () {});
    }, 150));
  }

  /* --- feedback --------------------------------------------------------------------------- */

  function sendFeedback(results, hitId, body) {
    var logId = results.dataset.logId;
    if (!logId) return Promise.reject(new Error("no log id"));
    body.log_id = logId;
    body.hit_id = Number(hitId);
    return fetch(results.dataset.feedback, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
      body: JSON.stringify(body),
      credentials: "same-origin",
      keepalive: true
    }).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  function setUpFeedback(results) {
    results.addEventListener("click", function (event) {
      var hit = event.target.closest(".hit");
      var link = event.target.closest("a.result-link");
      // A link names its own sentence (a card's other sentences, the best answer's sources).
      var linked = link && (link.dataset.hitId || (hit && hit.dataset.hitId));
      if (linked) { sendFeedback(results, linked, { action: "click" }).catch(function () {}); return; }
      if (!hit) return;
      var button = event.target.closest(".vote-button");
      if (!button) return;
      var group = button.closest(".vote"), status = group.querySelector(".vote-status");
      sendFeedback(results, hit.dataset.hitId, { action: "vote", vote: Number(button.dataset.vote) })
        .then(function () {
          group.querySelectorAll(".vote-button").forEach(function (b) {
            b.setAttribute("aria-pressed", String(b === button));
          });
          status.textContent = "Thanks, noted.";
        })
        .catch(function () { status.textContent = "Could not record that; please try again."; });
    });
  }

  /* --- keyboard --------------------------------------------------------------------------- */

  function setUpKeys() {
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var target = event.target, hits = Array.prototype.slice.call(document.querySelectorAll("#hits .hit"));
      if (event.key === "Enter" && target.classList && target.classList.contains("hit")) {
        var link = target.querySelector(".hit-title a.doc-link");  // the page here, never off-site
        if (link) { event.preventDefault(); link.click(); }
        return;
      }
      if (isTyping(target)) return;
      if (event.key === "/") {
        var box = document.getElementById("q") || document.getElementById("header-q");
        if (box) { event.preventDefault(); box.focus(); box.select(); }
        return;
      }
      var step = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1 }[event.key];
      if (!step || !hits.length) return;
      var current = hits.indexOf(target.closest ? target.closest(".hit") : null);
      var next = current < 0 ? (step > 0 ? 0 : hits.length - 1) : Math.min(hits.length - 1, Math.max(0, current + step));
      event.preventDefault();
      hits[next].focus();
    });
  }

  /* --- why this result, on demand ----------------------------------------------------------- */

  // The score parts of this page's hits, asked for once per page when a "Why this result" is first
  // opened: the same search again with explain=1 (marked as the page's own request, so it is kept
  // apart from the visitors' questions in the metrics).
  function setUpExplanations(results, form) {
    var loading = null;
    function fill(parts, explain) {
      parts.replaceChildren.apply(parts, Object.keys(explain).map(function (name) {
        var div = document.createElement("div"), dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = name; dd.textContent = String(explain[name]);
        div.append(dt, dd);
        return div;
      }));
    }
    results.addEventListener("toggle", function (event) {
      var why = event.target;
      if (!why.classList || !why.classList.contains("why") || !why.open || why.dataset.loaded) return;
      if (why.querySelector(".why-parts").children.length) { why.dataset.loaded = "1"; return; }  // sent with the page
      var api = new URLSearchParams(results.dataset.apiQuery || location.search.slice(1));
      if (!api.get("q")) return;
      api.set("explain", "1");
      var key = api.toString();
      if (!loading || loading.key !== key) {
        loading = { key: key, answer: fetch(form.dataset.api + "?" + api, { headers: { Accept: "application/json", "X-Live-Search": "1" } })
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); }) };
      }
      var status = why.querySelector(".why-link") || document.createElement("p");
      status.className = "why-link";
      status.textContent = "Loading\u2026";
      why.append(status);
      loading.answer.then(function (body) {
        results.querySelectorAll("#hits > .hit").forEach(function (card) {
          var hit = body.hits.filter(function (h) { return String(h.id) === card.dataset.hitId; })[0];
          var box = card.querySelector(".why");
          if (!hit || !hit.explain || box.dataset.loaded) return;
          fill(box.querySelector(".why-parts"), hit.explain);
          box.dataset.loaded = "1";
          box.querySelectorAll(".why-link").forEach(function (el) { el.remove(); });
        });
        if (!why.dataset.loaded) status.textContent = "The parts of this score are not available any more.";
      }).catch(function () { status.textContent = "Could not load the parts of this score."; });
    }, true);  // toggle does not bubble
  }

  /* --- results as you type ---------------------------------------------------------------- */

  function setUpLiveSearch(form, results) {
    var input = form.querySelector("#q"), controller = null;
    var hitTemplate = document.getElementById("hit-template");
    var chipTemplate = document.getElementById("chip-template");
    var list = document.getElementById("hits");
    var coinNames = {};
    form.querySelectorAll("#f-coin option").forEach(function (o) { if (o.value) coinNames[o.value] = o.textContent; });

    function show(state, message) {
      results.querySelectorAll(".state").forEach(function (el) { el.hidden = el.dataset.state !== state; });
      if (message) results.querySelector("[data-state=error] .error-message").textContent = message;
    }

    function clearPage() {
      list.replaceChildren();
      document.getElementById("best-answer").hidden = true;
      results.querySelectorAll(".spelling").forEach(function (el) { el.hidden = true; });
      document.getElementById("summary").textContent = "";
      document.getElementById("query-coins").hidden = true;
      document.getElementById("pager").hidden = true;
      document.getElementById("insight").hidden = true;
    }

    function markInvalid(field) {
      form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
      var el = field && form.querySelector("[name='" + field + "']");
      if (el) el.setAttribute("aria-invalid", "true");
    }

    // One document's card (templates/search/_hit.html): its lead hit with a little context, its
    // other sentences on this page, and a link for the rest (group: search/grouping.py).
    function fillCard(group, byId) {
      var hit = byId[group.hits[0]], doc = hit.document;
      var node = hitTemplate.content.firstElementChild.cloneNode(true);
      var titleId = "hit-" + hit.id + "-title";
      node.dataset.hitId = hit.id;
      node.dataset.docId = doc.id;
      node.setAttribute("aria-labelledby", titleId);
      var text = node.querySelector(".hit-text");
      text.replaceChildren();
      if (group.before) text.append(span("context", group.before), " ");
      var match = span("match", "");
      match.innerHTML = hit.html; /* escaped by the server; only <mark> tags */
      text.append(match);
      if (group.after) text.append(" ", span("context", group.after));
      var title = node.querySelector(".hit-title");
      title.id = titleId;
      var head = title.querySelector(".doc-link");
      head.href = docHref(doc.id, hit.id);
      var ident = head.querySelector(".hit-ident");
      ident.textContent = (doc.identifiers || []).join(" \u00b7 ");
      head.replaceChildren(ident, (doc.identifiers || []).length ? " " : "", span("hit-doc-title", doc.title));
      var source = node.querySelector(".source-link");
      source.hidden = !doc.url;
      if (doc.url) source.href = doc.url; else source.removeAttribute("href");
      source.setAttribute("aria-label", "Original source of " + doc.title + " (leaves CryptoSights)");
      node.classList.toggle("best-match", !!group.best_match);
      node.querySelector(".best-match-label").hidden = !group.best_match;
      var more = node.querySelector(".hit-more");
      var items = group.hits.slice(1).map(function (id) {
        var li = document.createElement("li"), link = sentenceLink(doc.id, id);
        link.innerHTML = byId[id].html; /* escaped by the server; only <mark> tags */
        li.append(link);
        return li;
      });
      if (group.folded.length) {
        var li = document.createElement("li"), link = sentenceLink(doc.id, group.folded[0]);
        li.className = "hit-folded";
        link.textContent = group.folded.length + " more in this document";
        li.append(link);
        items.push(li);
      }
      more.replaceChildren.apply(more, items);
      more.hidden = !items.length;
      var also = node.querySelector(".also-in");
      also.hidden = !hit.also_in;
      also.textContent = "also in " + hit.also_in + " other document" + (hit.also_in === 1 ? "" : "s");
      // "Why this result": the parts are fetched when it is first opened (setUpExplanations).
      var why = node.querySelector(".why");
      why.hidden = false;
      why.querySelectorAll(".why-link").forEach(function (el) { el.remove(); });
      why.querySelector(".why-parts").replaceChildren();
      node.querySelector(".hit-source").textContent = doc.source;
      var date = node.querySelector(".hit-date");
      date.hidden = !doc.date;
      date.textContent = doc.date || "";
      if (doc.date) date.setAttribute("datetime", doc.date);
      node.querySelector(".badges").replaceChildren.apply(node.querySelector(".badges"), hit.coins.map(function (slug) {
        var badge = span("badge coin", coinNames[slug] || slug);
        badge.dataset.coin = slug;
        return badge;
      }));
      var sentiment = node.querySelector(".sentiment");
      sentiment.className = "badge sentiment sentiment-" + hit.sentiment.label;
      sentiment.textContent = hit.sentiment.label;
      sentiment.title = "Sentiment score " + hit.sentiment.score;
      sentiment.hidden = !hit.sentiment.shown;  // tone only for news and opinion prose
      node.querySelector(".vote").hidden = false;
      return node;
    }

    // The best answer (templates/search/_best_answer.html; search/best_answer.py chooses it).
    function fillAnswer(answer) {
      var box = document.getElementById("best-answer");
      box.hidden = !answer;
      if (!answer) return;
      box.querySelector(".best-answer-named").hidden = !answer.named;
      box.querySelector(".answer-text").innerHTML = answer.html; /* escaped by the server; only <mark> tags */
      var cites = box.querySelector(".answer-cites"), list = box.querySelector(".answer-sources");
      cites.replaceChildren();
      list.replaceChildren.apply(list, answer.sources.map(function (s) {
        var cite = sentenceLink(s.document.id, s.id);
        cite.className = "cite result-link";
        cite.textContent = "[" + s.number + "]";
        cite.setAttribute("aria-label", "Source " + s.number + ": " + s.document.title);
        cites.append(" ", cite);
        var li = document.createElement("li"), link = sentenceLink(s.document.id, s.id);
        link.className = "answer-source result-link";
        var ident = span("hit-ident", (s.document.identifiers || []).join(" \u00b7 "));
        link.append(span("cite-number", "[" + s.number + "]"), " ", ident,
                    (s.document.identifiers || []).length ? " " : "", span("source-title", s.document.title));
        li.append(link);
        if (s.number > 1) {
          var quote = span("source-quote", "");
          quote.innerHTML = s.html; /* escaped by the server; only <mark> tags */
          li.append(" ", quote);
        }
        return li;
      }));
    }

    function sentenceLink(docId, sentenceId) {
      var link = document.createElement("a");
      link.className = "result-link";
      link.dataset.hitId = sentenceId;
      link.href = docHref(docId, sentenceId);
      return link;
    }

    // The document page, with the way back to these results (the address bar holds them by now).
    function docHref(docId, sentenceId) {
      var back = location.search.slice(1);
      return "/doc/" + docId + "/?hit=" + sentenceId + (back ? "&back=" + encodeURIComponent(back) : "") + "#s" + sentenceId;
    }

    function span(className, text) {
      var el = document.createElement("span");
      el.className = className;
      el.textContent = text;
      return el;
    }

    function tally(selector, rows) {
      var ul = document.querySelector(selector);
      ul.replaceChildren.apply(ul, rows.map(function (row) {
        var li = document.createElement("li");
        li.append(span("tally-name", row.name), " ", span("count", String(row.count)));
        return li;
      }));
    }

    function count(n, word) {
      return n.toLocaleString("en-US") + " " + word + (n === 1 ? "" : "s");
    }

    function render(data, params) {
      var q = data.query.q, total = data.total, all = data.all_words;
      results.dataset.logId = data.log_id;
      show(total ? null : "zero");
      var unfiltered = new URLSearchParams({ q: q });
      results.querySelector(".clear-filters").href = "?" + unfiltered;
      // The count a visitor reads is of sentences with every word; "in all" (sentences with some of the
      // words, and those of documents close in meaning) only when it differs.
      document.getElementById("summary").textContent = (all === total
        ? count(total, "matching sentence") + " for \u201c" + q + "\u201d"
        : count(all, "sentence") + " with every word of \u201c" + q + "\u201d, " + count(total, "result") + " in all") +
        (total ? " \u2014 page " + data.query.page + " of " + data.pages : "") + ".";
      document.title = q + " \u2014 Search \u2014 CryptoSights";
      var corrected = results.querySelector("[data-spelling=corrected]");
      corrected.hidden = !data.corrected_query;
      corrected.querySelector(".typed").textContent = q;
      corrected.querySelector(".corrected").textContent = data.corrected_query;
      var suggested = results.querySelector("[data-spelling=suggested]"), link = suggested.querySelector("a");
      suggested.hidden = !data.did_you_mean;
      var suggestion = new URLSearchParams(params);
      suggestion.set("q", data.did_you_mean);
      link.href = "?" + suggestion;
      link.textContent = data.did_you_mean;

      var chips = document.getElementById("query-coins");
      chips.replaceChildren.apply(chips, data.query_coins.filter(function (c) {
        return data.query.coin.indexOf(c.slug) < 0;
      }).map(function (coin) {
        var li = chipTemplate.content.firstElementChild.cloneNode(true), a = li.querySelector("a");
        var p = new URLSearchParams(params);
        p.set("coin", coin.slug);
        a.href = "?" + p;
        a.dataset.coin = coin.slug;
        a.querySelector(".chip-name").textContent = coin.name;
        return li;
      }));
      chips.hidden = !chips.children.length;

      list.start = data.hits.length ? data.hits[0].rank : 1;
      var byId = {};
      data.hits.forEach(function (hit) { byId[hit.id] = hit; });
      list.replaceChildren.apply(list, data.groups.map(function (group) { return fillCard(group, byId); }));
      fillAnswer(data.best_answer);

      var pager = document.getElementById("pager"), page = data.query.page;
      pager.hidden = data.pages < 2;
      [["pager-previous", page - 1, page > 1], ["pager-next", page + 1, page < data.pages]].forEach(function (spec) {
        var a = pager.querySelector("." + spec[0]), p = new URLSearchParams(params);
        p.set("page", spec[1]);
        a.href = "?" + p;
        a.hidden = !spec[2];
      });
      pager.querySelector(".pager-page").textContent = page;
      pager.querySelector(".pager-pages").textContent = data.pages;

      var insight = data.insight, panel = document.getElementById("insight");
      panel.hidden = !data.hits.length;
      tally("[data-insight=coins]", insight.coins);
      tally("[data-insight=sources]", insight.sources);
      panel.querySelector("[data-insight=no-coins]").hidden = insight.coins.length > 0;
      ["positive", "neutral", "negative"].forEach(function (tone) {
        var meter = panel.querySelector("meter[data-tone=" + tone + "]");
        meter.max = Math.max(1, insight.count);
        meter.value = insight.sentiment[tone];
        panel.querySelector("[data-count=" + tone + "]").textContent = insight.sentiment[tone];
      });
      panel.querySelector("[data-insight=tone]").hidden = insight.sentiment.average === null;
      panel.querySelector("[data-insight=average]").textContent =
        insight.sentiment.average === null ? "\u2014" : insight.sentiment.average.toFixed(2);
    }

    function formParams() {
      // Only what is set: no empty parameters, no defaults (sort=relevance, page=1).
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (value !== "" && !(name === "sort" && value === "relevance")) params.append(name, value);
      });
      return params;
    }

    function fillForm(params) {
      input.value = params.get("q") || "";
      form.querySelectorAll("select, input[type=date]").forEach(function (el) {
        el.value = params.get(el.name) || (el.name === "sort" ? "relevance" : "");
      });
    }

    function showActiveFilters(params) {
      var n = params.getAll("coin").length + params.getAll("source").length +
        (params.get("from") ? 1 : 0) + (params.get("to") ? 1 : 0) + (params.get("sort") ? 1 : 0);
      var badge = form.querySelector(".filters-active");
      badge.textContent = n + " active";
      badge.hidden = !n;
    }

    // how: "type" replaces the history entry, "filter" adds one, "history" (Back/Forward) neither.
    function run(how) {
      var params = formParams();
      if (how === "filter") history.pushState(null, "", "?" + params);
      else if (how !== "history") history.replaceState(null, "", "?" + params);
      showActiveFilters(params);
      if (controller) controller.abort();
      markInvalid(null);
      if (!params.get("q")) { clearPage(); show("empty"); results.dataset.logId = ""; return; }
      controller = new AbortController();
      var api = new URLSearchParams(params);
      if (how === "type" && !/\s$/.test(input.value)) api.set("prefix", "1");  // the last word is still being typed
      results.dataset.apiQuery = api.toString();  // what "Why this result" asks again, with explain=1
      fetch(form.dataset.api + "?" + api, { signal: controller.signal, headers: { Accept: "application/json", "X-Live-Search": "1" } })
        .then(function (r) {
          return r.json().then(function (body) { return { status: r.status, body: body }; });
        })
        .then(function (answer) {
          if (answer.status === 200 && answer.body.incomplete) {
            clearPage(); show(null); results.dataset.logId = "";
            document.getElementById("summary").textContent = "Keep typing\u2026";
            return;
          }
          if (answer.status === 200) { render(answer.body, params); return; }
          clearPage();
          if (answer.status === 503) { show("unavailable"); return; }
          markInvalid(answer.body.field);
          show("error", answer.body.error || "Something went wrong.");
        })
        .catch(function (error) { if (error.name !== "AbortError") show("error", "The search could not be reached."); });
    }

    var help = document.getElementById("search-help"), liveHelp = document.getElementById("live-help");
    if (help && liveHelp) help.replaceChildren(liveHelp.content.cloneNode(true));
    input.addEventListener("input", debounce(function () { run("type"); }, 250));
    form.querySelectorAll("select, input[type=date]").forEach(function (el) {
      el.addEventListener("change", function () { run("filter"); });
    });
    window.addEventListener("popstate", function () {
      fillForm(new URLSearchParams(location.search));
      run("history");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest]").forEach(setUpSuggestions);
    setUpKeys();
    var results = document.getElementById("results");
    if (!results) return;
    if (results.dataset.logId) results.querySelectorAll(".vote").forEach(function (v) { v.hidden = false; });
    setUpFeedback(results);
    var searchForm = document.getElementById("search-form");
    if (searchForm && searchForm.dataset.api) setUpExplanations(results, searchForm);
    var form = document.getElementById("search-form");
    if (form && form.dataset.api) setUpLiveSearch(form, results);
  });
})();
