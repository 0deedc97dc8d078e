// Small DOM helpers: elements built from data (never HTML strings), labelled fields,
// and errors shown where they belong.
import { describe, detailLines } from "./messages.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === "class") el.className = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const present = (children) => children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false);

// append and replaceChildren that skip what is not there (they would write "null").
export function add(el, ...children) {
  el.append(...present(children));
}

export function fill(el, ...children) {
  el.replaceChildren(...present(children));
}

let fieldCount = 0;

// A labelled input (or select) with a place for its error, linked by aria-describedby.
export function field(label, name, attrs = {}, { hint, options } = {}) {
  const id = `f-${name}-${++fieldCount}`;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const described = [hintId, errorId].filter(Boolean).join(" ");
  const control = options
    ? h("select", { id, name, "aria-describedby": described, ...attrs },
        options.map(([value, text]) => h("option", { value, selected: value === attrs.value }, text)))
    : h("input", { id, name, "aria-describedby": described, ...attrs });
  return h("div", { class: "field", "data-field": name },
    h("label", { for: id }, label),
    hint ? h("span", { class: "hint", id: hintId }, hint) : null,
    control,
    h("span", { class: "error", id: errorId }));
}

export function alertBox(kind, ...content) {
  return h("div", { class: `alert ${kind}`, role: kind === "error" ? "alert" : "status" }, ...content);
}

// The API's error in a form: per-field details beside their fields, the rest on top.
export function showError(container, error, { focus = true } = {}) {
  clearErrors(container);
  const rest = {};
  const details = error && error.details && typeof error.details === "object" ? error.details : {};
  const entries = [];
  for (const [name, value] of Object.entries(details)) {
    // A nested object (an inline address's fields) is shown field by field.
    if (value && typeof value === "object" && !Array.isArray(value)) entries.push(...Object.entries(value));
    else entries.push([name, value]);
  }
  for (const [name, value] of entries) {
    const slot = container.querySelector(`[data-field="${CSS.escape(name)}"] .error`);
    if (slot) {
      slot.textContent = Array.isArray(value) ? value.join(" ") : String(value);
      const input = slot.parentElement.querySelector("input, select, textarea");
      if (input) input.setAttribute("aria-invalid", "true");
    } else {
      rest[name] = value;
    }
  }
  const lines = detailLines(rest);
  const box = alertBox("error", h("p", {}, describe(error)),
    lines.length ? h("ul", {}, lines.map((line) => h("li", {}, line))) : null);
  box.dataset.errorCode = error && error.code != null ? error.code : "";
  container.prepend(box);
  if (focus) {
    box.setAttribute("tabindex", "-1");
    box.focus();
  }
  return box;
}

export function clearErrors(container) {
  container.querySelectorAll(":scope > .alert").forEach((el) => el.remove());
  container.querySelectorAll(".field .error").forEach((el) => { el.textContent = ""; });
  container.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
}

// A message above the page; ``keep``: it survives the next change of page.
export function flash(kind, text, { keep = false } = {}) {
  const slot = document.getElementById("flash");
  slot.replaceChildren(alertBox(kind, text));
  if (keep) slot.dataset.keep = "1";
}

export function clearFlash() {
  const slot = document.getElementById("flash");
  if (slot.dataset.keep) delete slot.dataset.keep;
  else slot.replaceChildren();
}

export function formData(form) {
  const data = {};
  for (const [key, value] of new FormData(form).entries()) data[key] = typeof value === "string" ? value.trim() : value;
  return data;
}

// Disable a form's buttons while its request runs (a double click sends one request).
export async function busy(form, work) {
  const buttons = [...form.querySelectorAll("button")];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    return await work();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}
