// Public buildings, the programme tabs:
// - retrofits: GET /retrofits/progress?year= (plan progress), /retrofits (projects with their
//   latest measured savings), /retrofits/{code} (one project: monthly baseline vs actual);
// - audits: GET /audits/schedule (5-year audit schedule), /audits (records),
//   /obligations?year= (key units' checklist);
// - commissioning: GET /commissioning?year= (candidates), /commissioning/{entity_id}?year=
//   (the evidence series, ECharts-ready).
// Each section loads on its own: one that fails shows its error and the others still show.
import { ApiError, get } from '../api.js';
import { chart } from '../charts.js';
import { Role } from '../constants.js';
import { $, html, on, setHTML } from '../dom.js';
import { isNum, num, pct } from '../format.js';
import { label, lang, pick, t } from '../i18n.js';
import { rememberYears, session } from '../state.js';
import { basisLine, errorMarkup, figureSpan, hashFor, loading, pageHead, yearSelect } from '../ui.js';
import { allRows, tabs } from './buildings.js';
import { bindVerify, verifyBox } from '../verify.js';

const isAdmin = () => session.user && session.user.role === Role.DISTRICT_ADMIN;
/** The unverified rules an admin may verify here: `<district>/<section>.<key>` targets. */
const ruleTargets = (entries, section) => (isAdmin() ? Object.entries(entries || {})
  .filter(([, e]) => e && e.status === 'unverified')
  .map(([k, e]) => ({ target: `${session.user.district}/${section}.${k}`, text: `${k} = ${JSON.stringify(e.value)}` })) : []);
const cmTargets = () => (isAdmin() ? [{ target: `${session.user.district}/commissioning.thresholds`, text: t('verify.cmThresholds') }] : []);

function entityLink(id, name) {
  if (!id) return html`<span class="muted">—</span>`;
  return html`<a href="#/entities/${encodeURIComponent(id)}">${name || id}</a>`;
}

function badge(cls, value, text) {
  return html`<span class="badge ${cls}-${value}" data-status="${value}">${text}</span>`;
}

/** A section's box: its title, then what `fill` draws; an error stays inside the box. */
async function section(box, title, fill) {
  setHTML(box, html`<h2>${title}</h2>${loading()}`);
  try {
    await fill((markup) => setHTML(box, html`<h2>${title}</h2>${markup}`));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw err;
    setHTML(box, html`<h2>${title}</h2>${errorMarkup(err)}`);
  }
}

async function years() {
  if (!session.years.length) {
    try { rememberYears((await get('/key-units', { limit: 1 })).years); } catch { /* none yet */ }
  }
  return session.years;
}

/** The page: title with the year, the tabs, an introduction and `n` section boxes. */
function layout(view, active, intro, year, n) {
  setHTML(view, html`
    ${pageHead(t('bd.title'), yearSelect(session.years, year))}
    ${tabs(active)}
    ${intro ? html`<p class="scope-note">${intro}</p>` : ''}
    ${Array.from({ length: n }, (_, i) => html`<section class="card section-box" data-box="${i}"></section>`)}`);
  return Array.from({ length: n }, (_, i) => $(`[data-box="${i}"]`, view));
}

// -- retrofits ---------------------------------------------------------------------------------
function progressTile(title, value, unitText, target, pctValue, testid, annual = false) {
  const w = isNum(pctValue) ? Math.max(0, Math.min(100, pctValue)) : 0;
  const tv = target ? `${num(target.target_value, 0)} ${annual ? '' : unitText}`.trim() : '';
  return html`<div class="kpi card">
    <div class="kpi-label">${title}</div>
    <div class="kpi-value"><span data-testid="${testid}" data-value="${isNum(value) ? value : ''}">${num(value, 0)}</span>
      <span class="unit">${unitText}</span></div>
    <div class="kpi-sub">${target ? (annual ? t('rf.targetAnnual', { v: target.unit ? `${num(target.target_value, 0)} ${target.unit}` : tv })
      : t('rf.target', { v: tv, y: target.target_year || '—' })) : t('rf.noTarget')}
      ${isNum(pctValue) ? html` · <b>${pct(pctValue)}</b>` : ''}
      ${target && target.code ? html` · <span class="muted">${target.code}</span>` : ''}</div>
    ${isNum(pctValue) ? html`<div class="bar"><span style="width:${w}%"></span></div>` : ''}
  </div>`;
}

