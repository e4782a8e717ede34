// District (or street, or own entities) overview: GET /dashboard/overview?year=
import { get } from '../api.js';
import { axisNum, chart } from '../charts.js';
import { LEVEL_ORDER, WarningLevel } from '../constants.js';
import { $, html, on, setHTML } from '../dom.js';
import { isNum, num, pct } from '../format.js';
import { label, lang, pick, sectorLabel, streetName, t } from '../i18n.js';
import { rememberYears, session } from '../state.js';
import { basisLine, change, figureSpan, kpiCard, levelBadge, loading, numSpan, pageHead, yearSelect } from '../ui.js';

const LEVELS = LEVEL_ORDER;

/** '2024-03' -> '3月' / 'Mar' */
export function monthName(m) {
  const n = Number(String(m).slice(5, 7));
  if (!n) return String(m);
  return lang() === 'zh' ? `${n}月`
    : new Date(2000, n - 1, 1).toLocaleString('en', { month: 'short' });
}

/** Rows [{month, <key>, <value>}] -> {months, series: [{name, data}]} for a stacked bar. */
export function pivot(rows, keyField, valueField, nameOf, monthsHint = []) {
  const months = [...new Set([...monthsHint, ...rows.map((r) => r.month)])].sort();
  const keys = [...new Set(rows.map((r) => r[keyField]))];
  const totals = new Map(keys.map((k) => [k, 0]));
  const cell = new Map();
  for (const r of rows) {
    const v = isNum(r[valueField]) ? r[valueField] : 0;
    cell.set(`${r[keyField]}|${r.month}`, (cell.get(`${r[keyField]}|${r.month}`) || 0) + v);
    totals.set(r[keyField], totals.get(r[keyField]) + v);
  }
  keys.sort((a, b) => totals.get(b) - totals.get(a));
  return {
    months,
    series: keys.map((k) => ({
      name: nameOf(k), type: 'bar', stack: 'total', emphasis: { focus: 'series' },
      data: months.map((m) => {
        const v = cell.get(`${k}|${m}`);
        return v === undefined ? null : v;
      }),
    })),
  };
}

export function stackedOption(p) {
  return {
    legend: { type: 'scroll', top: 0 },
    grid: { left: 10, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: p.months.map(monthName) },
    yAxis: { type: 'value', axisLabel: axisNum },
    series: p.series,
  };
}

/** 'tce/10^4 CNY' -> 'tce/万元' (Chinese) or 'tce/10⁴ CNY'. */
export function unitText(u) {
  if (!u) return '';
  return lang() === 'zh' ? u.replace(/10\^4 ?CNY/, '万元') : u.replace('10^4', '10⁴');
}

function title(scope) {
  if (!scope || scope.type === 'district') return t('ov.title');
  if (scope.type === 'street') return t('ov.titleStreet', { name: streetName(scope) });
  return t('ov.titleEntities');
}

