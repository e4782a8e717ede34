// The virtual power plant: the events, one event's results (per resource and aggregator),
// its baseline against the actual load for one resource over the whole event day (the window
// shaded), and the resources. Every list is the caller's scope (an aggregator sees its own
// resources only): GET /vpp/... For analysts the forms that create an event and add a
// participant (POST /vpp/events, /vpp/events/{id}/participants); a form the role may not use
// is not shown.
import { ApiError, get, post } from '../api.js';
import { chart } from '../charts.js';
import { ANALYST_ROLES } from '../constants.js';
import { $, html, on, raw, setHTML } from '../dom.js';
import { num, pct } from '../format.js';
import { label, lang, t } from '../i18n.js';
import { session } from '../state.js';
import { dateInput, itemsOf, loading, pageHead, publishedFigures } from '../ui.js';
import { dataTable } from '../table.js';

const PROGRAMMES = ['invitation', 'real_time', 'frequency_regulation'];
// what a form just did, shown once by the render it asked for (the page is drawn anew)
let notice = null;

function say(view, text, kind) {
  const box = $('[data-testid="vpp-msg"]', view);
  if (!box) return;
  box.hidden = false;
  box.dataset.kind = kind;
  box.textContent = text;
}

function showNotice(view) {
  if (notice) say(view, notice, 'ok');
  notice = null;
}

function failure(err) {
  if (err instanceof ApiError) {
    const rows = err.body && Array.isArray(err.body.errors) ? err.body.errors : [];
    if (rows.length) {
      return rows.map((e) => `${e.column || ''}: ${lang() === 'zh' ? e.message_zh : e.message}`).join('; ');
    }
    if (typeof err.detail === 'string') return err.detail;
  }
  return (err && err.message) || String(err);
}

/** The analysts' forms: a new event; a participant of the event shown. */
function formsMarkup(eventId, resources) {
  const role = session.user ? session.user.role : '';
  if (!ANALYST_ROLES.includes(role)) return '';
  return html`<section class="panel" data-testid="vpp-forms">
    <form class="action-form" data-op="event" data-testid="vpp-event-form">
      <h3>${t('vpp.newEvent')}</h3>
      <div class="form-row">
        <label class="field">${t('vpp.eventId')}<input name="event_id" required maxlength="64" data-testid="vpp-new-id"></label>
        <label class="field">${t('vpp.programme')}<select name="programme" data-testid="vpp-new-programme">
          ${PROGRAMMES.map((p) => html`<option value="${p}">${label('vpp.programme', p)}</option>`)}</select></label>
        <label class="field">${t('vpp.date')}${dateInput('date', { required: true, testid: 'vpp-new-date' })}</label>
        <label class="field">${t('vpp.start')}<input name="start" type="time" required data-testid="vpp-new-start"></label>
        <label class="field">${t('vpp.end')}<input name="end" type="time" required data-testid="vpp-new-end"></label>
        <label class="field">${t('vpp.target')}<input name="target_kw" type="number" min="0" step="any" required data-testid="vpp-new-target"></label>
        <button type="submit" class="btn-primary" data-testid="vpp-new-submit">${t('vpp.create')}</button>
      </div></form>
    ${eventId ? html`<form class="action-form" data-op="participant" data-testid="vpp-participant-form">
      <h3>${t('vpp.addParticipant')} · ${eventId}</h3>
      <div class="form-row">
        <label class="field">${t('vpp.resource')}<select name="resource_id" data-testid="vpp-add-resource">
          ${resources.map((r) => html`<option value="${r.resource_id}">${r.resource_id} · ${r.aggregator}</option>`)}</select></label>
        <label class="field">${t('vpp.declared')}<input name="declared_kw" type="number" min="0" step="any" required data-testid="vpp-add-kw"></label>
        <button type="submit" class="btn-primary" data-testid="vpp-add-submit">${t('vpp.add')}</button>
      </div></form>` : ''}
    <div class="form-msg" data-testid="vpp-msg" role="status" hidden></div>
  </section>`;
}

