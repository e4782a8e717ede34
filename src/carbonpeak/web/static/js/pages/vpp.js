// The virtual power plant: the events, one event's results (per resource and aggregator),
// its baseline against the actual load for one resource, and the resources. Every list is
// the caller's scope (an aggregator sees its own resources only): GET /vpp/...
import { get } from '../api.js';
import { chart } from '../charts.js';
import { $, html, on, raw, setHTML } from '../dom.js';
import { num, pct } from '../format.js';
import { label, t } from '../i18n.js';
import { itemsOf, loading, pageHead, publishedFigures } from '../ui.js';
import { ANALYST_ROLES } from '../constants.js';
import { session } from '../state.js';
import { dataTable } from '../table.js';

function ratioCell(r) {
  const v = r.execution_ratio;
  const cls = r.data === 'ok' && !r.effective ? 'bad' : '';
  return html`<span class="${cls}" data-value="${v ?? ''}">${v == null ? '—' : pct(v, { ratio: true })}</span>`;
}

export async function render(view, { query, setQuery, isCurrent }) {
  setHTML(view, loading());
  const [events, resources] = await Promise.all([
    get('/vpp/events', { limit: 500 }), get('/vpp/resources', { limit: 500 })]);
  if (!isCurrent()) return undefined;
  const evs = itemsOf(events);
  const eventId = query.event || (evs[0] && evs[0].event_id) || '';
  if (!eventId) {
    setHTML(view, html`${pageHead(t('vpp.title'))}<div class="panel"><p class="muted">${t('vpp.noEvents')}</p></div>`);
    return undefined;
  }
  const res = await get(`/vpp/events/${encodeURIComponent(eventId)}/results`);
  if (!isCurrent()) return undefined;
  const measured = res.resources.filter((r) => r.data === 'ok');
  const resource = query.resource || (measured[0] && measured[0].resource_id) || '';
  const base = resource ? await get(`/vpp/events/${encodeURIComponent(eventId)}/baseline`, { resource }) : null;
  if (!isCurrent()) return undefined;
  const tot = res.total;
  // the district's capability of the event's year as the figure catalogue publishes it
  const capYear = Number(String(res.event.date || '').slice(0, 4));
  const analyst = session.user && ANALYST_ROLES.includes(session.user.role);
  const cap = analyst && capYear ? await get('/vpp/capability', { year: capYear }).catch(() => null) : null;
  if (!isCurrent()) return undefined;
  setHTML(view, html`
    ${pageHead(t('vpp.title'), html`
      <label class="field field-inline">${t('vpp.event')}
        <select data-role="event" data-testid="vpp-event">
          ${evs.map((e) => html`<option value="${e.event_id}" ${e.event_id === eventId ? raw('selected') : ''}>${e.event_id} · ${e.date} ${e.start}–${e.end}</option>`)}
        </select></label>`)}
    <div class="panel" data-testid="vpp-summary">
      <p>${t('vpp.summary', {
        programme: label('vpp.programme', res.event.programme), method: label('vpp.method', res.method),
        response: num(tot.response_kw, 0), declared: num(tot.declared_kw, 0),
        ratio: tot.execution_ratio == null ? '—' : pct(tot.execution_ratio, { ratio: true }),
        amount: num(tot.amount_cny, 0), effective: tot.effective, n: tot.resources })}</p>
      <p class="basis small">${t('vpp.basis', { days: res.baseline_days.join(', '), status: label('vpp.status', res.method_status) })}</p>
    </div>
    <div class="panel">
      <h3>${t('vpp.chart', { resource })}</h3>
      <label class="field field-inline">${t('vpp.resource')}
        <select data-role="resource" data-testid="vpp-resource">
          ${measured.map((r) => html`<option value="${r.resource_id}" ${r.resource_id === resource ? raw('selected') : ''}>${r.resource_id}</option>`)}
        </select></label>
      <div class="chart" data-chart="vpp" data-testid="vpp-chart" style="height:280px"></div>
    </div>
    ${cap && cap.figures && cap.figures.length ? html`<div class="panel"><h3>${t('fig.title', { year: capYear })}</h3>${publishedFigures(cap.figures, 'vpp-figures')}</div>` : ''}
    <div class="panel"><h3>${t('vpp.byAggregator')}</h3><div data-table="vpp-aggregators"></div></div>
    <div class="panel"><h3>${t('vpp.results')}</h3><div data-table="vpp-results"></div></div>
    <div class="panel"><h3>${t('vpp.resources', { n: num(resources.total, 0) })}</h3><div data-table="vpp-resources"></div></div>`);
  const ivs = base && base.resources[0] ? base.resources[0].intervals : [];
  chart($('[data-chart="vpp"]', view), {
    legend: { top: 0 },
    xAxis: { type: 'category', data: ivs.map((i) => i.start.slice(11, 16)) },
    yAxis: { type: 'value', name: 'kW' },
    series: [
      { name: t('vpp.baseline'), type: 'line', showSymbol: false, data: ivs.map((i) => i.baseline_kw) },
      { name: t('vpp.actual'), type: 'line', showSymbol: false, data: ivs.map((i) => i.actual_kw) },
    ],
  });
  const off = [
    dataTable($('[data-table="vpp-aggregators"]', view), {
      testid: 'vpp-aggregators', rows: res.aggregators,
      columns: [
        { key: 'agg', title: t('vpp.aggregator'), text: (r) => r.aggregator },
        { key: 'resources', title: t('vpp.count'), type: 'num', digits: 0 },
        { key: 'declared_kw', title: t('vpp.declared'), type: 'num', digits: 0 },
        { key: 'response_kw', title: t('vpp.response'), type: 'num', digits: 0 },
        { key: 'execution_ratio', title: t('vpp.ratio'), type: 'num', cell: (r) => ratioCell({ ...r, data: 'sum' }) },
        { key: 'amount_cny', title: t('vpp.amount'), type: 'num', digits: 0 },
      ],
    }),
    dataTable($('[data-table="vpp-results"]', view), {
      testid: 'vpp-results', rows: res.resources,
      rowAttrs: (r) => ({ 'data-resource': r.resource_id }),
      columns: [
        { key: 'resource_id', title: t('vpp.resource') },
        { key: 'agg', title: t('vpp.aggregator'), filter: 'select', text: (r) => r.aggregator },
        { key: 'kind', title: t('vpp.kind'), text: (r) => label('vpp.kind', r.kind) },
        { key: 'baseline_kw', title: t('vpp.baseline'), type: 'num', digits: 0 },
        { key: 'actual_kw', title: t('vpp.actual'), type: 'num', digits: 0 },
        { key: 'response_kw', title: t('vpp.response'), type: 'num', digits: 0 },
        { key: 'declared_kw', title: t('vpp.declared'), type: 'num', digits: 0 },
        { key: 'execution_ratio', title: t('vpp.ratio'), type: 'num', cell: ratioCell },
        { key: 'amount_cny', title: t('vpp.amount'), type: 'num', digits: 0 },
      ],
    }),
    dataTable($('[data-table="vpp-resources"]', view), {
      testid: 'vpp-resources', rows: itemsOf(resources),
      columns: [
        { key: 'resource_id', title: t('vpp.resource') },
        { key: 'entity_id', title: t('vpp.entity') },
        { key: 'kind', title: t('vpp.kind'), filter: 'select', text: (r) => label('vpp.kind', r.kind) },
        { key: 'contracted_kw', title: t('vpp.contracted'), type: 'num', digits: 0 },
        { key: 'automated', title: t('vpp.automated'), text: (r) => (r.automated ? (r.ven_id || '✓') : '') },
        { key: 'agg', title: t('vpp.aggregator'), filter: 'select', text: (r) => r.aggregator },
      ],
    }),
    on(view, 'change', 'select[data-role="event"]', (_, el) => setQuery({ event: el.value, resource: '' })),
    on(view, 'change', 'select[data-role="resource"]', (_, el) => setQuery({ resource: el.value })),
  ];
  return () => off.forEach((f) => f());
}