function intensityOption(it) {
  const years = it.series.map((r) => String(r.year));
  const digits = 4;
  return {
    legend: { top: 0 },
    grid: { left: 10, right: 16, top: 36, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', valueFormatter: (v) => num(v, digits) },
    xAxis: { type: 'category', data: years },
    yAxis: { type: 'value', scale: true, name: unitText(it.unit), axisLabel: { formatter: (v) => num(v, digits) } },
    series: [
      { name: t('ov.intensityValue'), type: 'line', symbolSize: 8, data: it.series.map((r) => r.value),
        lineStyle: { width: 3 } },
      { name: t('ov.intensityTarget'), type: 'line', symbol: 'none', data: it.series.map((r) => r.path),
        lineStyle: { type: 'dashed', width: 2 }, connectNulls: true },
    ],
  };
}

/** The year's published figures of the district (the figure catalogue), each with its basis
 * and as-of: the metered account and the statistics side by side, never one for the other. */
function catalogueTable(m) {
  const rows = (m.items || []).filter((f) => f.subject_type === 'district');
  if (!rows.length) return '';
  return html`<section class="card" data-testid="figure-catalogue"><h2>${t('fig.title', { year: m.year })}</h2>
    <div class="table-wrap"><table class="data"><thead><tr><th>${t('fig.name')}</th>
      <th class="num">${t('fig.value')}</th><th>${t('fig.unit')}</th><th>${t('fig.basis')}</th><th>${t('fig.period')}</th></tr></thead><tbody>
      ${rows.map((f) => html`<tr data-code="${f.code}"><td>${pick(f, 'name')}</td><td class="num">${figureSpan(f)}</td>
        <td class="unit">${['count', 'year', '%', 'ratio', 'points'].includes(f.unit) ? '' : unitText(f.unit)}</td>
        <td class="small">${pick(f, 'label')}</td><td class="small">${f.period}</td></tr>`)}
    </tbody></table></div></section>`;
}

export async function render(view, { query, setQuery, isCurrent }) {
  setHTML(view, loading());
  const year = query.year || '';
  const d = await get('/dashboard/overview', { year });
  if (!isCurrent()) return undefined;
  // the year's published figures (the figure catalogue), for the table at the end
  const m = d.year ? await get('/metrics', { year: d.year }) : { items: [] };
  if (!isCurrent()) return undefined;
  const fig = d.figures || {};
  rememberYears(d.years);
  const e = d.energy || {};
  const c = d.co2 || {};
  const it = d.intensity;
  const cov = d.coverage || {};
  const ku = d.key_units || { count: 0, top: [] };
  const w = d.warnings || { counts: {}, top: [] };
  const counts = w.counts || {};
  const lastYear = d.year ? d.year - 1 : '';
  const nMonths = (d.months || []).length;
  const covValue = isNum(cov.interval_completeness) ? cov.interval_completeness : cov.coverage;
  const lastSub = (lastVal, chg, testid) => html`
    <span>${t('ov.lastYear', { y: lastYear })}${nMonths && nMonths < 12 ? html` (1–${nMonths}${lang() === 'zh' ? '月' : ''})` : ''}:
      ${numSpan(lastVal, { testid })}</span>
    <span>${t('ov.change')} ${change(null, null, { pctValue: isNum(chg) ? chg * 100 : null })}</span>`;

  setHTML(view, html`
    ${pageHead(title(d.scope), html`${yearSelect(d.years, d.year)}`)}
    ${(d.notes || []).length ? html`<div class="note">${d.notes.join('；')}</div>` : ''}
    <section class="grid grid-kpi">
      ${kpiCard({ title: t('ov.energy'), value: e.tce_equal, unitKey: 'tce', testid: 'kpi-energy',
        sub: lastSub(e.tce_equal_last, e.change, 'kpi-energy-last'), figure: fig['energy.metered'] })}
      ${kpiCard({ title: t('ov.co2'), value: c.tco2, unitKey: 'tco2', testid: 'kpi-co2',
        sub: lastSub(c.tco2_last, c.change, 'kpi-co2-last'), figure: fig['co2.metered'] })}
      ${it ? html`<div class="kpi card">
        <div class="kpi-label">${pick(it, 'name') || t('ov.intensity')} (${it.year})</div>
        <div class="kpi-value">${fig['intensity.energy_per_gdp'] ? figureSpan(fig['intensity.energy_per_gdp'], 'kpi-intensity') : numSpan(it.value, { testid: 'kpi-intensity', digits: 4 })} <span class="unit">${unitText(it.unit)}</span></div>
        <div class="kpi-sub"><span>${t('ov.intensityTarget')}: ${num(it.path_value, 4)}</span>
          ${it.target ? html`<span>${it.target.code}</span>` : ''}
          ${isNum(it.change_vs_baseline_pct) ? html`<span>${it.baseline_year}: ${pct(it.change_vs_baseline_pct, { signed: true })}</span>` : ''}</div>
        ${basisLine(fig['intensity.energy_per_gdp'])}
      </div>` : ''}
      <div class="kpi card">
        <div class="kpi-label">${t('ov.coverage')}</div>
        <div class="kpi-value">${fig['coverage.intervals'] ? figureSpan(fig['coverage.intervals'], 'kpi-coverage') : html`<span data-testid="kpi-coverage" data-value="${isNum(covValue) ? covValue : ''}">${pct(covValue, { ratio: true })}</span>`}</div>
        <div class="kpi-sub"><span>${t('ov.coverageSub')}</span>
          <span>${num(cov.entities_with_data, 0)} / ${num(cov.entities, 0)} ${t('col.entities')}</span></div>
        <div class="bar"><span style="width:${isNum(covValue) ? Math.min(100, covValue * 100) : 0}%"></span></div>
        ${basisLine(fig['coverage.intervals'])}
      </div>
      <div class="kpi card">
        <div class="kpi-label">${t('ov.warningsCount')}</div>
        <div class="warn-counts">
          ${LEVELS.filter((l) => l === WarningLevel.RED || l === WarningLevel.YELLOW || counts[l]).map((l) => html`
            <a class="warn-count level-${l}" href="#/warnings?level=${l}${d.year ? `&year=${d.year}` : ''}">
              <strong data-testid="warnings-${l}" data-value="${counts[l] || 0}">${num(counts[l] || 0, 0)}</strong>
              <span class="small">${label('level', l)}</span></a>`)}
        </div>
      </div>
      <div class="kpi card">
        <div class="kpi-label">${t('ov.keyUnitsCount')}</div>
        <div class="kpi-value"><a href="#/key-units${d.year ? `?year=${d.year}` : ''}">${fig['key_units.count'] ? figureSpan(fig['key_units.count'], 'key-units-count') : numSpan(ku.count, { testid: 'key-units-count', digits: 0 })}</a></div>
        <div class="kpi-sub">${d.year || ''}</div>
        ${basisLine(fig['key_units.count'])}
      </div>
    </section>
    <section class="grid grid-2">
      ${it && Array.isArray(it.series) && it.series.length ? html`<div class="card"><h2>${t('ov.intensityChart')}</h2>
        <div class="chart" data-chart="intensity" data-testid="chart-intensity"></div></div>` : ''}
      <div class="card"><h2>${t('ov.byCarrier')}</h2><div class="chart" data-chart="carrier" data-testid="chart-carrier"></div></div>
      <div class="card"><h2>${t('ov.bySector')}</h2><div class="chart" data-chart="sector" data-testid="chart-sector"></div></div>
      ${d.scope && d.scope.type === 'entities' && session.user ? html`<div class="card"><h2>${t('ov.myEntities')}</h2>
        <ul class="rank-list" data-testid="my-entities">${(session.user.entities || []).map((id) => html`<li>
          <a href="#/entities/${encodeURIComponent(id)}${d.year ? `?year=${d.year}` : ''}">${id}</a></li>`)}</ul></div>` : ''}
      <div class="card"><h2>${t('ov.keyUnits')}</h2>
        ${ku.top && ku.top.length ? html`<ol class="rank-list" data-testid="key-units-top">
          ${ku.top.map((k, i) => html`<li><span><span class="idx">${i + 1}</span>
            <a href="#/entities/${encodeURIComponent(k.entity_id)}">${k.name || k.entity_id}</a>
            ${k.warning_level ? levelBadge(k.warning_level) : ''}</span>
            <span class="num">${num(k.tco2)} <span class="unit">tCO2</span> · ${num(k.tce_equal)} <span class="unit">tce</span></span></li>`)}
        </ol>` : html`<p class="muted">${t('app.noData')}</p>`}
      </div>
    </section>
    ${w.top && w.top.length ? html`<section class="card"><h2>${t('ov.warnings')}</h2>
      <div class="table-wrap"><table class="data"><thead><tr><th>${t('col.level')}</th>
        <th>${t('col.scope')}</th><th>${t('col.reason')}</th></tr></thead><tbody>
        ${w.top.map((x) => html`<tr><td>${levelBadge(x.level)}</td>
          <td>${x.scope_type === 'entity' ? html`<a href="#/entities/${encodeURIComponent(x.scope_id)}">${x.name || x.scope_id}</a>` : (x.name || x.scope_id)}</td>
          <td class="reason">${pick(x, 'reason')}</td></tr>`)}
      </tbody></table></div></section>` : ''}
    ${catalogueTable(m)}`);

  if (it && Array.isArray(it.series) && it.series.length) chart($('[data-chart="intensity"]', view), intensityOption(it));
  const carriers = pivot(d.monthly_by_carrier || [], 'carrier', 'tce_equal', (k) => label('carrier', k), d.months);
  chart($('[data-chart="carrier"]', view), stackedOption(carriers));
  const sectors = pivot(d.monthly_by_sector || [], 'sector', 'tce_equal', sectorLabel, d.months);
  chart($('[data-chart="sector"]', view), stackedOption(sectors));

  const off = on(view, 'change', 'select[data-role="year"]', (_, el) => setQuery({ year: el.value }));
  return off;
}
