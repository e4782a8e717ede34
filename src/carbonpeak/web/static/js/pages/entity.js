// One entity: GET /dashboard/entities/{id}?year= — monthly energy by carrier and by
// sub-meter, EUI against its building type, own and consolidated energy (labelled, with their
// basis), its meters (each opens the meter page), data quality and warnings. A 404 (no such entity
// or not in the caller's scope: the API does not say which) shows one clear message.
import { ApiError, get } from '../api.js';
import { chart } from '../charts.js';
import { $, html, on, setHTML } from '../dom.js';
import { withheld } from '../disclosure.js';
import { isNum, num, pct } from '../format.js';
import { label, pick, sectorLabel, streetName, t } from '../i18n.js';
import { rememberYears } from '../state.js';
import { dataTable } from '../table.js';
import { basisLine, change, figureSpan, followRowLinks, hashFor, levelBadge, loading, pageHead, yearSelect } from '../ui.js';
import { pivot, stackedOption } from './overview.js';

function notFound(view, id) {
  setHTML(view, html`<div class="panel not-found" data-testid="not-found" role="alert">
    <div class="big">404</div>
    <h2>${t('en.notFound')}</h2>
    <p class="muted">${t('en.notFoundHint')}</p>
    <p class="muted small">${id}</p>
    <p><a href="#/overview">${t('back')}</a></p></div>`);
}

function euiPanel(eui, entity) {
  if (!eui) return html`<p class="muted">${t('app.noData')}</p>`;
  const v = eui.eui_kgce_per_m2_equal;
  const p = eui.area_weighted_percentile;
  const hidden = eui.suppressed || []; // withheld from this role (small cells)
  return html`
    <div class="kpi-value"><span data-testid="entity-eui" data-value="${isNum(v) ? v : ''}">${num(v, 1)}</span>
      <span class="unit">kgce/m²</span></div>
    <div class="kpi-sub">
      ${isNum(eui.eui_kwh_per_m2) ? html`<span>${num(eui.eui_kwh_per_m2, 0)} kWh/m²</span>` : ''}
      ${isNum(eui.tco2_per_m2) ? html`<span>${num(eui.tco2_per_m2 * 1000, 1)} kgCO2/m²</span>` : ''}</div>
    ${isNum(p) ? html`<div class="eui-scale" title="${t('en.euiPercentile', { p: pct(p, { ratio: true, digits: 0 }) })}">
      <div class="marker" style="left:${Math.max(0, Math.min(100, p * 100))}%"><span>${pct(p, { ratio: true, digits: 0 })}</span></div></div>` : ''}
    <p class="small muted" data-testid="entity-eui-rank">
      ${label('btype', entity.building_type || 'other')} · ${hidden.includes('type_median_kgce_per_m2_equal')
    ? withheld(t('en.euiBenchmark', { v: '—' }))
    : t('en.euiBenchmark', { v: num(eui.type_median_kgce_per_m2_equal, 1) })}
      · n = ${num(eui.type_count, 0)}${isNum(p) ? html` · ${t('en.euiPercentile', { p: pct(p, { ratio: true, digits: 0 }) })}` : ''}${hidden.includes('area_weighted_percentile')
    ? html` · ${withheld(t('en.euiPercentile', { p: '—' }))}` : ''}</p>`;
}

