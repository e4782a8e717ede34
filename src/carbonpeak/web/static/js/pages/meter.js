// One meter: GET /meters/{id}/series?start=&end=&resolution= — its readings per local day (up
// to a year; by default the last quarter) or hour (up to 31 days) as a zoomable chart, its flagged days (gaps, spikes …) shaded
// and its held values marked on it, and both listed. A day of the daily chart opens that
// week hour by hour. A 404 (no such meter, or not in scope) shows one clear message.
import { ApiError, get } from '../api.js';
import { axisNum, chart } from '../charts.js';
import { $, html, on, raw, setHTML } from '../dom.js';
import { isNum, num, pct } from '../format.js';
import { label, lang, pick, t } from '../i18n.js';
import { session } from '../state.js';
import { dataTable } from '../table.js';
import { hashFor, loading, pageHead, statusBadge } from '../ui.js';

const DAY_MS = 86400000;

function notFound(view, id) {
  setHTML(view, html`<div class="panel not-found" data-testid="not-found" role="alert">
    <div class="big">404</div><h2>${t('mt.notFound')}</h2>
    <p class="muted">${t('en.notFoundHint')}</p>
    <p class="muted small">${id}</p><p><a href="#/overview">${t('back')}</a></p></div>`);
}

/** `2024-03-01` plus `days` (calendar arithmetic on the date only, no time zone). */
function addDays(day, days) {
  const d = new Date(`${day}T00:00:00Z`);
  return new Date(d.getTime() + days * DAY_MS).toISOString().slice(0, 10);
}

/** The calendar quarter `day` is in: `{start, end}` (end exclusive). */
function quarterOf(day) {
  const y = Number(day.slice(0, 4));
  const q0 = Math.floor((Number(day.slice(5, 7)) - 1) / 3) * 3 + 1;
  const pad = (m) => String(m).padStart(2, '0');
  return { start: `${y}-${pad(q0)}-01`, end: q0 + 3 > 12 ? `${y + 1}-01-01` : `${y}-${pad(q0 + 3)}-01` };
}

function windowOf(query) {
  const year = Number(query.year || session.year || (session.years || [])[0]) || new Date().getFullYear() - 1;
  const res = query.res === 'hour' ? 'hour' : 'day';
  // by default the year's last quarter day by day (the whole year is one click on 起/止 away)
  const start = /^\d{4}-\d{2}-\d{2}$/.test(query.start || '') ? query.start
    : (res === 'hour' ? `${year}-12-01` : `${year}-10-01`);
  const end = /^\d{4}-\d{2}-\d{2}$/.test(query.end || '') ? query.end
    : (res === 'hour' ? addDays(start, 7) : `${Number(start.slice(0, 4)) + 1}-01-01`);
  return { res, start, end };
}

function flagText(d, f) {
  const l = (d.flag_labels || {})[f];
  return l ? (lang() === 'zh' ? l.zh : l.en) : f;
}