function progressMarkup(p) {
  return html`<p class="muted small">${t('rf.progressNote', { y: p.year, s: p.plan_start })}</p>
    <div class="grid grid-kpi">
      ${progressTile(t('rf.area'), p.retrofit_area_m2, 'm²', p.retrofit_target, p.retrofit_progress_pct, 'rf-area')}
      ${progressTile(t('rf.saving15'), p.saving15_area_m2, 'm²', p.saving15_target, p.saving15_progress_pct, 'rf-saving15')}
      ${progressTile(t('rf.commissioning'), p.commissioning_this_year, '', p.commissioning_target,
        p.commissioning_target && p.commissioning_target.target_value ? (100 * p.commissioning_this_year) / p.commissioning_target.target_value : null,
        'rf-commissioning', true)}
    </div>
    <p class="muted small">${t('rf.rest', { a: num(p.saving15_fails_g14_area_m2, 0), b: num(p.below15_area_m2, 0), c: num(p.not_measured_area_m2, 0) })}</p>`;
}

function g14(r) {
  if (r.mv_meets_g14 === null || r.mv_meets_g14 === undefined) return html`<span class="muted">${t('rf.notMeasured')}</span>`;
  return r.mv_meets_g14 ? badge('g14', 'yes', t('rf.g14yes')) : badge('g14', 'no', t('rf.g14no'));
}

function projectsMarkup(items, year, code) {
  if (!items.length) return html`<p class="muted" data-testid="rf-count" data-total="0">${t('app.noData')}</p>`;
  return html`<p class="muted small" data-testid="rf-count" data-total="${items.length}">${t('rf.count', { n: num(items.length, 0) })}</p>
    <div class="table-wrap"><table class="data data-wrap" data-testid="rf-table">
    <thead><tr><th>${t('rf.col.project')}</th><th>${t('bd.col.building')}</th><th>${t('rf.col.kind')}</th>
      <th>${t('col.status')}</th><th>${t('rf.col.period')}</th><th class="num">${t('col.area')}</th>
      <th class="num">${t('rf.col.claimed')}</th><th class="num">${t('rf.col.savings')}</th>
      <th class="num">${t('rf.col.fraction')}</th><th>${t('rf.col.g14')}</th><th>${t('rf.col.s15')}</th><th></th></tr></thead>
    <tbody>${items.map((r) => html`<tr data-code="${r.code}" data-entity-id="${r.entity_id}" class="${r.code === code ? 'row-selected' : ''}">
      <td class="name-cell">${r.name}<div class="muted small">${r.code}</div></td>
      <td class="name-cell">${entityLink(r.entity_id, r.entity_name)}<div class="muted small">${r.street || ''}</div></td>
      <td class="nowrap">${label('kindp', r.kind)}</td>
      <td>${badge('pstatus', r.status, label('pstatus', r.status))}</td>
      <td class="nowrap small">${r.start_date} – ${r.end_date || '…'}</td>
      <td class="num">${num(r.floor_area_m2, 0)}</td>
      <td class="num">${pct(r.claimed_savings_fraction, { ratio: true })}</td>
      <td class="num" data-value="${isNum(r.mv_savings_kwh) ? r.mv_savings_kwh : ''}">${num(r.mv_savings_kwh, 0)}</td>
      <td class="num">${isNum(r.mv_fractional_savings) ? html`${pct(r.mv_fractional_savings, { ratio: true })}
        <span class="muted small">± ${pct(r.mv_fsu_68, { ratio: true })}</span>` : '—'}
        ${r.mv_id && !r.mv_current ? html`<div class="small warn-text" title="${t('rf.stale')}">⚠ ${t('rf.stale')}</div>` : ''}</td>
      <td>${g14(r)}</td>
      <td>${r.mv_saving15 === null || r.mv_saving15 === undefined ? html`<span class="muted">—</span>` : r.mv_saving15 ? t('rf.yes') : t('rf.no')}</td>
      <td><a href="${hashFor('/buildings/retrofits', { year, code: r.code })}" data-testid="rf-open">${t('gen.open')}</a></td>
    </tr>`)}</tbody></table></div>`;
}

