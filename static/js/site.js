// The Daily Cache: the only script on the site, and it has three jobs.
//
// 1. Fragments without an edge cache (AJAX). A shared page carries placeholders
//    <div data-fragment-url="/_fragments/…">; fill them all from one request to /-/fragments/,
//    which answers each URL's HTML. Behind Varnish the page arrives with the fragments already
//    in place (ESI) and there is nothing to do.
// 2. CSRF on cached pages. A page cached for everybody cannot carry anybody's CSRF token, so
//    forms marked data-csrf-from-cookie take it from the csrftoken cookie when submitted,
//    first asking /-/csrf/ (never cached) to set that cookie if the browser has none.
// 3. Counting reads. An article page may come from any cache, so the browser tells the site
//    it was read: one small POST to the URL in data-read-beacon.
"use strict";

(function () {
  const CSRF_COOKIE = "csrftoken"; // Django's CSRF_COOKIE_NAME

  function readCookie(name) {
    const match = document.cookie.match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : null;
  }

  async function csrfToken() {
    if (!readCookie(CSRF_COOKIE)) {
      await fetch("/-/csrf/", { credentials: "same-origin" });
    }
    return readCookie(CSRF_COOKIE);
  }

  async function fillFragments() {
    const placeholders = Array.from(document.querySelectorAll("[data-fragment-url]"));
    if (placeholders.length === 0) {
      return;
    }
    const query = placeholders
      .map((placeholder) => "f=" + encodeURIComponent(placeholder.dataset.fragmentUrl))
      .join("&");
    const response = await fetch("/-/fragments/?" + query, { credentials: "same-origin" });
    if (!response.ok) {
      return;
    }
    const fragments = await response.json();
    placeholders.forEach(function (placeholder) {
      const html = fragments[placeholder.dataset.fragmentUrl];
      if (html !== undefined) {
        placeholder.innerHTML = html;
        placeholder.dataset.fragmentLoaded = "";
      }
    });
  }

  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!form.hasAttribute("data-csrf-from-cookie")) {
      return;
    }
    event.preventDefault();
    let field = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "csrfmiddlewaretoken";
      form.appendChild(field);
    }
    field.value = await csrfToken();
    form.submit(); // does not fire "submit" again
  });

  // Coming back with the Back button shows the page from the browser's memory: refresh the
  // fragments so the reader sees their current state (for instance a just-saved article).
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      fillFragments();
    }
  });

  function countRead() {
    const article = document.querySelector("[data-read-beacon]");
    if (article) {
      navigator.sendBeacon(article.dataset.readBeacon);
    }
  }

  function start() {
    fillFragments();
    countRead();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
