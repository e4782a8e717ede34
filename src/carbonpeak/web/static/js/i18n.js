// Every UI string of the dashboard, Chinese first, English switchable (kept in localStorage).
// Data labels come from the API's `_zh`/`_en` fields (see `pick`).

import { MESSAGES } from './messages.generated.js';

const STORAGE_KEY = 'carbonpeak.lang';

// The strings are the message catalogue's `web.*` codes (src/carbonpeak/i18n/catalogue/web.json),
// generated into messages.generated.js; a key is looked up by the same rule as
// carbonpeak.web.messages.code_of: `login.tooMany` -> `login.too_many`.
const STRINGS = MESSAGES;

function code(key) {
  return String(key).replace(/(?<=[a-z0-9])([A-Z])/g, '_$1').toLowerCase()
    .replace(/[^a-z0-9_.]/g, '_').split('.').map((p) => p || 'empty').join('.');
}

let current = (() => {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    return saved === 'en' || saved === 'zh' ? saved : 'zh';
  } catch {
    return 'zh';
  }
})();

const listeners = new Set();

export function lang() { return current; }

export function setLang(next) {
  if (next !== 'zh' && next !== 'en') return;
  current = next;
  try { localStorage.setItem(STORAGE_KEY, next); } catch { /* private mode: not kept */ }
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

/** The UI string `key`, with `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  const c = code(key);
  const s = STRINGS[current][c] ?? STRINGS.zh[c] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

/** Whether `key` has a translation (for optional labels such as carriers). */
export function has(key) { return code(key) in STRINGS[current]; }

/** A data label: `pick(row, 'name')` -> row.name_zh or row.name_en (falling back to the other). */
export function pick(obj, base) {
  if (!obj) return '';
  const mine = obj[`${base}_${current}`];
  const other = obj[`${base}_${current === 'zh' ? 'en' : 'zh'}`];
  return mine || other || obj[base] || '';
}

/** A street's name: Chinese in the Chinese edition; in the English edition the English name
 * with the Chinese beside it ("The Bund (外滩街道)"), since the district's documents and
 * signs give the Chinese. */
export function streetName(obj, base = 'name') {
  if (!obj) return '';
  const zh = obj[`${base}_zh`] || '';
  const en = obj[`${base}_en`] || '';
  if (current === 'zh') return zh || en || obj[base] || '';
  if (en && zh && en !== zh) return `${en} (${zh})`;
  return en || zh || obj[base] || '';
}

/** A GB/T 4754 sector code (`L72`) with its section's name. */
export function sectorLabel(code) {
  if (!code) return t('sector.(none)');
  const key = `sector.${String(code)[0]}`;
  return code === '(none)' ? t('sector.(none)') : has(key) ? `${code} ${t(key)}` : String(code);
}

/** A label for a code (carrier, status, level...) from its translation, else the code. */
export function label(prefix, code) {
  const key = `${prefix}.${code}`;
  return has(key) ? t(key) : String(code ?? '');
}

document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
