// Public buildings, quota cases tab (超限额整改): GET /quota-cases?year=&status= with the notice
// number, deadline and overdue cases marked; for analysts and admins the forms that open cases
// and review them (POST /quota-cases/open, /review), for admins the one that issues notices
// (POST /quota-cases/notify). A form the role may not use is not shown.
import { ApiError, apiUrl, get, post } from '../api.js';
import {
  ANALYST_ROLES, QUOTA_CASE_STATUSES, QuotaCaseStatus, QuotaStatus, Role,
} from '../constants.js';
import { $, html, on, raw, setHTML } from '../dom.js';
import { num, pct } from '../format.js';
import { label, lang, pick, t } from '../i18n.js';
import { rememberYears, session } from '../state.js';
import { serverSortAttrs } from '../table.js';
import { dateInput, loading, pageHead, pager } from '../ui.js';
import { allRows, tabs, unitText } from './buildings.js';

const LIMIT = 50;
const STATUSES = QUOTA_CASE_STATUSES;
const ANALYSTS = ANALYST_ROLES;

/** Today as `YYYY-MM-DD` in the browser's time zone (deadlines are calendar dates). */
function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** A notified case whose deadline has passed (it waits for a review). */
export function isOverdue(c, day = today()) {
  return c.status === QuotaCaseStatus.NOTIFIED && Boolean(c.deadline) && String(c.deadline) < day;
}

function caseBadge(status) {
  return html`<span class="badge case-${status}" data-status="${status}">${label('case', status)}</span>`;
}

// a quota class's label from its table (`B_hotel_4star` -> 四星级酒店); the code when unknown
const classLabels = new Map();
const classLabel = (c) => classLabels.get(`${c.table_id}/${c.quota_class}`) || c.quota_class || '';

async function loadClassLabels(items) {
  const ids = [...new Set(items.map((c) => c.table_id).filter(Boolean))];
  await Promise.all(ids.map((id) => get(`/quota-tables/${encodeURIComponent(id)}`).then((tb) => {
    for (const r of tb.rows || []) if (pick(r, 'label')) classLabels.set(`${id}/${r.quota_class}`, pick(r, 'label'));
  }).catch(() => null)));
}

function rowsMarkup(items, now) {
  if (!items.length) return html`<tr><td colspan="9" class="muted">${t('app.noData')}</td></tr>`;
  return items.map((c) => {
    const late = isOverdue(c, now);
    const unit = unitText(c.unit);
    return html`<tr data-case-id="${c.id}" data-entity-id="${c.entity_id}" data-status="${c.status}"
        class="${late ? 'overdue' : ''}" ${late ? raw('data-overdue="1"') : ''}>
      <td class="nowrap">#${c.id} · ${c.year}<div class="muted small">${c.table_id} v${c.table_version}</div></td>
      <td class="name-cell"><a href="#/entities/${encodeURIComponent(c.entity_id)}">${c.name || c.entity_id}</a>
        <div class="muted small">${c.entity_id} · <span title="${c.quota_class || ''}">${classLabel(c)}</span>${c.class_source === 'default' ? ` (${t('bd.defaultClass')})` : ''}</div></td>
      <td class="num">${num(c.eui, 1)} / ${num(c.constraint_value, 1)} <span class="unit">${unit}</span></td>
      <td class="num">${pct(c.excess_fraction, { ratio: true })}</td>
      <td class="num">${num(c.reduction_required, 0)} <span class="unit">${unit ? `${unit.split('/')[0]}/a` : ''}</span></td>
      <td>${caseBadge(c.status)} ${c.quota_status === QuotaStatus.UNVERIFIED ? html`<span class="badge quota-unverified" title="${t('bd.unverified')}">${label('quota', 'unverified')}</span>` : ''}</td>
      <td class="nowrap">${c.notice_no || '—'}<div class="muted small">${c.notice_date || ''}</div></td>
      <td class="nowrap" data-testid="case-deadline">${c.deadline || '—'}
        ${late ? html` <span class="badge overdue-badge" data-testid="case-overdue">${t('qc.overdue')}</span>` : ''}</td>
      <td class="reason small">${pick(c, 'reason')}</td>
    </tr>`;
  });
}

function yearOptions(years, selected) {
  return years.map((y) => html`<option value="${y}" ${Number(y) === Number(selected) ? raw('selected') : ''}>${y}</option>`);
}

