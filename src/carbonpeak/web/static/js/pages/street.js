// One street: GET /dashboard/streets/{id}?year= — every entity of the street the caller may
// see (not only its key units), each with its type, floor area, energy and CO2 of the year
// and a key-unit badge, linking to the entity page. A 404 (no such street, or not in scope)
// shows one clear message.
import { ApiError, get } from '../api.js';
import { $, html, on, setHTML } from '../dom.js';
import { num } from '../format.js';
import { label, pick, t } from '../i18n.js';
import { rememberYears } from '../state.js';
import { dataTable } from '../table.js';
import { followRowLinks, hashFor, loading, pageHead, yearSelect } from '../ui.js';

function notFound(view, id) {
  setHTML(view, html`<div class="panel not-found" data-testid="not-found" role="alert">
    <div class="big">404</div><h2>${t('sp.notFound')}</h2>
    <p class="muted small">${id}</p><p><a href="#/streets">${t('back')}</a></p></div>`);
}

export async function render(view, { params, query, setQuery, isCurrent }) {
  setHTML(view, loading());
  let d;
  try {
    d = await get(`/dashboard/streets/${encodeURIComponent(params.id)}`, { year: query.year || '' });
  } catch (err) {
    if (!isCurrent()) return undefined;
    if (err instanceof ApiError && (err.status === 404 || err.status === 422)) { notFound(view, params.id); return undefined; }
    throw err;
  }
  if (!isCurrent()) return undefined;
  rememberYears(d.years);
  const st = d.street;
  const items = d.items || [];
  const open = (r) => hashFor(`/entities/${encodeURIComponent(r.entity_id)}`, { year: d.year });
  setHTML(view, html`
    ${pageHead(html`<span data-testid="street-name">${pick(st, 'name') || st.code}</span>`, html`${yearSelect(d.years, d.year)}`)}
    <p class="crumbs small" data-testid="crumbs"><a href="${hashFor('/streets', { year: d.year })}">${t('nav.streets')}</a> › ${pick(st, 'name')}</p>
    <section class="card">
      <h2>${t('sp.entities')} <span class="muted small" data-testid="street-key-count" data-value="${d.n_key_units}">${t('sp.keyCount', { n: num(d.n_key_units, 0) })}</span></h2>
      <p class="small muted">${t('sp.basis', { year: d.year || '' })}</p>
      <div data-table="entities"></div></section>`);
  const offTable = dataTable($('[data-table="entities"]', view), {
    testid: 'street-entities', rows: items,
    rowAttrs: (r) => ({ class: 'clickable', 'data-entity-id': r.entity_id, 'data-href': open(r) }),
    exportPath: `/dashboard/streets/${st.street_id}`, exportParams: { year: d.year },
    sort: { key: 'tce_equal', dir: 'desc' },
    columns: [
      { key: 'name', label: 'col.name', cls: 'name-cell',
        text: (r) => `${r.name} ${r.entity_id}`,
        value: (r) => r.name,
        cell: (r) => html`<a href="${open(r)}">${r.name}</a> <span class="muted small">${r.entity_id}</span>
          ${r.is_key_unit ? html`<span class="badge key" data-testid="key-badge">${t('en.keyUnit')}</span>` : ''}` },
      { key: 'kind', label: 'col.type', filter: 'select',
        text: (r) => `${label('kind', r.kind)}${r.building_type ? ` · ${label('btype', r.building_type)}` : ''}` },
      { key: 'is_key_unit', label: 'sp.keyUnit', filter: 'select',
        text: (r) => (r.is_key_unit ? t('sp.yes') : t('sp.no')) },
      { key: 'floor_area_m2', label: 'col.area', type: 'num', digits: 0 },
      { key: 'n_meters', label: 'sp.meters', type: 'num', digits: 0 },
      { key: 'tce_equal', label: 'col.energy', type: 'num' },
      { key: 'tco2', label: 'col.co2', type: 'num' },
      { key: 'kgce_per_m2', label: 'col.eui', type: 'num', digits: 1 },
    ],
  });
  const offs = [
    offTable,
    on(view, 'change', 'select[data-role="year"]', (_, el) => setQuery({ year: el.value })),
    followRowLinks(view),
  ];
  return () => offs.forEach((f) => f());
}
