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

  // REDCap's branching logic and calculations: the server's parsed tree (dictionary/logic.py), evaluated here
  // the same way on the form as it stands. A hidden field is disabled, so it is neither required nor sent.
  function typed(div) {
    const kind = (div.className.match(/kind-(\S+)/) || [])[1];
    if (kind === "checkboxes") return Array.from(div.querySelectorAll("input[type=checkbox]:checked")).map((c) => c.value);
    const input = div.querySelector("[name^='f.']:not([name$='.unit']):not([name$='.missing']):not([name$='.ref_low']):not([name$='.ref_high'])");
    if (!input || input.disabled || input.value.trim() === "") return "";
    if (kind === "boolean") return input.value === "yes" ? "1" : "0";
    if (kind === "number" || kind === "integer") {
      const value = number(input.value);
      const unit = div.querySelector("select[name$='.unit']");
      const table = JSON.parse(div.querySelector(".quantity").dataset.units || "[]");
      const from = unit ? table.find((u) => u[0] === unit.value) : null;
      return value === null ? input.value : value * (from ? from[2] : 1);
    }
    if (kind === "date") {
      const m = input.value.trim().match(/^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/);
      return m ? `${m[3]}-${m[2].padStart(2, "0")}-${m[1].padStart(2, "0")}` : input.value.trim();
    }
    return input.value.trim();
  }

  function num(v) {
    if (typeof v === "number") return v;
    if (typeof v === "boolean") return v ? 1 : 0;
    const n = Number(String(v).trim());
    return String(v).trim() === "" || !Number.isFinite(n) ? null : n;
  }
  const truth = (v) => v !== null && v !== "" && v !== false && (num(v) === null ? Boolean(v) : num(v) !== 0);
  const DAYS = { y: 365.2425, M: 30.44, d: 1, h: 1 / 24, m: 1 / 1440, s: 1 / 86400 };
  const many = (vs) => vs.map(num).filter((x) => x !== null);
  const rounding = (how) => (x, places) => (x === null ? null : how(x * 10 ** (places || 0)) / 10 ** (places || 0));
  const FUNCTIONS = {
    round: rounding((x) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5)),
    roundup: rounding((x) => (x >= 0 ? Math.ceil(x) : Math.floor(x))),
    rounddown: rounding((x) => (x >= 0 ? Math.floor(x) : Math.ceil(x))),
    abs: (x) => (x === null ? null : Math.abs(x)), sqrt: (x) => (x === null || x < 0 ? null : Math.sqrt(x)),
    min: (...xs) => (many(xs).length ? Math.min(...many(xs)) : null),
    max: (...xs) => (many(xs).length ? Math.max(...many(xs)) : null),
    sum: (...xs) => (many(xs).length ? many(xs).reduce((a, b) => a + b, 0) : null),
    mean: (...xs) => (many(xs).length ? many(xs).reduce((a, b) => a + b, 0) / many(xs).length : null),
  };

  function evaluate(tree, values) {
    const [kind, a, b, c] = tree;
    if (kind === "num" || kind === "str") return a;
    if (kind === "ref") { const v = values[a]; return Array.isArray(v) ? v.join(",") : v === undefined ? "" : v; }
    if (kind === "chk") return [].concat(values[a] || []).map(String).includes(b) ? "1" : "0";
    if (kind === "neg") { const x = num(evaluate(a, values)); return x === null ? null : -x; }
    if (kind === "not") return !truth(evaluate(a, values));
    if (kind === "call") {
      if (a === "if") return evaluate(b[truth(evaluate(b[0], values)) ? 1 : 2], values);
      const args = b.map((t) => evaluate(t, values));
      if (a === "isnumber") return num(args[0]) !== null;
      if (a === "datediff") {
        const [d1, d2, unit] = args;
        const last = args[args.length - 1];
        const t1 = Date.parse(d1 === "today" ? new Date().toISOString().slice(0, 10) : d1);
        const t2 = Date.parse(d2 === "today" ? new Date().toISOString().slice(0, 10) : d2);
        if (Number.isNaN(t1) || Number.isNaN(t2) || !(unit in DAYS)) return null;
        const days = (t2 - t1) / 86400000;
        const signed = args.length > 3 && !["ymd", "mdy", "dmy"].includes(last) && truth(last);
        return (signed ? days : Math.abs(days)) / DAYS[unit];
      }
      return a in FUNCTIONS ? FUNCTIONS[a](...args.map(num)) : null;
    }
    if (a === "or") return truth(evaluate(b, values)) || truth(evaluate(c, values));
    if (a === "and") return truth(evaluate(b, values)) && truth(evaluate(c, values));
    const x = evaluate(b, values);
    const y = evaluate(c, values);
    if (["=", "==", "<>", "!=", "<", "<=", ">", ">="].includes(a)) {
      let [p, q] = [num(x), num(y)];
      if (p === null || q === null) [p, q] = [String(x), String(y)];
      return { "=": p === q, "==": p === q, "<>": p !== q, "!=": p !== q, "<": p < q, "<=": p <= q, ">": p > q,
               ">=": p >= q }[a];
    }
    const [p, q] = [num(x), num(y)];
    if (p === null || q === null) return null;
    return { "+": p + q, "-": p - q, "*": p * q, "/": q === 0 ? null : p / q, "^": p ** q }[a];
  }

  function logic(root) {
    root.querySelectorAll("form").forEach((form) => {
      const fields = Array.from(form.querySelectorAll("[data-field]"));
      if (!fields.some((d) => d.dataset.showIf || d.dataset.calc)) return;
      const apply = () => {
        const values = {};
        fields.forEach((d) => { values[d.dataset.field] = typed(d); });
        fields.forEach((d) => {
          if (d.dataset.calc) {
            const got = evaluate(JSON.parse(d.dataset.calc), values);
            const input = d.querySelector("input.number");
            input.value = got === null || got === "" ? "" : shown(Number(got));
            values[d.dataset.field] = got === null ? "" : got;
          }
          if (d.dataset.showIf) {
            let on = false;
            try { on = truth(evaluate(JSON.parse(d.dataset.showIf), values)); } catch (e) { on = false; }
            d.hidden = !on;
            d.querySelectorAll("input, select, textarea").forEach((el) => { el.disabled = !on; });
          }
        });
      };
      form.addEventListener("input", apply);
      form.addEventListener("change", apply);
      apply();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    filters(document); units(document); checks(document); logic(document);
  });
})();
