// Public buildings (公共建筑), benchmarking tab: GET /benchmarking?year=&table=&building_type=
// &rating= (every row in scope, read in pages of 500) with the rating counts, the quota table
// and its status, the EUI of each building by type against the constraint and guide values,
// the table (paged here), and downloads: CSV/xlsx of the same filter and the disclosure list
// (能效公示) as xlsx and PDF. The other tabs of the entry are in quota-cases.js and
// building-programmes.js; `tabs`, `allRows` and `unitText` are shared with them.
import { withheld } from '../disclosure.js';
import { apiUrl, get } from '../api.js';
import { chart } from '../charts.js';
import { ANALYST_ROLES, QUOTA_RATINGS, Role } from '../constants.js';
import { $, esc, html, on, raw, setHTML } from '../dom.js';
import { isNum, num, pct } from '../format.js';
import { label, lang, pick, t } from '../i18n.js';
import { rememberYears, session } from '../state.js';
import { serverSortAttrs } from '../table.js';
import { hashFor, itemsOf, loading, pageHead, pager, yearSelect } from '../ui.js';
import { bindVerify, verifyBox } from '../verify.js';

const LIMIT = 50;
const PAGE = 500; // the API's largest page
export const RATINGS = QUOTA_RATINGS;
const RATING_COLORS = {
  meets_guide: '#2e9e5b', meets_constraint: '#3c8dbc', over_constraint: '#d23f3f',
  no_quota: '#9aa6a2', no_data: '#c0c8c5', incomplete_data: '#e0a13a',
};
const BTYPES = ['office', 'government', 'hotel', 'mall', 'hospital', 'school', 'data_centre',
  'mixed', 'other'];

const TABS = [
  ['benchmark', '/buildings'], ['cases', '/buildings/cases'], ['retrofits', '/buildings/retrofits'],
  ['audits', '/buildings/audits'], ['commissioning', '/buildings/commissioning'],
];

/** The tabs of the public-buildings entry (the year chosen goes along). */
export function tabs(active) {
  return html`<nav class="subnav" aria-label="${t('bd.title')}" data-testid="buildings-tabs">
    ${TABS.map(([key, path]) => html`<a href="${hashFor(path, { year: session.year || '' })}"
      class="${key === active ? 'active' : ''}" data-tab="${key}">${t(`bd.tab.${key}`)}</a>`)}
  </nav>`;
}

/** Every item of a paged list endpoint (pages of 500), with the first page's other fields. */
export async function allRows(path, params) {
  const first = await get(path, { ...params, limit: PAGE, offset: 0 });
  const items = [...itemsOf(first)];
  const total = first.total ?? items.length;
  while (items.length < total) {
    const next = await get(path, { ...params, limit: PAGE, offset: items.length });
    const more = itemsOf(next);
    if (!more.length) break;
    items.push(...more);
  }
  return { ...first, items, total };
}

/** `kWh/(m2·a)` -> `kWh/(m²·a)` */
export function unitText(u) { return u ? String(u).replace(/m2/g, 'm²') : ''; }

/** The yearly unit of a reduction: `kWh/(m2·a)` × m² -> `kWh/a`. */
function reductionUnit(u) {
  const base = u ? String(u).split('/')[0] : '';
  return base ? `${base}/a` : '';
}

export function ratingBadge(r) {
  if (!r) return html`<span class="muted">—</span>`;
  return html`<span class="badge rating-${r}" data-rating="${r}">${label('rating', r)}</span>`;
}

function quotaStatusBadge(status) {
  return html`<span class="badge quota-${status}" data-testid="bm-quota-status"
    data-status="${status}">${label('quota', status)}</span>`; // one language per edition
}

