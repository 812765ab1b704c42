// OncoBank forms: filter boxes for long code lists, the other units recalculated as one types (factors written
// into the page from the dictionary), and the store's validator asked about the form as it stands.
"use strict";
(() => {
  const csrf = () => (document.querySelector("input[name=csrf_token]") || {}).value || "";

  function filters(root) {
    root.querySelectorAll("input.filter[data-filter-for]").forEach((box) => {
      const select = document.getElementById(box.dataset.filterFor);
      box.addEventListener("input", () => {
        const words = box.value.toLowerCase().trim();
        Array.from(select.options).forEach((option, i) => {
          option.hidden = i > 0 && words !== "" && !option.text.toLowerCase().includes(words)
            && !option.value.toLowerCase().includes(words);
        });
        const first = Array.from(select.options).find((o, i) => i > 0 && !o.hidden);
        if (first && words !== "" && select.selectedOptions[0] && select.selectedOptions[0].hidden) first.selected = true;
      });
    });
  }

  function number(text) {
    const value = Number(String(text).trim().replace(",", "."));
    return String(text).trim() === "" || !Number.isFinite(value) ? null : value;
  }

  function shown(value) {
    return Number(value.toPrecision(6)).toLocaleString(document.documentElement.lang || "en",
                                                       { maximumFractionDigits: 6 });
  }

  function units(root) {
    root.querySelectorAll(".quantity[data-units]").forEach((box) => {
      const table = JSON.parse(box.dataset.units); // [[unit, shown as, factor to the canonical unit], ...]
      const input = box.querySelector("input.number");
      const select = box.querySelector("select");
      const out = box.querySelector("output.converted");
      if (!select || !out) return;
      const update = () => {
        const value = number(input.value);
        const from = table.find((u) => u[0] === select.value);
        out.textContent = value === null || !from ? "" : table.filter((u) => u[0] !== from[0])
          .map((u) => `= ${shown(value * from[2] / u[2])} ${u[1]}`).join("  ");
      };
      input.addEventListener("input", update);
      select.addEventListener("change", update);
      update();
    });
  }

  function show(form, found) {
    form.querySelectorAll("[data-issues]").forEach((list) => { list.innerHTML = ""; });
    Object.entries(found).forEach(([name, items]) => {
      const list = form.querySelector(`[data-issues="${name}"]`);
      if (!list) return;
      items.forEach((item) => {
        const li = document.createElement("li");
        li.className = item.severity;
        li.textContent = item.text;
        list.appendChild(li);
      });
    });
  }

  function checks(root) {
    root.querySelectorAll("form[data-check]").forEach((form) => {
      let timer = null;
      const ask = async () => {
        const response = await fetch(form.dataset.check, { method: "POST", body: new FormData(form),
          headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" });
        if (response.ok) show(form, (await response.json()).messages);
      };
      form.addEventListener("change", () => { window.clearTimeout(timer); timer = window.setTimeout(ask, 150); });
      form.addEventListener("input", () => { window.clearTimeout(timer); timer = window.setTimeout(ask, 500); });
    });
  }

  document.addEventListener("DOMContentLoaded", () => { filters(document); units(document); checks(document); });
})();