function actionsMarkup(role, years, tables) {
  if (!ANALYSTS.includes(role)) return '';
  // each form asks for its own year (the latest accounted year preselected): the year last
  // viewed elsewhere never carries silently into opening or notifying cases
  const latest = years[0] || '';
  return html`<section class="card actions-card" data-testid="cases-actions">
    <h2>${t('qc.actions')}</h2>
    <div class="grid grid-actions">
      <form class="action-form" data-op="open" data-testid="cases-open-form">
        <h3>${t('qc.open')}</h3><p class="muted small">${t('qc.openHint')}</p>
        <div class="toolbar">
          <label class="field">${t('year')}<select name="year">${yearOptions(years, latest)}</select></label>
          <label class="field">${t('bd.table')}<select name="table">
            ${tables.map((x) => html`<option value="${x}">${x}</option>`)}</select></label>
          <button type="submit" class="btn-primary" data-testid="cases-open">${t('qc.open')}</button>
        </div></form>
      ${role === Role.DISTRICT_ADMIN ? html`<form class="action-form" data-op="notify" data-testid="cases-notify-form">
        <h3>${t('qc.notify')}</h3><p class="muted small">${t('qc.notifyHint')}</p>
        <div class="toolbar">
          <label class="field">${t('year')}<select name="year">${yearOptions(years, latest)}</select></label>
          <label class="field">${t('qc.noticeDate')}${dateInput('notice_date', { title: t('qc.optional') })}</label>
          <label class="field">${t('qc.deadline')}${dateInput('deadline', { required: true, testid: 'cases-deadline' })}</label>
          <button type="submit" class="btn-primary" data-testid="cases-notify">${t('qc.notify')}</button>
        </div></form>` : ''}
      <form class="action-form" data-op="review" data-testid="cases-review-form">
        <h3>${t('qc.review')}</h3><p class="muted small">${t('qc.reviewHint')}</p>
        <div class="toolbar">
          <label class="field">${t('qc.reviewYear')}<select name="year">${yearOptions(years, latest)}</select></label>
          <label class="field">${t('qc.asOf')}${dateInput('as_of', { title: t('qc.optional') })}</label>
          <button type="submit" class="btn-primary" data-testid="cases-review">${t('qc.review')}</button>
        </div></form>
    </div>
    <div class="form-msg" data-testid="cases-msg" role="status" hidden></div>
  </section>`;
}

function failure(err) {
  if (err instanceof ApiError) {
    const d = err.detail;
    if (typeof d === 'string') return d;
    if (Array.isArray(d)) return d.map((x) => x.msg || JSON.stringify(x)).join('; ');
  }
  return (err && err.message) || String(err);
}

