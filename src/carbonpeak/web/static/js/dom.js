// Small DOM helpers. Every value interpolated by `html` is escaped unless it is itself the
// result of `html` (or `raw`), so data from the API never becomes markup.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

class Markup {
  constructor(text) { this.text = text; }
  toString() { return this.text; }
}

export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Trusted markup (only for strings built by this code, never for API data). */
export function raw(text) { return new Markup(String(text)); }

function part(value) {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(part).join('');
  if (value === null || value === undefined || value === false) return '';
  return esc(value);
}

/** Tagged template: `html\`<b>${name}</b>\`` escapes `name`. */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => { out += part(v) + strings[i + 1]; });
  return new Markup(out);
}

export function setHTML(el, markup) { el.innerHTML = part(markup); }

export function $(selector, root = document) { return root.querySelector(selector); }
export function $$(selector, root = document) { return [...root.querySelectorAll(selector)]; }

/** Delegated event listener: `on(root, 'click', '[data-go]', (ev, el) => …)`. */
export function on(root, type, selector, handler) {
  const listener = (ev) => {
    const el = ev.target instanceof Element ? ev.target.closest(selector) : null;
    if (el && root.contains(el)) handler(ev, el);
  };
  root.addEventListener(type, listener);
  return () => root.removeEventListener(type, listener);
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