function monthlyOption(monthly) {
  const months = monthly.map((m) => m.month);
  const reporting = monthly.filter((m) => m.period === 'reporting').map((m) => m.month);
  return {
    legend: { top: 0 },
    xAxis: { type: 'category', data: months },
    yAxis: { type: 'value', name: 'kWh', axisLabel: { formatter: (v) => num(v, 0) } },
    series: [
      { name: t('rf.actual'), type: 'bar', data: monthly.map((m) => m.actual_kwh), itemStyle: { color: '#3c8dbc' },
        markArea: reporting.length ? { silent: true, itemStyle: { color: 'rgba(31, 122, 99, .07)' },
          label: { show: true, position: 'insideTop', color: '#1f7a63' },
          data: [[{ name: t('rf.reporting'), xAxis: reporting[0] }, { xAxis: reporting[reporting.length - 1] }]] } : undefined },
      { name: t('rf.baseline'), type: 'line', data: monthly.map((m) => m.baseline_kwh), itemStyle: { color: '#c8553d' },
        symbol: 'circle', symbolSize: 5 },
    ],
  };
}

function projectMarkup(d) {
  const latest = (d.mv_results || [])[0];
  const reasons = latest && latest.result ? (latest.result.reasons || []) : [];
  return html`<dl class="facts" data-testid="rf-detail">
      <div><dt>${t('rf.col.project')}</dt><dd>${d.name}</dd></div>
      <div><dt>${t('bd.col.building')}</dt><dd>${entityLink(d.entity_id, d.entity_name)}</dd></div>
      <div><dt>${t('rf.col.period')}</dt><dd class="small">${d.start_date} – ${d.end_date || '…'}</dd></div>
      <div><dt>${t('rf.model')}</dt><dd class="small" title="${d.mv_model_type || ''}">${d.mv_model_type ? label('mvModel', d.mv_model_type) : '—'}</dd></div>
      <div><dt>${t('rf.reportingPeriod')}</dt><dd class="small">${d.mv_reporting_start ? `${d.mv_reporting_start} – ${d.mv_reporting_end || ''}` : '—'}</dd></div>
      <div><dt>${t('rf.savings')}</dt><dd><span data-testid="rf-detail-savings" data-value="${isNum(d.mv_savings_kwh) ? d.mv_savings_kwh : ''}">${num(d.mv_savings_kwh, 0)}</span> <span class="unit">kWh</span>
        ${isNum(d.mv_fractional_savings) ? html` (${pct(d.mv_fractional_savings, { ratio: true })})` : ''}</dd></div>
      <div><dt>${t('rf.fsu')}</dt><dd>${pct(d.mv_fsu_68, { ratio: true })}</dd></div>
      <div><dt>CV(RMSE) / NMBE</dt><dd>${pct(d.mv_cv_rmse, { ratio: true })} / ${pct(d.mv_nmbe, { ratio: true, digits: 2 })}</dd></div>
      <div><dt>${t('rf.col.g14')}</dt><dd>${g14(d)}</dd></div>
    </dl>
    ${(d.measures || []).length ? html`<p class="small"><b>${t('rf.measures')}${t('colon')}</b>${d.measures.join('、')}</p>` : ''}
    ${reasons.length ? html`<p class="small warn-text"><b>${t('rf.reason')}${t('colon')}</b>${reasons.map((x) => pick(x, 'message') || x.code).join(lang() === 'zh' ? '；' : '; ')}</p>` : ''}
    ${(d.monthly || []).length ? html`<div class="chart chart-tall" data-chart="monthly" data-testid="chart-rf-monthly"></div>`
      : html`<p class="muted" data-testid="rf-no-monthly">${t('rf.noMonthly')}</p>`}`;
}

