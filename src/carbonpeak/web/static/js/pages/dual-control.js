// 双控: GET /dual-control?year= — energy and CO2, totals and intensities (per GDP) against
// 2020; each indicator's series with the path the required yearly rate draws to its target
// (computed server-side) and its status; the value's basis (口径) and as-of from the figure
// catalogue (GET /metrics?year=, by the indicator's `figure` code). Nothing is recomputed here.
import { ApiError, get } from '../api.js';
import { axisNum, chart } from '../charts.js';
import { $, $$, html, setHTML } from '../dom.js';
import { isNum, num, pct } from '../format.js';
import { label, lang, pick, t } from '../i18n.js';
import { dataTable } from '../table.js';
import { basisLine, figureSpan, loading, pageHead, statusBadge } from '../ui.js';

const UNITS = { tce: 'dc.unitTce', tCO2: 'dc.unitTco2', 'tce/10^4 CNY': 'dc.unitTceGdp', 'tCO2/10^4 CNY': 'dc.unitTco2Gdp' };
const unitText = (u) => (UNITS[u] ? t(UNITS[u]) : u);
const name = (ind) => (lang() === 'zh' ? ind.name_zh : ind.name_en);
const digitsOf = (ind, f) => (f ? f.digits : ind.unit.includes('GDP') || ind.unit.includes('CNY') ? 4 : 0);

function card(ind, f, year) {
  const d = digitsOf(ind, f);
  const sameYear = f && ind.latest_year === year;
  return html`<div class="kpi card" data-indicator="${ind.indicator}" data-testid="dc-${ind.indicator}">
    <div class="kpi-label">${name(ind)} <span class="muted small">(${ind.latest_year ?? '—'})</span></div>
    <div class="kpi-value">${sameYear ? figureSpan(f, `dc-value-${ind.indicator}`)
      : html`<span data-testid="dc-value-${ind.indicator}" data-value="${isNum(ind.latest_value) ? ind.latest_value : ''}">${num(ind.latest_value, d)}</span>`}
      <span class="unit">${unitText(ind.unit)}</span></div>
    <div class="kpi-sub">${t('dc.vsBase', { y: ind.baseline_year })}:
      <span data-testid="dc-change-${ind.indicator}" data-value="${isNum(ind.change_vs_baseline_pct) ? ind.change_vs_baseline_pct : ''}">${pct(ind.change_vs_baseline_pct, { signed: true })}</span>
      · ${t('dc.base')} ${num(ind.baseline_value, d)} · ${statusBadge(ind.status, label('status', ind.status))}</div>
    ${sameYear ? basisLine(f) : html`<div class="basis small muted" data-testid="basis-${ind.indicator}">${t('dc.sourceLine', {
      source: pick((ind.series || []).find((s) => s.year === ind.latest_year) || {}, 'source') || '—' })}</div>`}
    <div class="chart" data-chart="${ind.indicator}" data-testid="chart-dc-${ind.indicator}"></div>
  </div>`;
}

function option(ind) {
  const years = new Set((ind.series || []).map((s) => s.year));
  for (const tg of ind.targets || []) for (const p of tg.path || []) years.add(p.year);
  const cats = [...years].sort((a, b) => a - b);
  const at = (rows) => cats.map((y) => { const r = rows.find((x) => x.year === y); return r ? r.value : null; });
  const series = [{ name: t('dc.actual'), type: 'line', data: at(ind.series || []), symbolSize: 6,
    markLine: isNum(ind.baseline_value) ? { symbol: 'none', lineStyle: { type: 'dotted' },
      label: { formatter: t('dc.base'), position: 'insideEndTop' }, data: [{ yAxis: ind.baseline_value }] } : undefined }];
  for (const tg of ind.targets || []) {
    if (!(tg.path || []).length) continue;
    series.push({ name: `${t('dc.path')} ${tg.code} → ${tg.target_year}`, type: 'line',
      lineStyle: { type: 'dashed' }, data: at(tg.path), connectNulls: true, symbolSize: 4 });
  }
  return {
    legend: { top: 0, type: 'scroll' },
    grid: { left: 10, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: cats.map(String) },
    yAxis: { type: 'value', scale: true,
      axisLabel: ind.unit.includes('CNY') ? { formatter: (v) => num(v, 4) } : axisNum },
    tooltip: { trigger: 'axis', valueFormatter: (v) => num(v, ind.unit.includes('CNY') ? 4 : 0) },
    series,
  };
}

