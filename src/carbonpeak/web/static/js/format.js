// Number formatting: thousands separators, units in the official notation.
import { lang } from './i18n.js';

const cache = new Map();

function formatter(digits) {
  const key = `${lang()}:${digits}`;
  if (!cache.has(key)) {
    cache.set(key, new Intl.NumberFormat(lang() === 'zh' ? 'zh-CN' : 'en-US', {
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    }));
  }
  return cache.get(key);
}

export function isNum(v) { return typeof v === 'number' && Number.isFinite(v); }

/** `v` or 0 when it rounds to zero at `digits` fraction digits: never "-0.00". */
function noNegZero(v, digits) {
  const f = 10 ** digits;
  return Math.round(Math.abs(v) * f) === 0 ? 0 : v;
}

/** `1234567.8` -> `1,234,568` (digits: fraction digits; default by size). */
export function num(v, digits) {
  if (!isNum(v)) return '—';
  let d = digits;
  if (d === undefined) {
    const a = Math.abs(v);
    d = a >= 100 ? 0 : a >= 1 ? 1 : a === 0 ? 0 : 3;
  }
  return formatter(d).format(noNegZero(v, d));
}

/** Up to `maxDigits` fraction digits, no trailing zeros: `13.5`, `3,500,000`, `0.0039`. */
export function numTrim(v, maxDigits = 2) {
  if (!isNum(v)) return '—';
  const key = `${lang()}:trim:${maxDigits}`;
  if (!cache.has(key)) {
    cache.set(key, new Intl.NumberFormat(lang() === 'zh' ? 'zh-CN' : 'en-US', {
      minimumFractionDigits: 0, maximumFractionDigits: maxDigits,
    }));
  }
  return cache.get(key).format(v);
}

/** A ratio or a percentage: `pct(12.34)` -> `12.3%`; `pct(0.1234, {ratio: true})` -> `12.3%`. */
export function pct(v, { ratio = false, digits = 1, signed = false } = {}) {
  if (!isNum(v)) return '—';
  const p = noNegZero(ratio ? v * 100 : v, digits);
  const sign = signed && p > 0 ? '+' : '';
  return `${sign}${formatter(digits).format(p)}%`;
}

/** kWh -> 万kWh */
export function wanKwh(kwh) { return isNum(kwh) ? kwh / 1e4 : null; }

/** Change in percent between this and last; null when it cannot be computed. */
export function changePct(now, last) {
  if (!isNum(now) || !isNum(last) || last === 0) return null;
  return ((now - last) / Math.abs(last)) * 100;
}