export const retrofits = {
  async render(view, { query, setQuery, isCurrent }) {
    setHTML(view, loading());
    await years();
    if (!isCurrent()) return undefined;
    const year = query.year || session.years[0] || new Date().getFullYear();
    const code = query.code || '';
    const [progress, list, one] = layout(view, 'retrofits', t('rf.title'), year, 3);
    await Promise.all([
      section(progress, t('rf.progress'), async (show) => {
        const p = await get('/retrofits/progress', { year });
        if (isCurrent()) show(progressMarkup(p));
      }),
      section(list, t('rf.list'), async (show) => {
        const d = await allRows('/retrofits', {});
        if (isCurrent()) show(projectsMarkup(d.items, year, code));
      }),
      section(one, code ? t('rf.detail', { code }) : t('rf.detailTitle'), async (show) => {
        if (!code) { show(html`<p class="muted">${t('rf.detailHint')}</p>`); return; }
        const d = await get(`/retrofits/${encodeURIComponent(code)}`);
        if (!isCurrent()) return;
        show(projectMarkup(d));
        if ((d.monthly || []).length) chart($('[data-chart="monthly"]', one), monthlyOption(d.monthly));
      }),
    ]);
    return on(view, 'change', 'select[data-role="year"]', (_, s) => setQuery({ year: s.value }));
  },
};

// -- audits ------------------------------------------------------------------------------------
const SCHEDULE = ['overdue', 'never_audited', 'due_this_year', 'ok'];

