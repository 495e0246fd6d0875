// Report behaviour: charts from embedded JSON, drill-down from any chart element or table cell to the
// units behind it. No network, no eval of data; scraped text is inserted with textContent only.
(function () {
  "use strict";
  var units = {};
  var threadPages = {}; // doc_id -> thread page, when the threads are spread over pages (scale.ThreadLinks)

  function readJSON(el) { return JSON.parse(el.textContent); }

  function anchor(utteranceId) { return "u-" + utteranceId.split("/").join("--"); }

  // The page holding a document, utterance or unit id's thread: its longest '/'-prefix that is a known doc_id
  // (threads.html when the threads are on one page), and the link to its place there.
  function threadPage(id) {
    var parts = String(id).split("/");
    for (var i = parts.length; i > 0; i--) {
      var doc = parts.slice(0, i).join("/");
      if (Object.prototype.hasOwnProperty.call(threadPages, doc)) return threadPages[doc];
    }
    return "threads.html";
  }
  function threadHref(id) { return threadPage(id) + "#" + anchor(id); }
  window.reportThreadHref = threadHref;

  function idsOf(value) {
    if (!value) return [];
    if (Array.isArray(value)) return value.flatMap(idsOf);
    return String(value).split(/\s+/).filter(Boolean);
  }

  // A point's units: customdata {units, title, n?}; or customdata[meta.units_at] (figures whose customdata
  // already feeds their hover text; a sample's total follows the ids); or customdata itself (ids).
  // n: how many units the point has when the ids are a sample of them (large corpora).
  function pointUnits(pt) {
    var cd = pt.customdata;
    var at = pt.data && pt.data.meta && pt.data.meta.units_at;
    var fallback = (pt.data && pt.data.name ? pt.data.name + ": " : "") + (pt.x !== undefined ? pt.x : pt.label || "");
    if (typeof at === "number" && Array.isArray(cd)) {
      var ids = idsOf(cd[at]);
      return { ids: ids, title: cd[0] !== undefined ? "Topic " + cd[0] : fallback,
               total: typeof cd[at + 1] === "number" ? cd[at + 1] : ids.length };
    }
    if (cd && typeof cd === "object" && !Array.isArray(cd)) {
      var own = idsOf(cd.units);
      return { ids: own, title: cd.title || fallback, total: typeof cd.n === "number" ? cd.n : own.length };
    }
    var plain = idsOf(cd);
    return { ids: plain, title: fallback, total: plain.length };
  }

  function showQuotes(ids, title, total) {
    var panel = document.getElementById("quotes");
    if (!panel) return;
    var list = panel.querySelector(".quote-list");
    var heading = panel.querySelector(".quote-title");
    var all = Math.max(total || 0, ids.length);
    heading.textContent = (title || "Units") + " (" + all + ")";
    while (list.firstChild) list.removeChild(list.firstChild);
    if (all > ids.length) {
      var note = document.createElement("p");
      note.className = "muted quote-note";
      note.textContent = ids.length + " of " + all + " shown (a fixed sample: the same units on every chart of this page)";
      list.appendChild(note);
    }
    ids.forEach(function (id) {
      var u = units[id];
      var item = document.createElement("div");
      item.className = "quote";
      item.setAttribute("data-unit", id);
      var text = document.createElement("div");
      text.textContent = u ? "“" + u.text + "”" : id;
      var meta = document.createElement("div");
      meta.className = "muted";
      if (u) {
        var link = document.createElement("a");
        link.href = threadHref(u.utterance_id);
        link.textContent = u.utterance_id;
        meta.textContent = (u.speaker || "author unknown") + " · " + u.doc_id + " · ";
        meta.appendChild(link);
      }
      item.appendChild(text);
      item.appendChild(meta);
      list.appendChild(item);
    });
    panel.hidden = false;
    panel.scrollIntoView({ block: "nearest" });
  }
  window.reportShowQuotes = showQuotes;

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("script.units-data").forEach(function (el) {
      Object.assign(units, readJSON(el));
    });
    document.querySelectorAll("script.thread-pages").forEach(function (el) {
      Object.assign(threadPages, readJSON(el));
    });
    document.querySelectorAll("script.plotly-fig").forEach(function (el) {
      var spec = readJSON(el);
      var target = document.getElementById(el.getAttribute("data-target"));
      if (!target || typeof Plotly === "undefined") return;
      var layout = Object.assign({ margin: { t: 40, l: 60, r: 20, b: 60 } }, spec.layout || {});
      Plotly.newPlot(target, spec.data, layout, { displaylogo: false, responsive: true }).then(function () {
        target.setAttribute("data-rendered", "1");
      });
      target.on("plotly_click", function (ev) {
        var pt = ev.points && ev.points[0];
        if (!pt) return;
        var found = pointUnits(pt);
        if (found.ids.length) showQuotes(found.ids, found.title, found.total);
      });
    });
    document.addEventListener("click", function (ev) {
      var cell = ev.target.closest("[data-units]");
      if (!cell) return;
      ev.preventDefault();
      showQuotes(idsOf(cell.getAttribute("data-units")), cell.getAttribute("data-title") || cell.textContent.trim(),
                 Number(cell.getAttribute("data-n")) || 0);
    });
    var close = document.querySelector("#quotes .close");
    if (close) close.addEventListener("click", function () { document.getElementById("quotes").hidden = true; });
    if (location.hash) {
      var el = document.getElementById(location.hash.slice(1));
      if (el) { var d = el.closest("details"); if (d) d.open = true; el.scrollIntoView(); }
    }
  });
})();