export async function render(view, { params, query, setQuery, isCurrent }) {
  setHTML(view, loading());
  const w = windowOf(query);
  let d;
  try {
    d = await get(`/meters/${encodeURIComponent(params.id)}/series`, { start: w.start, end: w.end, resolution: w.res });
  } catch (err) {
    if (!isCurrent()) return undefined;
    if (err instanceof ApiError && err.status === 404) { notFound(view, params.id); return undefined; }
    throw err;
  }
  if (!isCurrent()) return undefined;
  const items = d.items || [];
  const quality = d.quality || [];
  const held = d.held || [];
  const unitText = d.unit || '';
  const entityHref = hashFor(`/entities/${encodeURIComponent(d.entity_id)}`, { year: query.year || session.year });
  const exportable = w.res === 'hour';
  setHTML(view, html`
    ${pageHead(html`<span data-testid="meter-id">${d.meter_id}</span>
      <span class="muted small">${label('carrier', d.carrier)} · ${label('submeter', d.submeter || '')} · ${unitText}</span>`)}
    <p class="crumbs small" data-testid="crumbs"><a href="${entityHref}" data-testid="crumb-entity">${d.entity_id}</a> › ${d.meter_id}</p>
    <section class="card" style="margin-bottom:14px">
      <form class="toolbar" data-role="window" data-testid="meter-window">
        <div class="seg" role="group" aria-label="${t('mt.resolution')}">
          <button type="button" class="${w.res === 'day' ? 'btn' : 'btn-ghost'}" data-res="day" data-testid="meter-res-day">${t('mt.daily')}</button>
          <button type="button" class="${w.res === 'hour' ? 'btn' : 'btn-ghost'}" data-res="hour" data-testid="meter-res-hour">${t('mt.hourly')}</button>
        </div>
        <label class="field field-inline">${t('mt.from')} <input type="date" name="start" value="${w.start}" data-testid="meter-start"></label>
        <label class="field field-inline">${t('mt.to')} <input type="date" name="end" value="${w.end}" data-testid="meter-end"></label>
        <button type="submit" class="btn">${t('mt.show')}</button>
      </form>
      <p class="small muted" data-testid="meter-basis">${t(d.aggregate === 'sum' ? 'mt.aggSum' : 'mt.aggLast', {
        res: t(w.res === 'hour' ? 'mt.perHour' : 'mt.perDay'), tz: d.timezone })}
        ${w.res === 'day' ? html` · ${t('mt.clickDay')}` : ''}</p>
      <div class="chart chart-tall" data-chart="meter" data-testid="chart-meter"
        data-points="${items.length}" data-res="${w.res}" data-flagged="${quality.length}" data-held="${held.length}"></div>
      <p class="small muted">${raw('<span class="legend-swatch flagged"></span>')} ${t('mt.flaggedDays')}
        · ${raw('<span class="legend-swatch held"></span>')} ${t('mt.heldValues')}</p>
    </section>
    <section class="grid grid-2">
      <div class="card"><h2>${t('mt.quality')} <span class="muted small">${t('tbl.count', { n: num(quality.length, 0) })}</span></h2><div data-table="quality"></div></div>
      <div class="card"><h2>${t('mt.heldValues')} <span class="muted small">${t('tbl.count', { n: num(held.length, 0) })}</span></h2><div data-table="held"></div></div>
    </section>
    <section class="card" style="margin-top:14px"><h2>${t(w.res === 'hour' ? 'mt.hourValues' : 'mt.dayValues')} (${unitText})</h2>
      ${exportable ? '' : html`<p class="small muted">${t('mt.exportHourly')}</p>`}
      <div data-table="series"></div></section>`);

  const cats = items.map((p) => p.t);
  const dayOf = (c) => c.slice(0, 10);
  const firstCat = (day) => cats.find((c) => dayOf(c) === day);
  const lastCat = (day) => [...cats].reverse().find((c) => dayOf(c) === day);
  const areas = quality.filter((q) => firstCat(q.day)).map((q) => [
    { xAxis: firstCat(q.day), name: q.flags.map((f) => flagText(d, f)).join('、') }, { xAxis: lastCat(q.day) }]);
  const heldCat = (h) => (w.res === 'hour' ? h.t : h.day);
  const heldPts = held.filter((h) => cats.includes(heldCat(h))).map((h) => [heldCat(h), h.value]);
  const c = chart($('[data-chart="meter"]', view), {
    legend: { top: 0 },
    grid: { left: 10, right: 24, top: 36, bottom: 64, containLabel: true },
    xAxis: { type: 'category', data: cats },
    yAxis: { type: 'value', name: unitText, axisLabel: axisNum },
    dataZoom: [{ type: 'inside' }, { type: 'slider', bottom: 8 }],
    series: [
      { name: t(w.res === 'hour' ? 'mt.hourValues' : 'mt.dayValues'), type: w.res === 'hour' ? 'line' : 'bar',
        showSymbol: false, data: items.map((p) => p.value),
        markArea: { silent: true, itemStyle: { color: 'rgba(200, 85, 61, 0.18)' }, label: { show: false }, data: areas } },
      { name: t('mt.heldValues'), type: 'scatter', symbolSize: 12, itemStyle: { color: '#c8553d' }, data: heldPts },
    ],
  });
  if (c && w.res === 'day') {
    c.on('click', (p) => {
      const day = cats[p.dataIndex];
      if (day && p.seriesIndex === 0) setQuery({ res: 'hour', start: day, end: addDays(day, 7) });
    });
  }

  const offs = [
    dataTable($('[data-table="quality"]', view), {
      testid: 'meter-quality', rows: quality, sort: { key: 'day', dir: 'asc' },
      rowAttrs: (q) => ({ 'data-day': q.day }),
      columns: [
        { key: 'day', label: 'mt.day', type: 'date' },
        { key: 'flags', label: 'mt.flags', filter: 'select', text: (q) => q.flags.map((f) => flagText(d, f)).join('、') },
        { key: 'completeness', label: 'mt.completeness', type: 'num', cell: (q) => html`<span data-value="${isNum(q.completeness) ? q.completeness : ''}">${pct(q.completeness, { ratio: true })}</span>` },
        { key: 'n_missing', label: 'mt.missing', type: 'num', digits: 0 },
        { key: 'longest_gap_minutes', label: 'mt.longestGap', type: 'num', digits: 0 },
      ],
    }),
    dataTable($('[data-table="held"]', view), {
      testid: 'meter-held', rows: held, sort: { key: 't', dir: 'asc' },
      rowAttrs: (h) => ({ 'data-held-id': h.id }),
      columns: [
        { key: 't', label: 'mt.time', type: 'date', text: (h) => h.t.replace('T', ' ') },
        { key: 'value', label: 'col.value', type: 'num' },
        { key: 'status', label: 'col.status', filter: 'select', text: (h) => label('held', h.status), cell: (h) => statusBadge(h.status, label('held', h.status)) },
        { key: 'reason', label: 'col.reason', cls: 'reason', text: (h) => pick(h, 'reason') },
      ],
    }),
    dataTable($('[data-table="series"]', view), {
      testid: 'meter-series', rows: items, sort: { key: 't', dir: 'asc' },
      rowAttrs: (p) => ({ 'data-t': p.t }),
      exportPath: exportable ? '/readings' : null,
      exportParams: { meter_id: d.meter_id, start: w.start, end: w.end },
      columns: [
        { key: 't', label: w.res === 'hour' ? 'mt.time' : 'mt.day', type: 'date', text: (p) => p.t.replace('T', ' ') },
        { key: 'value', label: 'col.value', type: 'num', digits: 3 },
        { key: 'n', label: 'mt.readings', type: 'num', digits: 0 },
      ],
    }),
    on(view, 'click', 'button[data-res]', (_, b) => {
      const res = b.dataset.res;
      if (res === w.res) return;
      setQuery(res === 'hour' ? { res, start: w.start, end: addDays(w.start, 7) } : { res, ...quarterOf(w.start) });
    }),
    on(view, 'submit', 'form[data-role="window"]', (ev, f) => {
      ev.preventDefault();
      const fd = new FormData(f);
      setQuery({ res: w.res, start: String(fd.get('start') || ''), end: String(fd.get('end') || '') });
    }),
  ];
  return () => offs.forEach((f) => f());
}