function scheduleMarkup(d, m = { items: [] }) {
  const sm = d.summary || {};
  // the year-end counts are the figure catalogue's (the white paper's too)
  const fig = Object.fromEntries((m.items || []).filter((f) => f.code.startsWith('audits.')).map((f) => [f.code, f]));
  const counts = sm.counts || {};
  const rule = d.rule || {};
  const left = sm.left_out || {};
  const statuses = rule.statuses || [];
  return html`<p class="muted small">${t('au.rule', {
      a: num(rule.min_floor_area_m2, 0), n: rule.interval_years, d: d.as_of,
      s: statuses.map((s) => label('quota', s)).join('/') || '—' })}</p>
    ${statuses.includes('unverified') ? html`<div class="note" data-testid="au-rule-unverified">${t('au.unverified')}
      ${verifyBox('rule', ruleTargets(rule.entries, 'buildings'))}</div>` : ''}
    <div class="warn-counts rating-counts">
      ${SCHEDULE.map((k) => html`<div class="warn-count sched-${k}" data-testid="au-count-${k}" data-value="${counts[k] || 0}">
        <strong>${num(counts[k] || 0, 0)}</strong><span class="small">${label('sched', k)}</span></div>`)}
      <div class="warn-count"><strong>${fig['audits.coverage'] ? figureSpan(fig['audits.coverage'], 'au-coverage') : html`<span data-testid="au-coverage" data-value="${isNum(sm.coverage) ? sm.coverage : ''}">${pct(sm.coverage, { ratio: true })}</span>`}</strong>
        <span class="small">${t('au.coverage')}</span></div>
    </div>
    ${fig['audits.in_cycle'] ? html`<p class="small" data-testid="au-figures">${pick(fig['audits.in_cycle'], 'name')} ${figureSpan(fig['audits.in_cycle'])} / ${figureSpan(fig['audits.covered'])} ·
      ${pick(fig['audits.overdue'], 'name')} ${figureSpan(fig['audits.overdue'])} · ${pick(fig['audits.never'], 'name')} ${figureSpan(fig['audits.never'])}</p>
      ${basisLine(fig['audits.in_cycle'])}` : ''}
    <p class="muted small">${t('au.leftOut', { a: num(left.below_threshold || 0, 0), b: num(left.type_not_counted || 0, 0), c: num((left.no_floor_area || []).length, 0) })}</p>
    <div class="table-wrap"><table class="data" data-testid="au-schedule-table" data-total="${d.total}">
      <thead><tr><th>${t('bd.col.building')}</th><th>${t('col.street')}</th><th>${t('col.type')}</th>
        <th class="num">${t('col.area')}</th><th class="num">${t('au.col.n')}</th><th>${t('au.col.last')}</th>
        <th>${t('au.col.next')}</th><th>${t('col.status')}</th><th class="num">${t('au.col.days')}</th></tr></thead>
      <tbody>${d.items.length ? d.items.map((r) => html`<tr data-entity-id="${r.entity_id}" data-status="${r.status}">
        <td class="name-cell">${entityLink(r.entity_id, r.name)}<div class="muted small">${r.entity_id}${r.is_key_unit ? html` · ${t('en.keyUnit')}` : ''}</div></td>
        <td class="nowrap">${r.street || '—'}</td><td class="nowrap">${label('btype', r.building_type || 'other')}</td>
        <td class="num">${num(r.floor_area_m2, 0)}</td><td class="num">${num(r.n_audits, 0)}</td>
        <td class="nowrap">${r.last_audit_date || '—'}${r.last_audit_kind ? html`<div class="muted small">${label('auk', r.last_audit_kind)}</div>` : ''}</td>
        <td class="nowrap">${r.next_due}</td>
        <td>${badge('sched', r.status, pick(r, 'status') || label('sched', r.status))}</td>
        <td class="num">${r.days_overdue ? num(r.days_overdue, 0) : '—'}</td></tr>`)
        : html`<tr><td colspan="9" class="muted">${t('app.noData')}</td></tr>`}</tbody></table></div>`;
}

function auditsMarkup(d) {
  return html`<div class="table-wrap"><table class="data" data-testid="au-table" data-total="${d.total}">
    <thead><tr><th>${t('au.col.date')}</th><th>${t('bd.col.building')}</th><th>${t('au.col.kind')}</th>
      <th>${t('au.col.auditor')}</th><th>${t('au.col.findings')}</th><th>${t('au.col.measures')}</th>
      <th class="num">${t('au.col.savings')}</th></tr></thead>
    <tbody>${d.items.length ? d.items.map((r) => html`<tr data-entity-id="${r.entity_id}">
      <td class="nowrap">${r.audit_date}</td>
      <td class="name-cell">${entityLink(r.entity_id, r.name)}<div class="muted small">${r.street || ''}</div></td>
      <td class="nowrap">${label('auk', r.kind)}</td>
      <td>${r.auditor}${r.report_ref ? html`<div class="muted small">${r.report_ref}</div>` : ''}</td>
      <td class="reason small">${r.findings || '—'}</td>
      <td class="small">${(r.recommended_measures || []).join('；') || '—'}</td>
      <td class="num">${num(r.estimated_savings_tce)}</td></tr>`)
      : html`<tr><td colspan="7" class="muted">${t('app.noData')}</td></tr>`}</tbody></table></div>`;
}

