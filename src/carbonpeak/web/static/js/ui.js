// Shared pieces of the pages: hash helpers, loading and error boxes, year selector, KPI
// cards, level badges, pager.
import { ApiError } from './api.js';
import { html, on, raw } from './dom.js';
import { changePct, isNum, num, pct } from './format.js';
import { label, lang, pick, t } from './i18n.js';
import { session } from './state.js';

/** `#/key-units?street_id=3` -> {path: '/key-units', query: {street_id: '3'}} */
export function parseHash(hash = location.hash) {
  const h = hash.replace(/^#/, '') || '/overview';
  const [path, qs = ''] = h.split('?');
  return { path: path || '/overview', query: Object.fromEntries(new URLSearchParams(qs)) };
}

/** A hash for `path` with `query` (empty values left out). */
export function hashFor(path, query = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== null && v !== undefined && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function loading() {
  return html`<div class="loading" data-testid="loading"><span class="spinner"></span>${t('app.loading')}</div>`;
}

export function errorMarkup(err) {
  const forbidden = err instanceof ApiError && err.status === 403;
  return html`<div class="panel error-panel" role="alert" data-testid="page-error">
    <h2>${forbidden ? t('app.forbidden') : t('app.error')}</h2>
    ${forbidden ? '' : html`<p class="muted">${err && err.message ? err.message : ''}</p>`}
    <button type="button" class="btn" data-action="retry">${t('app.retry')}</button></div>`;
}

/** The year selector (`years` newest first; `year` selected). */
export function yearSelect(years, year) {
  const list = Array.isArray(years) && years.length ? years : session.years;
  if (!list || !list.length) return '';
  return html`<label class="field field-inline">${t('year')}
    <select data-testid="year-select" data-role="year">
      ${list.map((y) => html`<option value="${y}" ${Number(y) === Number(year) ? raw('selected') : ''}>${y}</option>`)}
    </select></label>`;
}

/** A number with its raw value kept in `data-value` (for tests and copy). */
export function numSpan(value, { testid = '', digits, cls = '' } = {}) {
  return html`<span class="${cls}" ${testid ? raw(`data-testid="${testid}"`) : ''}
    data-value="${isNum(value) ? value : ''}">${num(value, digits)}</span>`;
}

export function unit(key) {
  const titles = { tce: 'unit.tceTitle', tco2: 'unit.tco2Title' };
  return html`<span class="unit" title="${titles[key] ? t(titles[key]) : ''}">${t(`unit.${key}`)}</span>`;
}

/** A change in percent, coloured (a rise of energy or CO2 is bad). */
export function change(now, last, { pctValue } = {}) {
  const c = isNum(pctValue) ? pctValue : changePct(now, last);
  if (!isNum(c)) return html`<span class="chg">—</span>`;
  const cls = c > 0.05 ? 'up' : c < -0.05 ? 'down' : 'flat';
  const arrow = c > 0.05 ? '▲' : c < -0.05 ? '▼' : '■';
  return html`<span class="chg ${cls}" data-value="${c}">${arrow} ${pct(c, { signed: true })}</span>`;
}

/** A headline card: label, the number, and what it compares with; `figure` (from the
 * figure catalogue) gives the value, its precision and its basis and as-of line. */
export function kpiCard({ title, value, unitKey, testid, digits, sub = '', figure = null }) {
  const v = figure ? figure.value : value;
  const d = figure ? figure.digits : digits;
  return html`<div class="kpi card" ${figure ? raw(`data-code="${figure.code}"`) : ''}>
    <div class="kpi-label">${title}</div>
    <div class="kpi-value">${figure ? figureSpan(figure, testid) : numSpan(v, { testid, digits: d })} ${unitKey ? unit(unitKey) : ''}</div>
    <div class="kpi-sub">${sub}</div>
    ${figure ? basisLine(figure) : ''}
  </div>`;
}

/** A catalogue figure's value at the catalogue's precision (`data-figure` its code). */
export function figureSpan(f, testid = '') {
  if (!f) return html`<span>—</span>`;
  const text = f.unit === '%' ? `${num(f.value, f.digits)}%` : f.unit === 'year'
    ? (isNum(f.value) ? String(Math.round(f.value)) : '—') : num(f.value, f.digits);
  return html`<span data-figure="${f.code}" ${testid ? raw(`data-testid="${testid}"`) : ''}
    data-value="${isNum(f.value) ? (f.unit === '%' ? f.value / 100 : f.value) : ''}">${text}</span>`;
}

/** `核算口径 · 截至2024-12-31 · 核算第2次`: a figure's basis and as-of (a card's or header's). */
export function basisLine(f) {
  if (!f) return '';
  return html`<div class="basis small muted" data-basis="${f.basis}" data-testid="basis-${f.code}">${lang() === 'zh' ? f.label_zh : f.label_en}</div>`;
}

/** A programme's figures as the figure catalogue publishes them (PV, VPP, the pipeline,
 * supervision): name, value at the catalogue's precision, unit, and basis and as-of. */
export function publishedFigures(figs, testid) {
  const rows = (figs || []).filter((f) => f.subject_type === 'district');
  if (!rows.length) return '';
  const unit = (u) => (['count', 'year', '%', 'ratio', 'points'].includes(u) ? '' : u);
  return html`<div class="table-wrap" data-testid="${testid}"><table class="data"><thead><tr>
    <th>${t('fig.name')}</th><th class="num">${t('fig.value')}</th><th>${t('fig.unit')}</th><th>${t('fig.basis')}</th></tr></thead><tbody>
    ${rows.map((f) => html`<tr data-code="${f.code}"><td>${pick(f, 'name')}</td><td class="num">${figureSpan(f)}</td>
      <td class="unit">${unit(f.unit)}</td><td class="small">${pick(f, 'label')}</td></tr>`)}
  </tbody></table></div>`;
}

export function levelBadge(level) {
  if (!level) return html`<span class="muted">—</span>`;
  return html`<span class="badge level-${level}" data-level="${level}">${label('level', level)}</span>`;
}

export function statusBadge(status, text) {
  return html`<span class="badge status-${status}" data-status="${status}">${text || label('status', status)}</span>`;
}

/** Previous/next pager for `{total, limit, offset}`. */
export function pager({ total = 0, limit = 50, offset = 0 }) {
  if (!total) return '';
  const from = offset + 1;
  const to = Math.min(offset + limit, total);
  return html`<div class="pager" data-testid="pager">
    <button type="button" class="btn-ghost" data-page="${Math.max(0, offset - limit)}"
      ${offset <= 0 ? raw('disabled') : ''}>${t('page.prev')}</button>
    <span>${t('page.info', { from: num(from, 0), to: num(to, 0), total: num(total, 0) })}</span>
    <button type="button" class="btn-ghost" data-page="${offset + limit}"
      ${to >= total ? raw('disabled') : ''}>${t('page.next')}</button>
  </div>`;
}

/** A page title row with tools on the right. */
export function pageHead(title, tools = '') {
  return html`<div class="page-head"><h1>${title}</h1><div class="tools">${tools}</div></div>`;
}

/** Items of a list answer (`{items}`) or a bare list. */
export function itemsOf(data) {
  if (Array.isArray(data)) return data;
  return (data && Array.isArray(data.items)) ? data.items : [];
}

function csvCell(v) {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV (UTF-8 with a BOM, as the API's exports) of `rows` as an object URL; revoke it when
 * the page goes. */
export function csvObjectUrl(rows, columns) {
  const cols = columns || [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const lines = [cols.map(csvCell).join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))];
  return URL.createObjectURL(new Blob([`\ufeff${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' }));
}

/** A date field that reads and writes YYYY-MM-DD whatever the browser's locale (an
 * `<input type=date>` shows mm/dd/yyyy in an en-US browser): a text input with the pattern,
 * checked as a real calendar date as it is typed (see `isIsoDate`). */
export function dateInput(name, { required = false, testid = '', title = '', value = '' } = {}) {
  return html`<input type="text" name="${name}" data-date="iso" inputmode="numeric" maxlength="10"
    pattern="\\d{4}-\\d{2}-\\d{2}" placeholder="YYYY-MM-DD" autocomplete="off" value="${value}"
    ${required ? raw('required') : ''} ${testid ? raw(`data-testid="${testid}"`) : ''} title="${title || 'YYYY-MM-DD'}">`;
}

/** Whether `s` is a real date written YYYY-MM-DD. */
export function isIsoDate(s) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

document.addEventListener('input', (ev) => {
  const el = ev.target;
  if (!(el instanceof HTMLInputElement) || el.dataset.date !== 'iso') return;
  el.setCustomValidity(el.value === '' || isIsoDate(el.value) ? '' : t('app.dateFormat'));
});

/** A row with `data-href` opens its page when clicked (a link inside it keeps its own
 * target); returns the handler's remover. */
export function followRowLinks(view) {
  return on(view, 'click', 'tr[data-href]', (ev, el) => {
    if (ev.target instanceof Element && ev.target.closest('a')) return;
    location.hash = el.dataset.href;
  });
}