export async function render(view, { query, setQuery, isCurrent }) {
  setHTML(view, loading());
  const f = { year: query.case_year || '', status: query.status || '', q: query.q || '', sort: query.sort || '', order: query.order || '' };
  const role = session.user ? session.user.role : '';
  const canAct = ANALYSTS.includes(role);
  const [years, tables] = await Promise.all([
    session.years.length ? null : get('/key-units', { limit: 1 }).catch(() => null),
    canAct ? get('/quota-tables').catch(() => ({ items: [] })) : null,
  ]);
  if (!isCurrent()) return undefined;
  if (years) rememberYears(years.years);
  const yearList = session.years;
  const tableIds = tables ? (tables.items || []).map((x) => x.table_id) : [];
  // the shipped default first, as in GET /benchmarking
  tableIds.sort((a, b) => (b === 'gbt51161-2016') - (a === 'gbt51161-2016'));

  setHTML(view, html`
    ${pageHead(t('bd.title'))}
    ${tabs('cases')}
    ${actionsMarkup(role, yearList, tableIds)}
    <section class="card">
      <div class="card-head"><h2>${t('qc.title')}</h2></div>
      <div class="toolbar">
        <label class="field">${t('qc.year')}
          <select data-role="case-year" data-testid="cases-year">
            <option value="">${t('all')}</option>${yearOptions(yearList, f.year)}</select></label>
        <label class="field">${t('qc.status')}
          <select data-role="case-status" data-testid="cases-status">
            <option value="">${t('all')}</option>
            ${STATUSES.map((s) => html`<option value="${s}" ${s === f.status ? raw('selected') : ''}>${label('case', s)}</option>`)}</select></label>
        <label class="field">${t('search')}
          <input type="search" data-role="case-q" value="${f.q}" placeholder="${t('tbl.filter')}" data-testid="cases-filter"></label>
        <div class="field grow"><span>&nbsp;</span><span class="downloads">
          <a class="btn-dl" data-testid="cases-csv" href="${apiUrl('/quota-cases', { ...f, format: 'csv' })}" download>${t('download.csv')}</a>
          <a class="btn-dl" data-testid="cases-xlsx" href="${apiUrl('/quota-cases', { ...f, order: f.sort ? f.order : '', format: 'xlsx', lang: lang() })}" download>${t('download.xlsx')}</a></span></div>
      </div>
      <p class="muted small"><span data-testid="cases-count"></span> <span class="overdue-text" data-testid="cases-overdue-count"></span></p>
      <div class="table-wrap"><table class="data" data-server-sort data-testid="cases-table">
        <thead><tr><th ${serverSortAttrs('id', f)}>${t('qc.col.case')}</th><th ${serverSortAttrs('name', f)}>${t('bd.col.building')}</th>
          <th class="num" ${serverSortAttrs('eui', f)}>${t('qc.col.eui')}</th><th class="num" ${serverSortAttrs('excess_fraction', f)}>${t('qc.col.excess')}</th>
          <th class="num" ${serverSortAttrs('reduction_required', f)}>${t('qc.col.reduction')}</th><th ${serverSortAttrs('status', f)}>${t('col.status')}</th>
          <th ${serverSortAttrs('notice_date', f)}>${t('qc.col.notice')}</th><th ${serverSortAttrs('deadline', f)}>${t('qc.col.deadline')}</th><th>${t('col.reason')}</th></tr></thead>
        <tbody data-role="rows">${loadingRow()}</tbody></table></div>
      <div data-role="pager"></div>
    </section>`);

  const tbody = $('[data-role="rows"]', view);
  const pagerBox = $('[data-role="pager"]', view);
  const count = $('[data-testid="cases-count"]', view);
  const overdue = $('[data-testid="cases-overdue-count"]', view);
  const msg = $('[data-testid="cases-msg"]', view);
  let items = [];
  let seq = 0;
  const showPage = (offset) => {
    const now = today();
    setHTML(tbody, rowsMarkup(items.slice(offset, offset + LIMIT), now));
    setHTML(pagerBox, pager({ total: items.length, limit: LIMIT, offset }));
  };
  const load = async () => {
    const mine = ++seq;
    try {
      const data = await allRows('/quota-cases', { ...f, order: f.sort ? f.order : '' });
      await loadClassLabels(data.items);
      if (mine !== seq || !isCurrent()) return;
      items = data.items;
      count.textContent = t('qc.count', { n: num(data.total, 0) });
      count.dataset.total = String(data.total);
      const late = items.filter((c) => isOverdue(c)).length;
      overdue.textContent = late ? t('qc.overdueCount', { n: num(late, 0) }) : '';
      overdue.dataset.value = String(late);
      showPage(0);
    } catch (err) {
      if (mine === seq && isCurrent()) setHTML(tbody, html`<tr><td colspan="9" class="muted">${t('app.error')}: ${failure(err)}</td></tr>`);
    }
  };
  await load();

  const say = (text, kind) => {
    msg.hidden = false;
    msg.className = `form-msg ${kind}`;
    msg.textContent = text;
  };
  const submit = async (ev, form) => {
    ev.preventDefault();
    const op = form.dataset.op;
    const v = (name) => (form.elements[name] ? form.elements[name].value : '');
    const body = { year: Number(v('year')) };
    if (op === 'open' && v('table')) body.table = v('table');
    if (op === 'notify') {
      body.deadline = v('deadline');
      if (v('notice_date')) body.notice_date = v('notice_date');
    }
    if (op === 'review' && v('as_of')) body.as_of = v('as_of');
    const buttons = [...view.querySelectorAll('.action-form button')];
    buttons.forEach((b) => { b.disabled = true; });
    say(t('qc.busy'), 'info');
    delete msg.dataset.n;
    try {
      const res = await post(`/quota-cases/${op}`, body);
      if (!isCurrent()) return;
      const n = (res.opened || res.notified || res.changed || []).length;
      await load();
      if (!isCurrent()) return;
      say(t(op === 'open' ? 'qc.opened' : op === 'notify' ? 'qc.notified' : 'qc.reviewed', { n: num(n, 0) }), 'ok');
      msg.dataset.n = String(n);
    } catch (err) {
      if (isCurrent()) say(t('qc.failed', { detail: failure(err) }), 'error');
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  };

  const off = [
    on(view, 'change', 'select[data-role="case-year"]', (_, s) => setQuery({ case_year: s.value })),
    on(view, 'change', 'select[data-role="case-status"]', (_, s) => setQuery({ status: s.value })),
    on(view, 'change', 'input[data-role="case-q"]', (_, i) => setQuery({ q: i.value.trim() })),
    on(view, 'table-sort', 'table[data-server-sort]', (ev) => setQuery({ sort: ev.detail.sort, order: ev.detail.order })),
    on(view, 'click', 'button[data-page]', (_, b) => showPage(Number(b.dataset.page) || 0)),
    on(view, 'submit', 'form[data-op]', submit),
  ];
  return () => { seq += 1; off.forEach((o) => o()); };
}


function loadingRow() {
  return html`<tr><td colspan="9" class="muted"><span class="spinner"></span>${t('app.loading')}</td></tr>`;
}