function obligationsMarkup(d) {
  const sm = d.summary || {};
  return html`<p class="muted small">${t('au.units', { y: d.year, n: num(sm.n_units ?? d.total, 0), p: num(sm.units_with_problems ?? 0, 0), d: d.as_of })}</p>
    <div class="table-wrap"><table class="data" data-testid="au-obligations-table" data-total="${d.total}">
    <thead><tr><th>${t('au.col.unit')}</th><th>${t('col.street')}</th><th>${t('au.col.worst')}</th><th>${t('au.col.items')}</th></tr></thead>
    <tbody>${d.items.length ? d.items.map((u) => html`<tr data-entity-id="${u.entity_id}" data-status="${u.worst}">
      <td class="name-cell">${entityLink(u.entity_id, u.name)}<div class="muted small">${u.entity_id}</div></td>
      <td class="nowrap">${u.street || '—'}</td>
      <td>${badge('check', u.worst, label('check', u.worst))}</td>
      <td class="checklist">${(u.items || []).map((it) => html`<span class="badge check-${it.status}" data-code="${it.code}"
        data-status="${it.status}" title="${pick(it, 'evidence') || it.evidence || ''}">${pick(it, 'label')}${t('colon')}${pick(it, 'status') || label('check', it.status)}</span> `)}</td></tr>`)
      : html`<tr><td colspan="4" class="muted">${t('app.noData')}</td></tr>`}</tbody></table></div>`;
}

export const audits = {
  async render(view, { query, setQuery, isCurrent }) {
    setHTML(view, loading());
    await years();
    if (!isCurrent()) return undefined;
    const year = query.year || session.years[0] || new Date().getFullYear();
    const [schedule, list, checklist] = layout(view, 'audits', '', year, 3);
    // programme counts are as of the end of the chosen year, unless the user asks for today
    const today = query.as_of === 'today';
    const asOf = today ? '' : `${year}-12-31`;
    await Promise.all([
      section(schedule, t('au.schedule'), async (show) => {
        const [d, m] = await Promise.all([allRows('/audits/schedule', asOf ? { as_of: asOf } : {}),
          today ? Promise.resolve({ items: [] }) : get('/metrics', { year })]);
        if (isCurrent()) show(html`${scheduleMarkup(d, m)}<p class="small"><a data-testid="au-as-of-toggle" href="${hashFor('/buildings/audits', { year, as_of: today ? '' : 'today' })}">${today ? t('au.asOfYearEnd', { y: year }) : t('au.asOfToday')}</a></p>`);
      }),
      section(list, t('au.audits'), async (show) => {
        const d = await allRows('/audits', {});
        if (isCurrent()) show(auditsMarkup(d));
      }),
      section(checklist, t('au.obligations'), async (show) => {
        const d = await allRows('/obligations', { year });
        if (isCurrent()) show(obligationsMarkup(d));
      }),
    ]);
    const offs = [on(view, 'change', 'select[data-role="year"]', (_, s) => setQuery({ year: s.value })),
      bindVerify(view, null, () => window.dispatchEvent(new HashChangeEvent('hashchange')))];
    return () => offs.forEach((o) => o());
  },
};

// -- commissioning -----------------------------------------------------------------------------
function findingsList(r) {
  const f = r.findings || [];
  const c = r.caveats || [];
  if (!f.length && !c.length) return html`<span class="muted">—</span>`;
  return html`${f.map((x) => html`<div class="small">• ${pick(x, 'message') || x.code}</div>`)}
    ${c.map((x) => html`<div class="small muted">${t('cm.caveat')}${x[lang()] || x.zh || ''}</div>`)}`;
}

function candidateRows(items, year, entity) {
  return items.map((r, i) => html`<tr data-entity-id="${r.entity_id}" class="${r.entity_id === entity ? 'row-selected' : ''}">
        <td class="num">${num(i + 1, 0)}</td>
        <td class="name-cell">${entityLink(r.entity_id, r.name)}<div class="muted small">${pick(r, 'street_name') || ''}</div></td>
        <td class="nowrap">${label('btype', r.building_type || 'other')}</td>
        <td class="num" data-value="${isNum(r.avoidable_kwh) ? r.avoidable_kwh : ''}">${num(r.avoidable_kwh, 0)}</td>
        <td class="num">${num(r.avoidable_kwh_per_m2, 1)}</td>
        <td class="num">${pct(r.base_load_ratio, { ratio: true, digits: 0 })}</td>
        <td class="num">${pct(r.weekend_ratio, { ratio: true, digits: 0 })}</td>
        <td class="num">${num(r.load_factor, 2)}</td>
        <td class="reason">${findingsList(r)}</td>
        <td class="nowrap"><a href="${hashFor('/buildings/commissioning', { year, entity: r.entity_id })}" data-testid="cm-open">${t('cm.evidence')}</a></td></tr>`);
}