function bindForms(view, eventId, setQuery, isCurrent) {
  showNotice(view);
  return on(view, 'submit', 'form[data-op]', async (ev, form) => {
    ev.preventDefault();
    const v = (name) => (form.elements[name] ? form.elements[name].value.trim() : '');
    const buttons = [...view.querySelectorAll('.action-form button')];
    buttons.forEach((b) => { b.disabled = true; });
    say(view, t('vpp.busy'), 'info');
    try {
      if (form.dataset.op === 'event') {
        const made = await post('/vpp/events', {
          event_id: v('event_id'), programme: v('programme'), date: v('date'),
          start: v('start'), end: v('end'), target_kw: Number(v('target_kw')) });
        if (!isCurrent()) return;
        notice = t('vpp.created', { id: made.event_id });
        say(view, notice, 'ok');
        setQuery({ event: made.event_id, resource: '' });
      } else {
        const got = await post(`/vpp/events/${encodeURIComponent(eventId)}/participants`, {
          resource_id: v('resource_id'), declared_kw: Number(v('declared_kw')) });
        if (!isCurrent()) return;
        notice = t('vpp.added', { resource: got.resource_id, id: eventId });
        say(view, notice, 'ok');
        const before = location.hash;
        setQuery({ event: eventId, resource: got.resource_id });
        if (location.hash === before) notice = null; // no new render: the message stays as is
      }
    } catch (err) {
      if (isCurrent()) say(view, t('vpp.failed', { detail: failure(err) }), 'error');
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
}

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
    setHTML(view, html`${pageHead(t('vpp.title'))}<div class="panel"><p class="muted">${t('vpp.noEvents')}</p></div>
      ${formsMarkup('', [])}`);
    const offEmpty = bindForms(view, '', setQuery, isCurrent);
    return () => offEmpty();
  }
  const res = await get(`/vpp/events/${encodeURIComponent(eventId)}/results`);
  if (!isCurrent()) return undefined;
  const measured = res.resources.filter((r) => r.data === 'ok');
  const resource = query.resource && measured.some((r) => r.resource_id === query.resource)
    ? query.resource : (measured[0] && measured[0].resource_id) || '';
  // the whole event day (24 h around the window, clipped to the day), the window shaded
  const base = resource ? await get(`/vpp/events/${encodeURIComponent(eventId)}/baseline`,
    { resource, around_hours: 24 }) : null;
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
      <p class="basis small">${t('vpp.chartNote')}</p>
    </div>
    ${cap && cap.figures && cap.figures.length ? html`<div class="panel"><h3>${t('fig.title', { year: capYear })}</h3>${publishedFigures(cap.figures, 'vpp-figures')}</div>` : ''}
    ${formsMarkup(eventId, itemsOf(resources))}
    <div class="panel"><h3>${t('vpp.byAggregator')}</h3><div data-table="vpp-aggregators"></div></div>
    <div class="panel"><h3>${t('vpp.results')}</h3><div data-table="vpp-results"></div></div>
    <div class="panel"><h3>${t('vpp.resources', { n: num(resources.total, 0) })}</h3><div data-table="vpp-resources"></div></div>`);
  const ivs = base && base.resources[0] ? base.resources[0].intervals : [];
  const inWin = ivs.filter((i) => i.in_window).map((i) => i.start.slice(11, 16));
  const chartBox = $('[data-chart="vpp"]', view);
  chartBox.dataset.intervals = String(ivs.length);
  chartBox.dataset.window = inWin.length ? `${inWin[0]}–${inWin[inWin.length - 1]}` : '';
  chart(chartBox, {
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: ivs.map((i) => i.start.slice(11, 16)) },
    yAxis: { type: 'value', name: 'kW' },
    series: [
      { name: t('vpp.baseline'), type: 'line', showSymbol: false, data: ivs.map((i) => i.baseline_kw),
        markArea: inWin.length ? { silent: true, itemStyle: { color: 'rgba(200, 85, 61, .10)' },
          label: { show: true, position: 'insideTop', color: '#c8553d' },
          data: [[{ name: t('vpp.window'), xAxis: inWin[0] }, { xAxis: inWin[inWin.length - 1] }]] } : undefined },
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
    bindForms(view, eventId, setQuery, isCurrent),
  ];
  return () => off.forEach((f) => f());
}
