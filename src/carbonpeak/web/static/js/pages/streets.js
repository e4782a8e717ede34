// Street comparison: GET /dashboard/streets?year= as a sortable table and a bar chart; a
// street opens its street page (#/streets/{id}: every entity of it).
import { get } from '../api.js';
import { LEVEL_ORDER } from '../constants.js';
import { axisNum, chart } from '../charts.js';
import { $, html, on, setHTML } from '../dom.js';
import { isNum } from '../format.js';
import { label, streetName, t } from '../i18n.js';
import { rememberYears } from '../state.js';
import { dataTable } from '../table.js';
import { change, followRowLinks, hashFor, itemsOf, levelBadge, loading, pageHead, yearSelect } from '../ui.js';

const LEVELS = [...LEVEL_ORDER, ''];  // the worst first; a street without a level last

export async function render(view, { query, setQuery, isCurrent }) {
  setHTML(view, loading());
  const year = query.year || '';
  const d = await get('/dashboard/streets', { year });
  if (!isCurrent()) return undefined;
  rememberYears(d.years);
  const items = itemsOf(d);
  const open = (row) => hashFor(`/streets/${row.street_id}`, { year: d.year });
  setHTML(view, html`
    ${pageHead(t('st.title'), html`${yearSelect(d.years, d.year)}`)}
    <section class="card" style="margin-bottom:14px"><h2>${t('st.chart')}</h2>
      <div class="chart chart-tall" data-chart="streets" data-testid="chart-streets"></div>
      <p class="muted small">${t('st.click')}</p></section>
    <section class="card" data-table="streets"></section>`);
  const offTable = dataTable($('[data-table="streets"]', view), {
    testid: 'streets-table', rows: items,
    rowAttrs: (r) => ({ class: 'clickable', 'data-street-id': r.street_id, 'data-href': open(r) }),
    exportPath: '/dashboard/streets', exportParams: { year: d.year },
    columns: [
      { key: 'name', label: 'col.street', text: (r) => streetName(r) || r.code,
        cell: (r) => html`<a href="${open(r)}">${streetName(r) || r.code}</a>` },
      { key: 'n_entities', label: 'col.entities', type: 'num', digits: 0 },
      { key: 'n_key_units', label: 'ov.keyUnitsCount', type: 'num', digits: 0 },
      { key: 'tce_equal', label: 'col.energy', type: 'num' },
      { key: 'tco2', label: 'col.co2', type: 'num' },
      { key: 'floor_area_m2', label: 'col.area', type: 'num', digits: 0 },
      { key: 'kgce_per_m2', label: 'col.eui', type: 'num', digits: 1 },
      { key: 'change', label: 'col.change', type: 'num',
        cell: (r) => change(null, null, { pctValue: isNum(r.change) ? r.change * 100 : null }) },
      { key: 'warning_level', label: 'col.warning', filter: 'select',
        text: (r) => (r.warning_level ? label('level', r.warning_level) : ''),
        value: (r) => LEVELS.indexOf(r.warning_level ?? ''), cell: (r) => levelBadge(r.warning_level) },
    ],
  });

  const names = items.map((r) => streetName(r) || r.code);
  const c = chart($('[data-chart="streets"]', view), {
    legend: { top: 0 },
    grid: { left: 10, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 8 ? 30 : 0 } },
    yAxis: [{ type: 'value', name: 'tCO2', axisLabel: axisNum }, { type: 'value', name: 'tce', axisLabel: axisNum, splitLine: { show: false } }],
    series: [
      { name: t('col.co2'), type: 'bar', data: items.map((r) => r.tco2) },
      { name: t('col.energy'), type: 'bar', yAxisIndex: 1, data: items.map((r) => r.tce_equal) },
    ],
  });
  if (c) c.on('click', (p) => { const r = items[p.dataIndex]; if (r) location.hash = open(r); });

  const offs = [
    offTable,
    on(view, 'change', 'select[data-role="year"]', (_, el) => setQuery({ year: el.value })),
    followRowLinks(view),
  ];
  return () => offs.forEach((f) => f());
}