function candidatesHead() {
  return html`<thead><tr><th class="num">${t('cm.col.rank')}</th><th>${t('bd.col.building')}</th><th>${t('col.type')}</th>
        <th class="num">${t('cm.col.avoidable')}</th><th class="num">${t('cm.col.perM2')}</th>
        <th class="num">${t('cm.col.base')}</th><th class="num">${t('cm.col.weekend')}</th><th class="num">${t('cm.col.lf')}</th>
        <th>${t('cm.col.findings')}</th><th></th></tr></thead>`;
}

function candidatesMarkup(d, year, entity, m = { items: [] }) {
  const without = d.without_data || [];
  // a building whose type runs around the clock (or every day) is not a candidate: listed apart
  const candidates = d.items.filter((r) => !(r.caveats || []).length);
  const normal = d.items.filter((r) => (r.caveats || []).length);
  const fig = (m.items || []).find((f) => f.code === 'commissioning.candidates');
  return html`<p class="muted small" data-testid="cm-count" data-total="${d.total}">${t('cm.count', { y: d.year, n: num(d.total, 0) })}
      · ${t('cm.candidates')} ${fig ? figureSpan(fig, 'cm-candidates') : num(candidates.length, 0)}
      · ${t('cm.thresholds', { s: d.thresholds_source || '—' })}</p>
    ${basisLine(fig)}
    ${String(d.thresholds_source || '').includes('unverified') ? html`<div class="note" data-testid="cm-unverified">${t('cm.unverified')}
      ${verifyBox('rule', cmTargets())}</div>` : ''}
    <div class="table-wrap"><table class="data data-wrap" data-testid="cm-table">
      ${candidatesHead()}
      <tbody>${candidates.length ? candidateRows(candidates, year, entity)
        : html`<tr><td colspan="10" class="muted">${t('app.noData')}</td></tr>`}</tbody></table></div>
    ${normal.length ? html`<h3>${t('cm.normalForType', { n: normal.length })}</h3>
      <div class="table-wrap"><table class="data data-wrap" data-testid="cm-normal-table">${candidatesHead()}
      <tbody>${candidateRows(normal, year, entity)}</tbody></table></div>` : ''}
    ${without.length ? html`<details class="small" data-testid="cm-without"><summary>${t('cm.withoutData', { n: without.length })}</summary>
      <ul>${without.map((w) => html`<li>${entityLink(w.entity_id, w.name)} — ${pick(w, 'reason') || w.reason}</li>`)}</ul></details>` : ''}
    ${(d.notes || []).length ? html`<p class="muted small">${(lang() === 'zh' ? (d.notes_zh || d.notes) : (d.notes_en || d.notes)).join(lang() === 'zh' ? '；' : '; ')}</p>` : ''}`;
}

/** One evidence chart of GET /commissioning/{id} as an ECharts option (x, series with their
 * axis, reference lines and hour bands). */
