// The search page: asks Pagefind's index (pagefind/<month>/ at the site's root, built after
// the pages) and lists the entries found, each with its title, source and date, linking to it on
// its day page. Everything shown comes from feeds, so it is set as text (textContent), never
// as HTML; Pagefind's excerpts are read through an inert DOMParser document, keeping only
// their text and <mark>s.
//
// Pagefind indexes day pages; each entry is a section of its day page starting at its title
// heading (id "<anchor>-title"), and its source and date are page meta named after that
// anchor (see entry.html).

const root = new URL("../", import.meta.url); // this file is static/search.js
const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const fallback = document.getElementById("search-fallback");
const PAGES = 20; // pages (days) whose entries are shown

function say(template, values) {
  status.textContent = template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

function excerpt(html) {
  const out = document.createElement("p");
  out.className = "search-excerpt";
  const doc = new DOMParser().parseFromString(html, "text/html");
  for (const node of doc.body.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      out.append(mark);
    } else {
      out.append(document.createTextNode(node.textContent));
    }
  }
  return out;
}

// The entries of one result (a day page) that matched: each sub-result belongs to the
// nearest entry heading at or before it.
function entriesOf(data) {
  const heads = (data.anchors || [])
    .filter((a) => /^h\d$/i.test(a.element) && /^entry-[0-9a-f]+-title$/.test(a.id))
    .sort((a, b) => a.location - b.location);
  const page = data.url.split("#")[0];
  const found = new Map();
  for (const sub of data.sub_results || []) {
    if (!sub.anchor) continue;
    let head = null;
    for (const h of heads) {
      if (h.location > sub.anchor.location) break;
      head = h;
    }
    if (!head) continue;
    const id = head.id.slice(0, -"-title".length);
    if (!found.has(id)) {
      found.set(id, {
        url: page + "#" + id,
        title: head.text,
        source: data.meta[id + "-source"] || "",
        date: data.meta[id + "-date"] || "",
        excerpt: sub.excerpt,
      });
    }
  }
  if (found.size === 0) {
    // A page indexed some other way (a theme of one's own): the page itself.
    found.set(page, { url: data.url, title: data.meta.title || page, source: "", date: "", excerpt: data.excerpt });
  }
  return [...found.values()];
}

function show(entry) {
  const item = document.createElement("li");
  item.className = "search-result";
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = entry.url;
  link.textContent = entry.title;
  heading.append(link);
  item.append(heading);
  const meta = document.createElement("p");
  meta.className = "entry-meta";
  const source = document.createElement("span");
  source.className = "source";
  source.textContent = entry.source;
  const date = document.createElement("span");
  date.className = "date";
  date.textContent = entry.date;
  meta.append(source, document.createTextNode(entry.source && entry.date ? " · " : ""), date);
  item.append(meta, excerpt(entry.excerpt || ""));
  return item;
}

let pagefind = null;
let asked = 0;

async function run(query) {
  const mine = ++asked;
  const term = query.trim();
  const url = new URL(location.href);
  if (term) url.searchParams.set("q", term);
  else url.searchParams.delete("q");
  history.replaceState(null, "", url);
  if (!term) {
    list.replaceChildren();
    status.textContent = "";
    return;
  }
  const search = await pagefind.search(term);
  const pages = await Promise.all(search.results.slice(0, PAGES).map((r) => r.data()));
  if (mine !== asked) return; // a newer query has started
  const entries = pages.flatMap(entriesOf);
  list.replaceChildren(...entries.map(show));
  say(entries.length ? status.dataset.count : status.dataset.none, { q: term, n: entries.length });
}

async function start() {
  try {
    // Bundles of months and parts of the newest month (pagefind/indexes.json lists them, newest
    // first; see digest/search.py): the newest is imported, the others merged into it.
    const listing = await fetch(new URL("pagefind/indexes.json", root));
    if (!listing.ok) throw new Error(`pagefind/indexes.json: HTTP ${listing.status}`);
    const months = (await listing.json()).months.map(([month]) => month);
    const bundle = (month) => new URL(`pagefind/${month}/`, root).href;
    // Result URLs are site paths ("/2026/03/21/index.html"): under a sub-path
    // (https://user.github.io/repo/) they need the site's own path in front.
    const options = { baseUrl: root.pathname, excerptLength: 24 };
    if (months.length) {
      pagefind = await import(bundle(months[0]) + "pagefind.js");
      await pagefind.options(options);
      await pagefind.init();
      await Promise.all(months.slice(1).map((month) => pagefind.mergeIndex(bundle(month), options)));
    } else {
      pagefind = { search: async () => ({ results: [] }) }; // no entries yet
    }
  } catch (error) {
    status.textContent = status.dataset.failed;
    throw error;
  }
  fallback.hidden = true;
  form.hidden = false;
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(input.value), 250);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    run(input.value);
  });
  input.value = new URLSearchParams(location.search).get("q") || "";
  if (input.value) await run(input.value);
}

start();