export async function render(view, { params, query, setQuery, isCurrent }) {
  setHTML(view, loading());
  const year = query.year || '';
  let d;
  try {
    d = await get(`/dashboard/entities/${encodeURIComponent(params.id)}`, { year });
  } catch (err) {
    if (!isCurrent()) return undefined;
    if (err instanceof ApiError && err.status === 404) { notFound(view, params.id); return undefined; }
    throw err;
  }
  if (!isCurrent()) return undefined;
  rememberYears(d.years);
  const e = d.entity || {};
  const tot = d.totals || {};
  const q = d.quality || {};
  const warnings = (d.warnings || []).filter((w) => !d.year || w.year === d.year);
  // one unit per chart: the sub-meters of the unit most rows have (kWh in practice)
  const allSub = d.monthly_by_submeter || [];
  const unitCount = new Map();
  for (const r of allSub) unitCount.set(r.unit, (unitCount.get(r.unit) || 0) + 1);
  const subUnit = [...unitCount.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const wan = subUnit === 'kWh';
  const subUnitText = wan ? t('unit.wanKwh') : subUnit;
  const ofUnit = allSub.filter((r) => r.unit === subUnit).map((r) => ({
    ...r, value: wan && isNum(r.quantity) ? r.quantity / 1e4 : r.quantity, key: `${r.submeter ? label('submeter', r.submeter) : label('submeter', '')} · ${r.meter_id}`,
  }));
  // a main meter measures what its sub-meters measure: the sub-meters are stacked, the main
  // meter is drawn as a line over them (never stacked on top of its own sub-meters)
  const hasSub = ofUnit.some((r) => r.submeter);
  const submeters = hasSub ? ofUnit.filter((r) => r.submeter) : ofUnit;
  const mains = hasSub ? ofUnit.filter((r) => !r.submeter) : [];
  const fig = d.figures || {};
  const own = fig['key_unit.energy.own'];
  const cons = fig['key_unit.energy.consolidated'];

  setHTML(view, html`
    ${pageHead(html`${e.name || e.entity_id} <span class="muted small">${e.entity_id}</span>
      ${e.is_key_unit ? html`<span class="badge key">${t('en.keyUnit')}</span>` : ''}`,
      html`${yearSelect(d.years, d.year)}`)}
    ${e.street_id ? html`<p class="crumbs small" data-testid="crumbs"><a href="${hashFor('/streets', { year: d.year })}">${t('nav.streets')}</a> ›
      <a href="${hashFor(`/streets/${e.street_id}`, { year: d.year })}" data-testid="crumb-street">${pick(e, 'street_name')}</a> › ${e.name || e.entity_id}</p>` : ''}
    <section class="card" style="margin-bottom:14px">
      <dl class="facts">
        <div><dt>${t('en.street')}</dt><dd>${streetName(e, 'street_name') || '—'}</dd></div>
        <div><dt>${t('col.type')}</dt><dd>${label('kind', e.kind)}${e.building_type ? ` · ${label('btype', e.building_type)}` : ''}</dd></div>
        <div><dt>${t('col.sector')}</dt><dd>${sectorLabel(e.sector)}</dd></div>
        <div><dt>${t('en.floorArea')}</dt><dd>${num(e.floor_area_m2, 0)} <span class="unit">m²</span></dd></div>
        <div><dt>${t('en.ownEnergy')} (${d.year || ''})</dt><dd>${own ? figureSpan(own, 'entity-energy') : html`<span data-testid="entity-energy" data-value="${isNum(tot.tce_equal) ? tot.tce_equal : ''}">${num(tot.tce_equal)}</span>`} <span class="unit">tce</span>
          ${change(tot.tce_equal, tot.tce_equal_last)}${own ? basisLine(own) : html`<div class="basis small muted" data-basis="metered_account">${label('figureBasis', 'metered_account')}</div>`}</dd></div>
        ${cons && (cons.provenance || {}).n_children ? html`<div><dt>${t('en.consolidatedEnergy')} (${d.year || ''})</dt><dd>${figureSpan(cons, 'entity-energy-consolidated')} <span class="unit">tce</span>${basisLine(cons)}</dd></div>`
          : html`<div><dt>${t('en.consolidatedEnergy')}</dt><dd><span class="small muted" data-testid="entity-consolidated-same">${t('en.consolidatedSame')}</span></dd></div>`}
        ${fig['key_unit.budget'] ? html`<div><dt>${t('en.budget')} (${d.year || ''})</dt><dd>${figureSpan(fig['key_unit.budget'], 'entity-budget')} <span class="unit">tce</span>
          ${fig['key_unit.budget.elastic'] ? html`<div class="small">${t('en.budgetElastic')}: ${figureSpan(fig['key_unit.budget.elastic'], 'entity-budget-elastic')} tce</div>` : ''}${basisLine(fig['key_unit.budget'])}</dd></div>` : ''}
        <div><dt>${t('en.co2')} (${d.year || ''})</dt><dd><span data-testid="entity-co2" data-value="${isNum(tot.tco2) ? tot.tco2 : ''}">${num(tot.tco2)}</span> <span class="unit">tCO2</span></dd></div>
      </dl>
      ${e.children && e.children.length ? html`<p class="small">${e.children.map((c, i) => html`${i ? '、' : ''}<a href="#/entities/${encodeURIComponent(c.entity_id)}">${c.name || c.entity_id}</a>`)}</p>` : ''}
    </section>
    <section class="grid grid-2">
      <div class="card"><h2>${t('en.byCarrier')}</h2><div class="chart" data-chart="carrier" data-testid="chart-entity-carrier"></div></div>
      <div class="card"><h2>${t('en.byMeter')}${subUnitText ? ` (${subUnitText})` : ''}</h2>
        ${submeters.length ? html`<div class="chart" data-chart="submeter" data-testid="chart-entity-submeter"></div>` : html`<p class="muted">${t('app.noData')}</p>`}</div>
      <div class="card"><h2>${t('en.eui')}</h2>${euiPanel(d.eui, e)}</div>
      <div class="card"><h2>${t('en.quality')}</h2>
        <dl class="facts">
          <div><dt>${t('col.coverage')}</dt><dd data-testid="entity-coverage" data-value="${isNum(q.coverage) ? q.coverage : ''}">${pct(q.coverage, { ratio: true })}</dd></div>
          <div><dt>${t('en.missingMonths')}</dt><dd>${num(q.missing_months ?? 0, 0)}</dd></div>
          <div><dt>${t('en.source')}</dt><dd class="small">${(q.source || []).join(', ') || '—'}</dd></div>
          <div><dt>${t('en.flags')}</dt><dd class="small">${(q.flags || []).join(', ') || '—'}</dd></div>
        </dl></div>
    </section>
    <section class="card" style="margin-bottom:14px"><h2>${t('en.monthly')}</h2><div data-table="monthly"></div></section>
    <section class="card" style="margin-bottom:14px"><h2>${t('en.meters')}</h2><div data-table="meters"></div></section>
    <section class="card"><h2>${t('en.warnings')}</h2>
      ${warnings.length ? html`<div data-table="warnings"></div>` : html`<p class="muted">${t('en.noWarnings')}</p>`}
    </section>`);

  const purchased = (d.monthly_by_carrier || []).filter((r) => r.scope !== 'generation');
  chart($('[data-chart="carrier"]', view), stackedOption(pivot(purchased, 'carrier', 'tce_equal', (k) => label('carrier', k))));
  if (submeters.length) {
    const p = pivot(submeters, 'key', 'value', (k) => k);
    if (mains.length) {
      const main = pivot(mains, 'key', 'value', (k) => `${t('en.mainMeter')} · ${k.split(' · ').pop()}`, p.months);
      for (const sr of main.series) p.series.push({ ...sr, type: 'line', stack: undefined, symbolSize: 6, z: 5 });
    }
    chart($('[data-chart="submeter"]', view), stackedOption(p));
  }
  const meterHref = (m) => hashFor(`/meters/${encodeURIComponent(m.meter_id)}`, { year: d.year });
  const offs = [
    // the month's figures by carrier with the remark (备注) the ledger came with; its xlsx is
    // the entity's workbook (every table of the page, the remarks in the monthly sheet)
    dataTable($('[data-table="monthly"]', view), {
      testid: 'entity-monthly', rows: d.monthly_by_carrier || [],
      rowAttrs: (r) => ({ 'data-month': r.month, 'data-carrier': r.carrier }),
      exportPath: `/dashboard/entities/${encodeURIComponent(params.id)}`, exportParams: { year: d.year },
      columns: [
        { key: 'month', label: 'col.month' },
        { key: 'carrier', label: 'mt.carrier', filter: 'select', text: (r) => label('carrier', r.carrier) },
        { key: 'quantity', label: 'en.quantity', type: 'num', digits: 0 },
        { key: 'unit', label: 'mt.unit' },
        { key: 'tce_equal', label: 'col.energy', type: 'num', digits: 2 },
        { key: 'remark', label: 'en.remark', cls: 'small', cell: (r) => html`<span data-testid="remark-${r.month}-${r.carrier}">${r.remark || ''}</span>` },
      ],
      sort: { key: 'month', dir: 'asc' },
    }),
    dataTable($('[data-table="meters"]', view), {
      testid: 'entity-meters', rows: d.meters || [],
      rowAttrs: (m) => ({ class: 'clickable', 'data-meter-id': m.meter_id, 'data-href': meterHref(m) }),
      columns: [
        { key: 'meter_id', label: 'mt.meter', cell: (m) => html`<a href="${meterHref(m)}">${m.meter_id}</a>` },
        { key: 'carrier', label: 'mt.carrier', filter: 'select', text: (m) => label('carrier', m.carrier) },
        { key: 'submeter', label: 'mt.submeter', filter: 'select', text: (m) => label('submeter', m.submeter || 'empty') },
        { key: 'unit', label: 'mt.unit' },
        { key: 'register', label: 'mt.register', text: (m) => label('mt.registerKind', m.register) },
        { key: 'interval_minutes', label: 'mt.interval', type: 'num', digits: 0 },
      ],
    }),
    warnings.length ? dataTable($('[data-table="warnings"]', view), {
      testid: 'entity-warnings', rows: warnings,
      rowAttrs: (w) => ({ 'data-level': w.level }),
      columns: [
        { key: 'level', label: 'col.level', text: (w) => label('level', w.level), cell: (w) => levelBadge(w.level) },
        { key: 'projected', label: 'col.projected', type: 'num', digits: 0 },
        { key: 'budget', label: 'col.budget', type: 'num', digits: 0 },
        { key: 'ratio', label: 'col.ratio', type: 'num', cell: (w) => html`<span data-value="${isNum(w.ratio) ? w.ratio : ''}">${pct(w.ratio, { ratio: true })}</span>` },
        { key: 'reason', label: 'col.reason', cls: 'reason', text: (w) => pick(w, 'reason') },
      ],
    }) : () => {},
    on(view, 'change', 'select[data-role="year"]', (_, el) => setQuery({ year: el.value })),
    followRowLinks(view),
  ];
  return () => offs.forEach((f) => f());
}
