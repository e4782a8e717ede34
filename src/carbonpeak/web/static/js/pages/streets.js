// Street comparison: GET /dashboard/streets?year= as a table and a bar chart; a street opens
// the key-unit list filtered to it.
import { get } from '../api.js';
import { axisNum, chart } from '../charts.js';
import { $, html, on, setHTML } from '../dom.js';
import { isNum, num } from '../format.js';
import { streetName, t } from '../i18n.js';
import { rememberYears } from '../state.js';
import { change, hashFor, itemsOf, levelBadge, loading, pageHead, yearSelect } from '../ui.js';

export async function render(view, { query, setQuery, isCurrent }) {
  setHTML(view, loading());
  const year = query.year || '';
  const d = await get('/dashboard/streets', { year });
  if (!isCurrent()) return undefined;
  rememberYears(d.years);
  const items = itemsOf(d);
  const open = (row) => hashFor('/key-units', { street_id: row.street_id, year: d.year });
  setHTML(view, html`
    ${pageHead(t('st.title'), html`${yearSelect(d.years, d.year)}`)}
    <section class="card" style="margin-bottom:14px"><h2>${t('st.chart')}</h2>
      <div class="chart chart-tall" data-chart="streets" data-testid="chart-streets"></div>
      <p class="muted small">${t('st.click')}</p></section>
    <section class="card"><div class="table-wrap"><table class="data" data-testid="streets-table">
      <thead><tr><th>${t('col.street')}</th><th class="num">${t('col.entities')}</th>
        <th class="num">${t('ov.keyUnitsCount')}</th><th class="num">${t('col.energy')}</th>
        <th class="num">${t('col.co2')}</th><th class="num">${t('col.area')}</th>
        <th class="num">${t('col.eui')}</th><th class="num">${t('col.change')}</th>
        <th>${t('col.warning')}</th></tr></thead>
      <tbody>${items.length ? items.map((r) => html`<tr class="clickable" data-street-id="${r.street_id}" data-href="${open(r)}">
        <td><a href="${open(r)}">${streetName(r) || r.code}</a></td>
        <td class="num">${num(r.n_entities, 0)}</td><td class="num">${num(r.n_key_units, 0)}</td>
        <td class="num" data-value="${isNum(r.tce_equal) ? r.tce_equal : ''}">${num(r.tce_equal)}</td>
        <td class="num" data-value="${isNum(r.tco2) ? r.tco2 : ''}">${num(r.tco2)}</td>
        <td class="num">${num(r.floor_area_m2, 0)}</td>
        <td class="num">${num(r.kgce_per_m2, 1)}</td>
        <td class="num">${change(null, null, { pctValue: isNum(r.change) ? r.change * 100 : null })}</td>
        <td>${levelBadge(r.warning_level)}</td></tr>`)
        : html`<tr><td colspan="9" class="muted">${t('app.noData')}</td></tr>`}</tbody>
    </table></div></section>`);

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
    on(view, 'change', 'select[data-role="year"]', (_, el) => setQuery({ year: el.value })),
    on(view, 'click', 'tr[data-href]', (ev, el) => {
      if (ev.target instanceof Element && ev.target.closest('a')) return;
      location.hash = el.dataset.href;
    }),
  ];
  return () => offs.forEach((f) => f());
}