export async function render(view, { query, isCurrent }) {
  setHTML(view, loading());
  let d;
  try {
    d = await get('/dual-control', { year: query.year || '' });
  } catch (err) {
    if (!isCurrent()) return undefined;
    if (err instanceof ApiError && err.status === 403) {
      setHTML(view, html`<div class="panel" role="alert" data-testid="dc-forbidden"><h2>${t('dc.title')}</h2><p class="muted">${t('dc.forbidden')}</p></div>`);
      return undefined;
    }
    throw err;
  }
  if (!isCurrent()) return undefined;
  const inds = d.indicators || [];
  const year = d.year || Math.max(0, ...inds.map((i) => i.latest_year || 0)) || null;
  let figs = {};
  if (year) {
    const m = await get('/metrics', { year });
    if (!isCurrent()) return undefined;
    figs = Object.fromEntries((m.items || []).filter((f) => f.subject_type === 'district').map((f) => [f.code, f]));
  }
  const rows = [];
  for (const ind of inds) {
    for (const tg of ind.targets || []) rows.push({ ...tg, ind, kind: 'target' });
    if (ind.budget) rows.push({ ind, kind: 'budget', code: t('dc.budget'), target_year: ind.budget.year,
      target_value: ind.budget.budget, status: ind.budget.status, required_annual_rate: null,
      reason_zh: t('dc.budgetUsed', { p: pct(ind.budget.used_pct) }), reason_en: t('dc.budgetUsed', { p: pct(ind.budget.used_pct) }) });
  }
  setHTML(view, html`
    ${pageHead(t('dc.title'), html`<span class="muted small">${t('dc.asOf', { y: year ?? '—' })}</span>`)}
    <p class="small muted">${t('dc.intro')}</p>
    <section class="grid grid-2" style="margin-bottom:14px">${inds.map((ind) => card(ind, figs[ind.figure], year))}</section>
    <section class="card"><h2>${t('dc.targets')}</h2><div data-table="targets"></div></section>`);
  for (const el of $$('[data-chart]', view)) {
    const ind = inds.find((i) => i.indicator === el.dataset.chart);
    if (ind) chart(el, option(ind));
  }
  const offTable = dataTable($('[data-table="targets"]', view), {
    testid: 'dc-targets', rows,
    rowAttrs: (r) => ({ 'data-indicator': r.ind.indicator, 'data-code': r.code }),
    columns: [
      { key: 'indicator', label: 'col.indicator', filter: 'select', text: (r) => name(r.ind) },
      { key: 'code', label: 'col.code' },
      { key: 'target_year', label: 'dc.targetYear', type: 'num', cell: (r) => html`<span data-value="${r.target_year ?? ''}">${r.target_year ?? '—'}</span>` },
      { key: 'target_value', label: 'col.target', type: 'num',
        cell: (r) => html`<span data-value="${isNum(r.target_value) ? r.target_value : ''}">${isNum(r.target_value) ? num(r.target_value, digitsOf(r.ind, figs[r.ind.figure])) : (r.target_text || '—')}</span> <span class="unit">${isNum(r.target_value) ? unitText(r.ind.unit) : ''}</span>` },
      { key: 'required_annual_rate', label: 'dc.rate', type: 'num',
        cell: (r) => html`<span data-testid="dc-rate" data-value="${isNum(r.required_annual_rate) ? r.required_annual_rate : ''}">${isNum(r.required_annual_rate) ? pct(r.required_annual_rate, { ratio: true, signed: true, digits: 2 }) : '—'}</span>` },
      { key: 'status', label: 'col.status', filter: 'select', text: (r) => label('status', r.status), cell: (r) => statusBadge(r.status, label('status', r.status)) },
      { key: 'reason', label: 'col.reason', cls: 'reason', text: (r) => pick(r, 'reason') },
    ],
  });
  return offTable;
}
