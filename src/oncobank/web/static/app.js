// OncoBank registry: the little script the pages need (no framework, nothing fetched from elsewhere).
// data-confirm="question" on a submit button asks before the form is sent.
// data-get="/path" data-target="#id" [data-trigger="change|input|load"] fills #id with the HTML the path returns
// (a small subset of htmx's hx-get); data-post does the same with the closest form's fields, CSRF token included.
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

function csrfToken() {
  const field = document.querySelector("input[name=csrf_token]");
  return field ? field.value : "";
}

async function swap(element) {
  const target = document.querySelector(element.dataset.target || "#main");
  const post = element.dataset.post;
  const options = { headers: { "X-CSRF-Token": csrfToken(), "X-Requested-With": "fetch" }, credentials: "same-origin" };
  if (post) {
    options.method = "POST";
    options.body = new FormData(element.closest("form") || undefined);
  }
  const response = await fetch(post || element.dataset.get, options);
  if (target) { target.innerHTML = await response.text(); wire(target); }
}

function wire(root) {
  root.querySelectorAll("[data-get], [data-post]").forEach((element) => {
    const trigger = element.dataset.trigger || (element.matches("input, select, textarea") ? "change" : "click");
    if (trigger === "load") { swap(element); return; }
    let timer = null;
    element.addEventListener(trigger, (event) => {
      if (trigger === "click") event.preventDefault();
      window.clearTimeout(timer);
      timer = window.setTimeout(() => swap(element), trigger === "input" ? 250 : 0);
    });
  });
}
document.addEventListener("DOMContentLoaded", () => wire(document));