function rowsMarkup(items) {
  if (!items.length) return html`<tr><td colspan="11" class="muted">${t('app.noData')}</td></tr>`;
  return items.map((r) => html`<tr data-entity-id="${r.entity_id}" data-rating="${r.rating}"
      class="${r.rating === 'over_constraint' ? 'row-over' : ''}">
    <td class="num" data-value="${isNum(r.rank_in_type) ? r.rank_in_type : ''}">${num(r.rank_in_type, 0)}<span class="muted small"> / ${num(r.n_in_type, 0)}</span></td>
    <td class="name-cell"><a href="#/entities/${encodeURIComponent(r.entity_id)}">${r.name || r.entity_id}</a>
      <div class="muted small">${r.entity_id}</div></td>
    <td class="nowrap">${r.street || '—'}</td>
    <td class="nowrap">${label('btype', r.building_type || 'other')}</td>
    <td class="num">${num(r.floor_area_m2, 0)}</td>
    <td class="num" data-value="${isNum(r.eui_kgce_per_m2_equal) ? r.eui_kgce_per_m2_equal : ''}">${num(r.eui_kgce_per_m2_equal, 1)}</td>
    <td class="num">${r.suppressed ? withheld() : pct(r.area_percentile_in_type, { ratio: true, digits: 0 })}</td>
    <td>${pick(r, 'quota_label') || html`<span class="muted">—</span>`}
      ${r.class_source === 'default' ? html`<div class="muted small" title="${t('bd.defaultClassTitle')}">${t('bd.defaultClass')}</div>` : ''}</td>
    <td class="num" data-value="${isNum(r.eui) ? r.eui : ''}">${num(r.eui, 1)}${isNum(r.eui) ? html` <span class="unit">${unitText(r.eui_unit)}</span>` : ''}</td>
    <td class="num">${isNum(r.constraint_value) ? html`${num(r.constraint_value, 1)} / ${num(r.guide_value, 1)}` : '—'}</td>
    <td>${ratingBadge(r.rating)}
      ${isNum(r.reduction_required) && r.reduction_required > 0 ? html`<div class="small" data-testid="bm-reduction"
        data-value="${r.reduction_required}">${t('bd.col.reduction')} ${pct(r.excess_fraction, { ratio: true })} ·
        ${num(r.reduction_required, 0)} <span class="unit">${reductionUnit(r.eui_unit)}</span></div>` : ''}</td>
  </tr>`);
}

/** The ECharts option: one point per building at its type, coloured by rating; in the quota
 * convention the constraint and guide values of each type's classes as short bars. */
function euiOption(items, mode) {
  const quota = mode === 'quota';
  const value = (r) => (quota ? r.eui : r.eui_kgce_per_m2_equal);
  const shown = items.filter((r) => isNum(value(r)));
  const types = [...new Set(shown.map((r) => r.building_type || 'other'))];
  const cat = (r) => label('btype', r.building_type || 'other');
  const units = [...new Set(shown.map((r) => r.eui_unit).filter(Boolean))];
  const yName = quota ? units.map(unitText).join(', ') : 'kgce/m²';
  const limits = (key) => {
    const seen = new Map();
    for (const r of shown) {
      if (isNum(r[key])) seen.set(`${r.building_type}|${r[key]}`, [cat(r), r[key], pick(r, 'quota_label')]);
    }
    return [...seen.values()].map(([c, v, n]) => ({ value: [c, v], name: n }));
  };
  const series = RATINGS.filter((k) => shown.some((r) => r.rating === k)).map((k) => ({
    name: label('rating', k), type: 'scatter', symbolSize: 11, z: 3,
    itemStyle: { color: RATING_COLORS[k], borderColor: '#fff', borderWidth: 1 },
    data: shown.filter((r) => r.rating === k).map((r) => ({
      value: [cat(r), value(r)], name: r.name || r.entity_id, id: r.entity_id })),
  }));
  if (quota) {
    series.push(
      { name: t('bd.constraint'), type: 'scatter', symbol: 'rect', symbolSize: [46, 3], z: 2,
        itemStyle: { color: '#c8553d' }, data: limits('constraint_value') },
      { name: t('bd.guide'), type: 'scatter', symbol: 'rect', symbolSize: [46, 3], z: 2,
        itemStyle: { color: '#2e9e5b' }, data: limits('guide_value') },
    );
  }
  return {
    legend: { top: 0, type: 'scroll' },
    tooltip: {
      trigger: 'item',
      formatter: (p) => `${esc(p.seriesName)}<br>${esc(p.name)}: <b>${esc(num(p.value[1], 1))}</b> ${esc(yName)}`,
    },
    xAxis: { type: 'category', data: types.map((k) => label('btype', k)), axisTick: { alignWithLabel: true } },
    yAxis: { type: 'value', name: yName, scale: false,
      axisLabel: { formatter: (v) => num(v, Number.isInteger(v) ? 0 : 1) } },
    series,
  };
}