function evidenceOption(c) {
  const two = c.series.some((s) => s.y_axis === 1);
  const bands = (c.bands || []).map((b) => [
    { name: pick(b, 'name'), xAxis: c.x[b.hours[0]] }, { xAxis: c.x[Math.min(b.hours[1], c.x.length - 1)] }]);
  const series = c.series.map((s, i) => ({
    name: pick(s, 'name'), type: s.type || c.type, yAxisIndex: s.y_axis || 0, data: s.data,
    showSymbol: false, connectNulls: false, barGap: '0%',
    ...(c.id === 'daily' ? { stack: 'day', barCategoryGap: '0%' } : {}),
    ...(i === 0 && (c.lines || []).length ? { markLine: { symbol: 'none', label: { formatter: '{b}: {c}', position: 'insideEndTop' },
      data: c.lines.map((l) => ({ name: pick(l, 'name'), yAxis: Number(l.value.toFixed(1)) })) } } : {}),
    ...(i === 0 && bands.length ? { markArea: { silent: true, itemStyle: { color: 'rgba(60, 141, 188, .08)' },
      label: { position: 'insideTop', color: '#62716d' }, data: bands } } : {}),
  }));
  const axisFmt = { formatter: (v) => num(v, Number.isInteger(v) ? 0 : 2) };
  return {
    legend: { top: 0, type: 'scroll' },
    grid: { left: 56, right: two ? 56 : 20, top: 44, bottom: 40, containLabel: true },
    xAxis: { type: 'category', data: c.x, name: pick(c, 'x_name'), nameLocation: 'middle', nameGap: 28 },
    yAxis: [{ type: 'value', name: pick(c, 'y_name'), axisLabel: axisFmt },
      ...(two ? [{ type: 'value', name: pick(c, 'y2_name'), axisLabel: axisFmt, splitLine: { show: false } }] : [])],
    series,
  };
}

function evidenceMarkup(d) {
  const r = d.item || {};
  return html`<div data-testid="cm-detail" data-entity-id="${d.entity_id}">
    <p class="small">${entityLink(d.entity_id, r.name)} · ${label('btype', r.building_type || 'other')} ·
      ${t('cm.col.avoidable')} <b data-testid="cm-detail-avoidable" data-value="${isNum(r.avoidable_kwh) ? r.avoidable_kwh : ''}">${num(r.avoidable_kwh, 0)}</b></p>
    ${findingsList(r)}
    ${[r.simultaneous, r.cop_status].filter((x) => x && x.status === 'not_measurable')
      .map((x) => html`<div class="small muted">${pick(x, 'reason')}</div>`)}
    <div class="grid grid-2 evidence-charts">
      ${(d.charts || []).map((c) => html`<div><h3>${pick(c, 'title')}</h3>
        <div class="chart" data-chart="${c.id}" data-testid="chart-cm-${c.id}"></div></div>`)}
    </div></div>`;
}

export const commissioning = {
  async render(view, { query, setQuery, isCurrent }) {
    setHTML(view, loading());
    await years();
    if (!isCurrent()) return undefined;
    const year = query.year || '';
    const entity = query.entity || '';
    const [list, one] = layout(view, 'commissioning', t('cm.intro'), year || session.years[0], 2);
    await Promise.all([
      section(list, t('cm.title'), async (show) => {
        const d = await allRows('/commissioning', { year });
        const m = d.year ? await get('/metrics', { year: d.year }) : { items: [] };
        if (isCurrent()) show(candidatesMarkup(d, year || d.year, entity, m));
      }),
      section(one, entity ? t('cm.detail', { id: entity }) : t('cm.evidence'), async (show) => {
        if (!entity) { show(html`<p class="muted">${t('cm.detailHint')}</p>`); return; }
        const d = await get(`/commissioning/${encodeURIComponent(entity)}`, { year });
        if (!isCurrent()) return;
        show(evidenceMarkup(d));
        for (const c of d.charts || []) chart($(`[data-chart="${c.id}"]`, one), evidenceOption(c));
      }),
    ]);
    const offs = [on(view, 'change', 'select[data-role="year"]', (_, s) => setQuery({ year: s.value })),
      bindVerify(view, null, () => window.dispatchEvent(new HashChangeEvent('hashchange')))];
    return () => offs.forEach((o) => o());
  },
};