export async function render(view, { query, setQuery, isCurrent }) {
  setHTML(view, loading());
  const f = {
    year: query.year || '', table: query.table || '', building_type: query.type || '',
    rating: query.rating || '', q: query.q || '', sort: query.sort || '', order: query.order || '',
  };
  const base = { year: f.year, table: f.table, building_type: f.building_type };
  const [data, all, tables, years] = await Promise.all([
    // sorted and filtered by the server: every page shows the whole list's order
    allRows('/benchmarking', { ...base, rating: f.rating, q: f.q, sort: f.sort, order: f.sort ? f.order : '' }),
    // the counts of every rating, whichever rating is shown
    f.rating ? get('/benchmarking', { ...base, limit: 1 }) : null,
    get('/quota-tables').catch(() => ({ items: [] })),
    session.years.length ? null : get('/key-units', { limit: 1 }).catch(() => null),
  ]);
  if (!isCurrent()) return undefined;
  if (years) rememberYears(years.years);
  const items = data.items;
  const counts = (all || data).counts || {};
  const totalAll = Object.values(counts).reduce((a, b) => a + b, 0);
  const tableInfo = itemsOf(tables).find((x) => x.table_id === data.table_id) || {};
  const statuses = [...new Set([...(data.quota_statuses || []),
    ...Object.keys(tableInfo.statuses || {})])].sort();
  const source = (items.find((r) => r.quota_source) || {}).quota_source || '';
  const params = { year: data.year, table: data.table_id };
  const filters = { ...params, building_type: f.building_type, rating: f.rating, q: f.q, sort: f.sort, order: f.sort ? f.order : '' };
  const link = (q) => hashFor('/buildings', { year: f.year, table: f.table, type: f.building_type, ...q });
  const isScoped = session.user && !ANALYST_ROLES.includes(session.user.role);
  // admins verify the table's unverified rows from the banner (reference-value verification)
  const toVerify = statuses.includes('unverified') && session.user && session.user.role === Role.DISTRICT_ADMIN
    ? (await get(`/quota-tables/${encodeURIComponent(data.table_id)}`).catch(() => ({ rows: [] }))).rows
      .filter((r) => r.status === 'unverified')
      .map((r) => ({ target: r.verification_target, text: `${r.region} · ${pick(r, 'label') || r.quota_class}` }))
    : [];
  if (!isCurrent()) return undefined;

  setHTML(view, html`
    ${pageHead(t('bd.title'), html`${yearSelect(session.years.length ? session.years : [data.year], data.year)}`)}
    ${tabs('benchmark')}
    ${statuses.includes('unverified') ? html`<div class="note note-strong" role="note" data-testid="bm-unverified">
      <strong>⚠ ${t('bd.unverified')}</strong>${source ? html`<div class="small">${t('bd.source')}${source}</div>` : ''}
      ${verifyBox('quota_row', toVerify)}</div>` : ''}
    ${isScoped ? html`<p class="scope-note" data-testid="bm-scope-note">${t('bd.scopeNote')}</p>` : ''}
    <section class="grid grid-kpi">
      <div class="kpi card">
        <div class="kpi-label">${t('bd.total')}</div>
        <div class="kpi-value"><span data-testid="bm-total" data-value="${totalAll}">${num(totalAll, 0)}</span></div>
        <div class="kpi-sub">${t('bd.totalSub', { y: data.year, run: data.account_run_id, fs: data.factor_set || '—' })}</div>
      </div>
      <div class="kpi card kpi-wide">
        <div class="kpi-label">${t('bd.ratings')}</div>
        <div class="warn-counts rating-counts">
          ${RATINGS.map((k) => html`<a class="warn-count rating-${k} ${f.rating === k ? 'on' : ''}" href="${link({ rating: f.rating === k ? '' : k })}"
            data-testid="bm-count-${k}" data-value="${counts[k] || 0}"><strong>${num(counts[k] || 0, 0)}</strong><span class="small">${label('rating', k)}</span></a>`)}
        </div>
      </div>
      <div class="kpi card">
        <div class="kpi-label">${t('bd.quotaTable')}</div>
        <div class="quota-name" data-testid="bm-table-id">${data.table_id} <span class="muted small">${t('bd.quotaVersion', { v: data.table_version })}</span></div>
        <div class="kpi-sub">${t('bd.quotaStatus')}${statuses.length ? statuses.map(quotaStatusBadge) : '—'}</div>
      </div>
    </section>
    <section class="card" style="margin-bottom:14px">
      <div class="card-head"><h2>${t('bd.chart')}</h2>
        <div class="seg" role="group" data-testid="bm-chart-mode">
          <button type="button" data-mode="quota" class="on">${t('bd.modeQuota')}</button>
          <button type="button" data-mode="equal">${t('bd.modeEqual')}</button></div></div>
      <div class="chart chart-tall" data-chart="eui" data-testid="chart-bm-eui"></div>
      <p class="muted small" data-role="chart-note"></p>
    </section>
    <section class="card">
      <form class="toolbar" data-role="filters" autocomplete="off">
        <label class="field">${t('bd.table')}
          <select name="table" data-testid="bm-table-select">
            ${itemsOf(tables).map((x) => html`<option value="${x.table_id}" ${x.table_id === data.table_id ? raw('selected') : ''}>${x.table_id}</option>`)}
            ${itemsOf(tables).some((x) => x.table_id === data.table_id) ? '' : html`<option value="${data.table_id}" selected>${data.table_id}</option>`}
          </select></label>
        <label class="field">${t('bd.type')}
          <select name="type" data-testid="bm-type">
            <option value="">${t('all')}</option>
            ${BTYPES.map((k) => html`<option value="${k}" ${k === f.building_type ? raw('selected') : ''}>${label('btype', k)}</option>`)}
          </select></label>
        <label class="field">${t('bd.rating')}
          <select name="rating" data-testid="bm-rating">
            <option value="">${t('all')}</option>
            ${RATINGS.map((k) => html`<option value="${k}" ${k === f.rating ? raw('selected') : ''}>${label('rating', k)}</option>`)}
          </select></label>
        <label class="field">${t('search')}
          <input type="search" name="q" value="${f.q}" placeholder="${t('tbl.filter')}" data-testid="bm-filter"></label>
        <div class="field grow"><span>&nbsp;</span><span class="downloads">
          <a class="btn-dl" data-testid="bm-csv" href="${apiUrl('/benchmarking', { ...filters, format: 'csv' })}" download>${t('download.csv')}</a>
          <a class="btn-dl" data-testid="bm-xlsx" href="${apiUrl('/benchmarking', { ...filters, format: 'xlsx', lang: lang() })}" download>${t('download.xlsx')}</a>
          <a class="btn-dl" data-testid="bm-disclosure-xlsx" href="${apiUrl('/benchmarking/disclosure.xlsx', params)}" download>${t('bd.disclosureXlsx')}</a>
          <a class="btn-dl" data-testid="bm-disclosure-pdf" href="${apiUrl('/benchmarking/disclosure.pdf', params)}" download>${t('bd.disclosurePdf')}</a>
        </span></div>
      </form>
      <p class="muted small" data-testid="bm-count" data-total="${data.total}">${t('bd.count', { n: num(data.total, 0) })}</p>
      <div class="table-wrap"><table class="data data-wrap" data-server-sort data-testid="bm-table">
        <thead><tr><th class="num" ${serverSortAttrs('rank_in_type', f)}>${t('bd.col.rank')}</th><th ${serverSortAttrs('name', f)}>${t('bd.col.building')}</th>
          <th ${serverSortAttrs('street', f)}>${t('col.street')}</th><th ${serverSortAttrs('building_type', f)}>${t('col.type')}</th>
          <th class="num" ${serverSortAttrs('floor_area_m2', f)}>${t('col.area')}</th>
          <th class="num" ${serverSortAttrs('eui', f)}>${t('bd.col.eui')}</th><th class="num" ${serverSortAttrs('area_percentile_in_type', f)}>${t('bd.col.percentile')}</th>
          <th ${serverSortAttrs('quota_class', f)}>${t('bd.col.class')}</th><th class="num" ${serverSortAttrs('constraint_value', f)}>${t('bd.col.quotaEui')}</th>
          <th class="num">${t('bd.col.limits')}</th><th ${serverSortAttrs('rating', f)}>${t('bd.rating')}</th></tr></thead>
        <tbody data-role="rows"></tbody></table></div>
      <div data-role="pager"></div>
    </section>`);

  const tbody = $('[data-role="rows"]', view);
  const pagerBox = $('[data-role="pager"]', view);
  const showPage = (offset) => {
    setHTML(tbody, rowsMarkup(items.slice(offset, offset + LIMIT)));
    setHTML(pagerBox, pager({ total: items.length, limit: LIMIT, offset }));
  };
  showPage(0);

  const el = $('[data-chart="eui"]', view);
  const note = $('[data-role="chart-note"]', view);
  let mode = 'quota';
  const c = chart(el, euiOption(items, mode));
  const drawNote = () => {
    const left = mode === 'quota' ? items.filter((r) => !isNum(r.eui)).length : 0;
    note.textContent = left ? t('bd.notCharted', { n: num(left, 0) }) : '';
  };
  drawNote();
  if (c) c.on('click', (p) => { if (p.data && p.data.id) location.hash = `#/entities/${encodeURIComponent(p.data.id)}`; });

  const off = [
    bindVerify(view, toVerify, () => window.dispatchEvent(new HashChangeEvent('hashchange'))),
    on(view, 'change', 'select[data-role="year"]', (_, s) => setQuery({ year: s.value })),
    on(view, 'change', 'form[data-role="filters"] select', (_, s) => setQuery({ [s.name]: s.value })),
    on(view, 'change', 'form[data-role="filters"] input[name="q"]', (_, i) => setQuery({ q: i.value.trim() })),
    on(view, 'submit', 'form[data-role="filters"]', (ev) => ev.preventDefault()),
    on(view, 'table-sort', 'table[data-server-sort]', (ev) => setQuery({ sort: ev.detail.sort, order: ev.detail.order })),
    on(view, 'click', 'button[data-page]', (_, b) => showPage(Number(b.dataset.page) || 0)),
    on(view, 'click', 'button[data-mode]', (_, b) => {
      if (b.dataset.mode === mode) return;
      mode = b.dataset.mode;
      view.querySelectorAll('button[data-mode]').forEach((x) => x.classList.toggle('on', x === b));
      if (c) c.setOption(euiOption(items, mode), { replaceMerge: ['series', 'xAxis', 'yAxis'] });
      drawNote();
    }),
  ];
  return () => off.forEach((o) => o());
}

