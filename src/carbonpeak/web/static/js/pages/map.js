// Carbon map: GET /map?year=&month= drawn with MapLibre GL (ES module, loaded on this page
// only). Streets are polygons shaded by tCO2 or kgce/m²; buildings are circles sized by tCO2
// and coloured by kgce/m². A slider over `months` (plus the whole year) refetches and updates
// the sources in place. The map object is `window.__cpMap` (for tests and the console).
// The PV layers (GET /pv/map?year=, the buildings in the caller's scope): PV sites as badges
// beside their building coloured by the year's status and sized by kWp, and the roof
// potential per building as rings; each switched on in the controls (query `pv=sites,roofs`).
import { get } from '../api.js';
import { $, debounce, html, on, raw, setHTML } from '../dom.js';
import { isNum, num, numTrim } from '../format.js';
import { label, lang, pick, streetName, t } from '../i18n.js';
import { loading, pageHead, yearSelect } from '../ui.js';
import { rememberYears, session } from '../state.js';

const LIB = '/vendor/maplibre-gl/maplibre-gl.mjs';
const WORKER = '/vendor/maplibre-gl/maplibre-gl-worker.mjs';
const EMPTY = { type: 'FeatureCollection', features: [] };
const RAMP = ['#f1f7d6', '#f9d56e', '#f3a14a', '#e0603b', '#b3242f'];
const EUI_RAMP = ['#2e9e5b', '#a5c94f', '#f2c744', '#ec8a3a', '#c8323a'];
const NO_DATA = '#d5dcda';
const PV_RAMP = ['#fff3c4', '#ffd75e', '#f5b316', '#d98c00', '#8f5a00'];
/** The PV sites' status colours (vocabulary PvSiteStatus). */
const PV_STATUS = { ok: '#2e9e5b', underperforming: '#c8323a', data_gap: '#ec8a3a',
  unmetered: '#7b8a86', not_in_operation: '#ffffff' };

const PMTILES = '/vendor/pmtiles/pmtiles.js';

let libPromise = null;
let pmtilesPromise = null;

/** The pmtiles library (a classic script defining `window.pmtiles`), its protocol registered
 * on MapLibre once: `pmtiles://<url>` sources read the archive by HTTP range requests. */
function loadPmtiles(lib) {
  if (!pmtilesPromise) {
    pmtilesPromise = new Promise((resolve, reject) => {
      if (window.pmtiles) { resolve(window.pmtiles); return; }
      const el = document.createElement('script');
      el.src = PMTILES;
      el.onload = () => resolve(window.pmtiles);
      el.onerror = () => reject(new Error(`cannot load ${PMTILES}`));
      document.head.appendChild(el);
    }).then((pm) => {
      const protocol = new pm.Protocol();
      lib.addProtocol('pmtiles', protocol.tile);
      return pm;
    });
  }
  return pmtilesPromise;
}

/** The base layer: the imported PMTiles base map, else the intranet tile URL, else none. */
async function baseLayers(lib, first, style) {
  const base = first.basemap;
  if (base && base.url) {
    try {
      const pm = await loadPmtiles(lib);
      const url = `pmtiles://${window.location.origin}${base.url}`;
      if (base.raster) {
        style.sources.basemap = { type: 'raster', url, tileSize: 256 };
        style.layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.9 } });
      } else {
        // vector tiles: their layers drawn plainly (no labels: the map's own labels are HTML)
        const meta = await new pm.PMTiles(`${window.location.origin}${base.url}`).getMetadata();
        style.sources.basemap = { type: 'vector', url };
        for (const vl of (meta && meta.vector_layers) || []) {
          style.layers.push({ id: `basemap-${vl.id}-fill`, type: 'fill', source: 'basemap', 'source-layer': vl.id,
            filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#dfe7e4', 'fill-opacity': 0.6 } });
          style.layers.push({ id: `basemap-${vl.id}-line`, type: 'line', source: 'basemap', 'source-layer': vl.id,
            paint: { 'line-color': '#b7c4c0', 'line-width': 0.8 } });
        }
      }
      return 'pmtiles';
    } catch (err) {
      console.warn('base map not loaded', err && err.message);
    }
  }
  if (first.tile_url) {
    style.sources.tiles = { type: 'raster', tiles: [first.tile_url], tileSize: 256 };
    style.layers.push({ id: 'tiles', type: 'raster', source: 'tiles', paint: { 'raster-opacity': 0.85 } });
    return 'tiles';
  }
  return '';
}

function loadLib() {
  if (!libPromise) {
    libPromise = import(LIB).then((lib) => {
      const m = lib.default && lib.default.Map ? lib.default : lib;
      if (typeof m.setWorkerUrl === 'function') m.setWorkerUrl(WORKER);
      return m;
    });
  }
  return libPromise;
}

/** Months as [{year, month, param}] whatever the API sends ('2024-03', 3, or {year, month});
 * `param` is what `GET /map?month=` takes back ('2024-03'). */
function parseMonths(months, year) {
  return (months || []).map((m) => {
    let y = Number(year);
    let mm;
    if (typeof m === 'number') mm = m;
    else if (typeof m === 'string') {
      const parts = m.split('-').map(Number);
      if (parts.length > 1) [y, mm] = parts; else [mm] = parts;
    } else { y = Number(m.year ?? year); mm = Number(m.month); }
    return { year: y, month: mm, param: `${y}-${String(mm).padStart(2, '0')}` };
  }).filter((m) => m.month >= 1 && m.month <= 12);
}

function periodLabel(year, month) {
  if (!month) return `${t('map.wholeYear')} ${year}`;
  // the catalogue's map.month: zh "{y} 年 {m} 月", en "{y}-{m}" with a two-digit month
  return t('map.month', { y: year, m: lang() === 'en' ? String(month).padStart(2, '0') : month });
}

/** The district's fixed scale of a layer's metric (server-side breaks, the same whoever
 * looks): `{unit, breaks}`; k breaks make k + 1 classes. */
function scaleOf(state, layer, prop) {
  return (state.scales || {})[`${layer}_${prop}`] || { unit: '', breaks: [] };
}

/** A step expression: class i (values in [b(i-1), b(i))) takes ramp colour i, spread over the
 * ramp when there are fewer classes than colours. */
function classColours(nClasses, ramp) {
  if (nClasses <= 1) return [ramp[Math.floor(ramp.length / 2)]];
  return Array.from({ length: nClasses },
    (_, i) => ramp[Math.round((i * (ramp.length - 1)) / (nClasses - 1))]);
}

function colourExpr(prop, scale, ramp) {
  const cols = classColours(scale.breaks.length + 1, ramp);
  const value = ['to-number', ['get', prop]];
  const step = scale.breaks.length ? ['step', value, cols[0]] : cols[0];
  if (scale.breaks.length) scale.breaks.forEach((b, i) => step.push(b, cols[i + 1]));
  return ['case', ['==', ['typeof', ['get', prop]], 'number'], step, NO_DATA];
}

function radiusExpr(scale) {
  const b = scale.breaks;
  if (!b.length) return 8;
  // circles grow over the district's classes of tCO2 (fixed, like the colours)
  const step = ['step', ['to-number', ['get', 'tco2'], 0], 5];
  b.forEach((v, i) => step.push(v, 5 + Math.round(((i + 1) * 15) / b.length)));
  return step;
}

/** The legend's class ranges, in units: `< 25`, `25 – 40`, ..., `≥ 80` (distinct by
 * construction: the server merges equal breaks). */
function classRanges(scale) {
  const b = scale.breaks;
  const u = scale.unit;
  if (!b.length) return [`${t('map.allValues')} ${u}`];
  const out = [`< ${numTrim(b[0])} ${u}`];
  for (let i = 1; i < b.length; i += 1) out.push(`${numTrim(b[i - 1])} – ${numTrim(b[i])} ${u}`);
  out.push(`≥ ${numTrim(b[b.length - 1])} ${u}`);
  return out;
}

function classList(scale, ramp, testid) {
  const cols = classColours(scale.breaks.length + 1, ramp);
  return html`<ul class="legend-classes" data-testid="${testid}" data-breaks="${JSON.stringify(scale.breaks)}">
    ${classRanges(scale).map((r, i) => html`<li><i style="background:${cols[i]}"></i><span data-testid="legend-class">${r}</span></li>`)}
    <li><i style="background:${NO_DATA}"></i><span>${t('app.noData')}</span></li></ul>`;
}

function pvLegend(state) {
  if (!state.pv) return '';
  const parts = [];
  if (state.pvOn.sites) {
    const kwp = scaleOf(state.pv, 'sites', 'kwp_dc');
    parts.push(html`<div class="small" style="margin-top:12px">${t('map.pvSitesLegend')}</div>
      <ul class="legend-classes" data-testid="legend-pv-sites">
      ${Object.entries(PV_STATUS).map(([code, col]) => html`<li><i style="background:${col};border:1px solid #1d2a27"></i><span data-testid="legend-pv-status" data-status="${code}">${label('pv.status', code)}</span></li>`)}
      </ul>
      <div class="legend-dots" style="margin-top:6px">
        <i style="width:8px;height:8px"></i>${kwp.breaks.length ? `< ${numTrim(kwp.breaks[0])}` : '—'}
        <i style="width:18px;height:18px"></i>${kwp.breaks.length ? `≥ ${numTrim(kwp.breaks[kwp.breaks.length - 1])}` : '—'} kWp
      </div>`);
  }
  if (state.pvOn.roofs) {
    parts.push(html`<div class="small" style="margin-top:12px">${t('map.pvRoofsLegend')}</div>
      ${classList(scaleOf(state.pv, 'roofs', 'potential_kwp'), PV_RAMP, 'legend-pv-roofs')}`);
  }
  if (parts.length && !(state.pv.sites.features.length || state.pv.roofs.features.length)) {
    parts.push(html`<div class="muted small" data-testid="legend-pv-none">${t('map.pvNone')}</div>`);
  }
  return parts.length ? html`<div data-testid="legend-pv">${parts}</div>` : '';
}

function legendMarkup(state) {
  const byEui = state.shade === 'kgce_per_m2';
  const tco2 = scaleOf(state, 'entities', 'tco2');
  return html`<div class="card" data-testid="map-legend">
    <h3>${t('map.legend')}</h3>
    <div class="small">${t('map.legendStreets')}: ${byEui ? t('map.byEui') : t('map.byCo2')}</div>
    ${classList(scaleOf(state, 'streets', state.shade), byEui ? EUI_RAMP : RAMP, 'legend-streets')}
    <div class="small" style="margin-top:12px">${t('map.legendBuildings')}</div>
    ${classList(scaleOf(state, 'entities', 'kgce_per_m2'), EUI_RAMP, 'legend-entities')}
    <div class="legend-dots" style="margin-top:6px">
      <i style="width:10px;height:10px"></i>${tco2.breaks.length ? `< ${numTrim(tco2.breaks[0])}` : '—'}
      <i style="width:26px;height:26px"></i>${tco2.breaks.length ? `≥ ${numTrim(tco2.breaks[tco2.breaks.length - 1])}` : '—'} tCO2
    </div>
    <div class="legend-dots" style="margin-top:6px"><i style="width:12px;height:12px;border:2px solid #1d2a27"></i>${t('map.legendKey')}</div>
    ${pvLegend(state)}
    <div class="muted small" style="margin-top:6px">${t('map.legendFixed')}</div>
  </div>`;
}

/** A label point for a polygon: the area centroid of its largest outer ring. */
function labelPoint(geom) {
  if (!geom) return null;
  const polys = geom.type === 'Polygon' ? [geom.coordinates]
    : geom.type === 'MultiPolygon' ? geom.coordinates : [];
  let best = null;
  for (const poly of polys) {
    const ring = poly[0] || [];
    let a = 0; let cx = 0; let cy = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      a += f; cx += (ring[j][0] + ring[i][0]) * f; cy += (ring[j][1] + ring[i][1]) * f;
    }
    if (Math.abs(a) > 1e-14 && (!best || Math.abs(a) > best.a)) {
      best = { a: Math.abs(a), p: [cx / (3 * a), cy / (3 * a)] };
    }
  }
  return best ? best.p : null;
}

/** Building names are shown from this zoom on (the street names at every zoom). */
const ENTITY_LABEL_ZOOM = 14.5;
const MAX_ENTITY_LABELS = 300;

function bounds(collections) {
  let w = Infinity; let s = Infinity; let e = -Infinity; let n = -Infinity;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
    } else c.forEach(visit);
  };
  for (const fc of collections) {
    for (const f of fc.features || []) if (f.geometry && f.geometry.coordinates) visit(f.geometry.coordinates);
  }
  return Number.isFinite(w) ? [[w, s], [e, n]] : null;
}

const entityId = (p) => p.entity_id ?? p.id;
const streetKey = (p) => p.street_id ?? p.code;

function entityCard(p, period) {
  const id = entityId(p);
  const name = pick(p, 'name') || id;
  const type = [label('kind', p.kind), p.building_type ? label('btype', p.building_type) : '']
    .filter(Boolean).join(' · ') || '—';
  return html`<div class="card info-card" data-testid="entity-card" data-entity-id="${id}">
    <h3>${name}</h3>
    <div class="muted small">${id}${p.is_key_unit ? html` · <span class="badge key">${t('map.keyUnit')}</span>` : ''}</div>
    <dl>
      <dt>${t('col.type')}</dt><dd>${type}</dd>
      ${streetName(p, 'street_name') ? html`<dt>${t('col.street')}</dt><dd>${streetName(p, 'street_name')}</dd>` : ''}
      <dt>${t('col.co2')}</dt><dd data-testid="entity-card-tco2" data-value="${isNum(p.tco2) ? p.tco2 : ''}">${num(p.tco2)}</dd>
      ${isNum(p.tce_equal) ? html`<dt>${t('col.energy')}</dt><dd>${num(p.tce_equal)}</dd>` : ''}
      <dt>${t('col.eui')}</dt><dd data-testid="entity-card-eui" data-value="${isNum(p.kgce_per_m2) ? p.kgce_per_m2 : ''}">${num(p.kgce_per_m2, 1)}</dd>
    </dl>
    <div class="muted small">${period}</div>
    <p><a href="#/entities/${encodeURIComponent(id)}" data-testid="entity-card-link">${t('map.open')} →</a></p>
  </div>`;
}

function pvSiteCard(p, year) {
  return html`<div class="card info-card" data-testid="pv-site-card" data-site-id="${p.site_id}">
    <h3>${p.name || p.entity_id}</h3>
    <div class="muted small">${t('map.pvSiteCard')} · ${p.site_id}</div>
    <dl>
      <dt>kWp</dt><dd data-testid="pv-site-card-kwp" data-value="${p.kwp_dc}">${num(p.kwp_dc, 1)}</dd>
      <dt>kW AC</dt><dd>${num(p.kw_ac, 1)}</dd>
      <dt>${t('pv.commissioned')}</dt><dd>${p.commissioned_on}</dd>
      <dt>${t('map.pvStatus')}</dt><dd data-testid="pv-site-card-status" data-status="${p.status}">${label('pv.status', p.status)}</dd>
      <dt>${t('map.pvMedianPr')}</dt><dd>${isNum(p.median_pr) ? num(p.median_pr, 2) : '—'}</dd>
      <dt>${t('map.pvFlagged')}</dt><dd>${num(p.months_flagged, 0)}</dd>
    </dl>
    <div class="muted small">${year}</div>
    <p><a href="#/pv?year=${year}">${t('map.pvOpen')} →</a></p>
  </div>`;
}

function pvRoofCard(p) {
  return html`<div class="card info-card" data-testid="pv-roof-card" data-entity-id="${p.entity_id}">
    <h3>${p.name || p.entity_id}</h3>
    <div class="muted small">${t('map.pvRoofCard')}</div>
    <dl>
      <dt>${t('map.pvCohort')}</dt><dd>${t(`pv.cohort.${p.cohort}`)}</dd>
      <dt>${t('map.pvPotential')}</dt><dd data-testid="pv-roof-card-potential" data-value="${p.potential_kwp}">${num(p.potential_kwp, 0)} kWp</dd>
      <dt>${t('map.pvPilot')}</dt><dd>${num(p.pilot_kwp, 0)} kWp</dd>
      <dt>${t('map.pvInstalled')}</dt><dd>${num(p.installed_kwp, 0)} kWp</dd>
    </dl>
  </div>`;
}

function streetCard(p, period, year) {
  const name = streetName(p) || p.code;
  const id = p.street_id;
  return html`<div class="card info-card" data-testid="street-card" data-street-id="${id ?? ''}">
    <h3>${name}</h3>
    <div class="muted small">${t('map.streetCard')}${p.approximate ? html` · ${t('map.approx')}` : ''}</div>
    <dl>
      <dt>${t('col.co2')}</dt><dd data-value="${isNum(p.tco2) ? p.tco2 : ''}">${num(p.tco2)}</dd>
      <dt>${t('col.energy')}</dt><dd data-value="${isNum(p.tce_equal) ? p.tce_equal : ''}">${num(p.tce_equal)}</dd>
      <dt>${t('col.eui')}</dt><dd>${num(p.kgce_per_m2, 1)}</dd>
      ${isNum(p.n_entities) ? html`<dt>${t('col.entities')}</dt><dd>${num(p.n_entities, 0)}</dd>` : ''}
    </dl>
    <div class="muted small">${period}</div>
    ${id !== undefined && id !== null ? html`<p><a href="#/key-units?street_id=${encodeURIComponent(id)}&year=${year}">${t('nav.keyUnits')} →</a></p>` : ''}
  </div>`;
}

function addLayers(map, state) {
  map.addSource('streets', { type: 'geojson', data: state.data.streets || EMPTY });
  map.addSource('entities', { type: 'geojson', data: state.data.entities || EMPTY });
  map.addLayer({ id: 'streets-fill', type: 'fill', source: 'streets',
    paint: { 'fill-color': NO_DATA, 'fill-opacity': 0.72 } });
  map.addLayer({ id: 'streets-line', type: 'line', source: 'streets',
    paint: { 'line-color': '#ffffff', 'line-width': 1.5 } });
  map.addLayer({ id: 'streets-selected', type: 'line', source: 'streets',
    filter: ['==', ['get', 'code'], '__none__'],
    paint: { 'line-color': '#0f5a4a', 'line-width': 3 } });
  map.addLayer({ id: 'entities-circle', type: 'circle', source: 'entities',
    paint: { 'circle-color': NO_DATA, 'circle-radius': 6, 'circle-opacity': 0.9,
      'circle-stroke-color': ['case', ['to-boolean', ['get', 'is_key_unit']], '#1d2a27', '#ffffff'],
      'circle-stroke-width': ['case', ['to-boolean', ['get', 'is_key_unit']], 2, 1] } });
}

function pvRadius(scale) {
  const b = scale.breaks;
  if (!b.length) return 6;
  const step = ['step', ['to-number', ['get', 'kwp_dc'], 0], 4];
  b.forEach((v, i) => step.push(v, 4 + Math.round(((i + 1) * 6) / b.length)));
  return step;
}

/** The PV sources and layers (above the buildings), shown as `state.pvOn` says. */
function addPvLayers(map, state) {
  if (!state.pv) return;
  map.addSource('pv-roofs', { type: 'geojson', data: state.pv.roofs });
  map.addSource('pv-sites', { type: 'geojson', data: state.pv.sites });
  map.addLayer({ id: 'pv-roofs-ring', type: 'circle', source: 'pv-roofs',
    paint: { 'circle-radius': 11, 'circle-opacity': 0, 'circle-stroke-width': 3,
      'circle-stroke-color': colourExpr('potential_kwp', scaleOf(state.pv, 'roofs', 'potential_kwp'), PV_RAMP) } });
  map.addLayer({ id: 'pv-sites-badge', type: 'circle', source: 'pv-sites',
    paint: { 'circle-radius': pvRadius(scaleOf(state.pv, 'sites', 'kwp_dc')),
      'circle-color': ['match', ['get', 'status'], ...Object.entries(PV_STATUS).flat(), NO_DATA],
      'circle-stroke-color': '#1d2a27', 'circle-stroke-width': 1, 'circle-translate': [9, -9] } });
  showPv(map, state);
}

function showPv(map, state) {
  if (!map.getLayer('pv-sites-badge')) return;
  map.setLayoutProperty('pv-sites-badge', 'visibility', state.pvOn.sites ? 'visible' : 'none');
  map.setLayoutProperty('pv-roofs-ring', 'visibility', state.pvOn.roofs ? 'visible' : 'none');
}

function restyle(map, state) {
  map.setPaintProperty('streets-fill', 'fill-color',
    colourExpr(state.shade, scaleOf(state, 'streets', state.shade), state.shade === 'tco2' ? RAMP : EUI_RAMP));
  map.setPaintProperty('entities-circle', 'circle-color',
    colourExpr('kgce_per_m2', scaleOf(state, 'entities', 'kgce_per_m2'), EUI_RAMP));
  map.setPaintProperty('entities-circle', 'circle-radius', radiusExpr(scaleOf(state, 'entities', 'tco2')));
}

/** Street and building names as HTML markers: the browser's own fonts draw Chinese and Latin
 * alike, so no glyph files are needed offline (see docs/dashboard.md, "The carbon map"). */
function makeLabels(lib, map, state) {
  const streets = [];
  for (const f of state.data.streets.features || []) {
    const p = f.properties || {};
    const at = labelPoint(f.geometry);
    if (!at) continue;
    const el = document.createElement('div');
    el.className = 'map-label map-label-street';
    el.dataset.testid = 'map-label-street';
    el.dataset.code = p.code ?? '';
    el.textContent = streetName(p) || p.code || '';
    streets.push(new lib.Marker({ element: el, anchor: 'center' }).setLngLat(at).addTo(map));
  }
  let entities = new Map();
  const updateEntities = () => {
    const show = map.getZoom() >= ENTITY_LABEL_ZOOM;
    const b = map.getBounds();
    const want = new Map();
    if (show) {
      for (const f of state.data.entities.features || []) {
        const c = f.geometry && f.geometry.coordinates;
        if (!c || !b.contains(c)) continue;
        want.set(entityId(f.properties), f);
        if (want.size >= MAX_ENTITY_LABELS) break;
      }
    }
    for (const [id, m] of entities) if (!want.has(id)) { m.remove(); entities.delete(id); }
    for (const [id, f] of want) {
      if (entities.has(id)) continue;
      const el = document.createElement('div');
      el.className = 'map-label map-label-entity';
      el.dataset.testid = 'map-label-entity';
      el.dataset.entityId = id;
      el.textContent = pick(f.properties, 'name') || id;
      entities.set(id, new lib.Marker({ element: el, anchor: 'top', offset: [0, 10] })
        .setLngLat(f.geometry.coordinates).addTo(map));
    }
  };
  map.on('moveend', updateEntities);
  updateEntities();
  return () => {
    map.off('moveend', updateEntities);
    streets.forEach((m) => m.remove());
    entities.forEach((m) => m.remove());
    entities = new Map();
  };
}

export async function render(view, { query, setQuery, isCurrent }) {
  setHTML(view, loading());
  const year = query.year || '';
  const [lib, first] = await Promise.all([loadLib(), get('/map', { year })]);
  if (!isCurrent()) return undefined;
  rememberYears(first.years);
  const shownYear = first.year || year || (session.years[0] ?? '');
  const months = parseMonths(first.months, shownYear);
  let pv = null;
  if (shownYear) {
    try { pv = await get('/pv/map', { year: shownYear }); } catch (err) { console.warn('PV layers not loaded', err && err.message); }
    if (!isCurrent()) return undefined;
  }
  const pvWanted = String(query.pv || '').split(',');
  const state = {
    pv,
    pvOn: { sites: pvWanted.includes('sites'), roofs: pvWanted.includes('roofs') },
    data: { streets: first.streets || EMPTY, entities: first.entities || EMPTY },
    scales: first.scales || {},
    shade: query.shade === 'kgce_per_m2' ? 'kgce_per_m2' : 'tco2',
    index: 0, // 0: whole year; i: months[i - 1]
    seq: 0,
    approximate: first.approximate_boundaries ?? (first.streets?.features || []).some((f) => f.properties?.approximate),
  };
  const period = () => {
    const m = months[state.index - 1];
    return m ? periodLabel(m.year, m.month) : periodLabel(shownYear, null);
  };

  setHTML(view, html`
    ${pageHead(t('map.title'), html`${yearSelect(first.years, shownYear)}`)}
    <div class="map-controls card">
      <div class="field-inline"><span class="muted small">${t('map.shadeBy')}</span>
        <div class="seg" role="group" data-testid="map-shade">
          <button type="button" data-shade="tco2" class="${state.shade === 'tco2' ? 'on' : ''}">${t('map.byCo2')}</button>
          <button type="button" data-shade="kgce_per_m2" class="${state.shade === 'kgce_per_m2' ? 'on' : ''}">${t('map.byEui')}</button>
        </div></div>
      <div class="slider">
        <span class="muted small">${t('map.period')}</span>
        <input type="range" min="0" max="${months.length}" step="1" value="0" data-testid="map-slider"
          aria-label="${t('map.period')}" ${months.length ? '' : raw('disabled')}>
        <span class="map-month" data-testid="map-month-label" data-month="">${period()}</span>
      </div>
      ${pv ? html`<div class="field-inline" data-testid="map-pv"><span class="muted small">${t('map.pvLayers')}</span>
        <label><input type="checkbox" data-pv="sites" ${state.pvOn.sites ? raw('checked') : ''}> ${t('map.pvSites')}</label>
        <label><input type="checkbox" data-pv="roofs" ${state.pvOn.roofs ? raw('checked') : ''}> ${t('map.pvRoofs')}</label>
      </div>` : ''}
    </div>
    <div class="map-layout">
      <div class="map-box">
        <div class="map-canvas" data-testid="map-canvas" data-loaded=""></div>
        ${state.approximate ? html`<div class="map-note" data-testid="map-approx">${t('map.approx')}</div>` : ''}
        <div class="map-busy" hidden>${t('app.loading')}</div>
      </div>
      <div class="map-side">
        <div data-role="legend"></div>
        <div data-role="card"><div class="card muted small">${t('map.clickHint')}</div></div>
      </div>
    </div>`);

  const canvasBox = $('[data-testid="map-canvas"]', view);
  const slider = $('[data-testid="map-slider"]', view);
  const monthLabel = $('[data-testid="map-month-label"]', view);
  const busy = $('.map-busy', view);
  const legendBox = $('[data-role="legend"]', view);
  const cardBox = $('[data-role="card"]', view);
  const key = () => {
    const m = months[state.index - 1];
    return m ? m.param : `${shownYear}`;
  };

  const style = {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#e9efed' } }],
  };
  canvasBox.dataset.base = await baseLayers(lib, first, style);
  if (!isCurrent()) return undefined;
  let map;
  try {
    map = new lib.Map({
      container: canvasBox,
      style,
      bounds: bounds([state.data.streets, state.data.entities]) || undefined,
      fitBoundsOptions: { padding: 30 },
      center: [121.48, 31.23],
      zoom: 12,
      attributionControl: false,
      canvasContextAttributes: { preserveDrawingBuffer: true },
      locale: lang() === 'zh' ? { 'NavigationControl.ZoomIn': '放大', 'NavigationControl.ZoomOut': '缩小',
        'NavigationControl.ResetBearing': '重置方向' } : undefined,
    });
  } catch (err) {
    setHTML(canvasBox, html`<div class="panel error-panel">${t('map.noWebgl')}<br><span class="muted small">${String(err && err.message)}</span></div>`);
    return undefined;
  }
  window.__cpMap = map;
  // a missing background tile is not worth an error: the data layers are the map
  map.on('error', (ev) => {
    const src = ev && ev.sourceId;
    if (src === 'tiles' || src === 'basemap') console.warn('map tile failed', ev.error && ev.error.message);
    else console.error('map error', ev && ev.error ? ev.error.message || ev.error : ev);
  });
  map.addControl(new lib.NavigationControl({ showCompass: false }), 'top-right');

  const markReady = () => {
    const want = key();
    map.once('idle', () => { if (key() === want) canvasBox.dataset.loaded = want; });
    map.triggerRepaint();
  };
  const drawLegend = () => setHTML(legendBox, legendMarkup(state));

  let dropLabels = () => {};
  map.on('load', () => {
    addLayers(map, state);
    addPvLayers(map, state);
    restyle(map, state);
    dropLabels = makeLabels(lib, map, state);
    drawLegend();
    markReady();
  });

  const pickAt = (point) => {
    const pvLayers = ['pv-sites-badge', 'pv-roofs-ring'].filter((id) => map.getLayer(id)
      && map.getLayoutProperty(id, 'visibility') !== 'none');
    if (pvLayers.length) {
      const hits = map.queryRenderedFeatures(point, { layers: pvLayers });
      const site = hits.find((f) => f.layer.id === 'pv-sites-badge');
      if (site) return { kind: 'pv-site', f: site };
      if (hits.length) return { kind: 'pv-roof', f: hits[0] };
    }
    const ents = map.queryRenderedFeatures(point, { layers: ['entities-circle'] });
    if (ents.length) return { kind: 'entity', f: ents[0] };
    const sts = map.queryRenderedFeatures(point, { layers: ['streets-fill'] });
    return sts.length ? { kind: 'street', f: sts[0] } : null;
  };
  map.on('click', (ev) => {
    const hit = pickAt(ev.point);
    if (!hit) return;
    const p = hit.f.properties || {};
    if (hit.kind === 'pv-site' || hit.kind === 'pv-roof') {
      state.selected = null;
      setHTML(cardBox, hit.kind === 'pv-site' ? pvSiteCard(p, shownYear) : pvRoofCard(p));
      return;
    }
    if (hit.kind === 'entity') {
      state.selected = { kind: 'entity', id: entityId(p) };
      setHTML(cardBox, entityCard(p, period()));
      map.setFilter('streets-selected', ['==', ['get', 'code'], '__none__']);
    } else {
      state.selected = { kind: 'street', id: streetKey(p) };
      setHTML(cardBox, streetCard(p, period(), shownYear));
      map.setFilter('streets-selected', ['==', ['get', 'code'], p.code ?? '__none__']);
    }
  });
  map.on('mousemove', (ev) => {
    map.getCanvas().style.cursor = pickAt(ev.point) ? 'pointer' : '';
  });

  /** Refresh the open card from the new data (same entity or street, new period). */
  const refreshCard = () => {
    const sel = state.selected;
    if (!sel) return;
    if (sel.kind === 'entity') {
      const f = (state.data.entities.features || []).find((x) => x.properties && entityId(x.properties) === sel.id);
      if (f) setHTML(cardBox, entityCard(f.properties, period()));
    } else {
      const f = (state.data.streets.features || []).find((x) => x.properties && streetKey(x.properties) === sel.id);
      if (f) setHTML(cardBox, streetCard(f.properties, period(), shownYear));
    }
  };

  const refetch = debounce(async () => {
    const seq = ++state.seq;
    const m = months[state.index - 1];
    busy.hidden = false;
    try {
      const d = await get('/map', { year: m ? m.year : shownYear, month: m ? m.param : '' });
      if (seq !== state.seq || !isCurrent()) return;
      state.data = { streets: d.streets || EMPTY, entities: d.entities || EMPTY };
      state.scales = d.scales || {};
      dropLabels();
      dropLabels = makeLabels(lib, map, state);
      map.getSource('streets')?.setData(state.data.streets);
      map.getSource('entities')?.setData(state.data.entities);
      restyle(map, state);
      drawLegend();
      refreshCard();
      markReady();
    } catch (err) {
      if (isCurrent()) console.warn('map refresh failed', err);
    } finally {
      if (seq === state.seq) busy.hidden = true;
    }
  }, 200);

  const offs = [
    on(view, 'input', '[data-testid="map-slider"]', () => {
      state.index = Number(slider.value) || 0;
      const m = months[state.index - 1];
      monthLabel.textContent = period();
      monthLabel.dataset.month = m ? key() : '';
      canvasBox.dataset.loaded = '';
      refetch();
    }),
    on(view, 'click', 'button[data-shade]', (_, el) => {
      state.shade = el.dataset.shade;
      view.querySelectorAll('button[data-shade]').forEach((b) => b.classList.toggle('on', b === el));
      if (map.getLayer('streets-fill')) { restyle(map, state); drawLegend(); markReady(); }
    }),
    on(view, 'change', 'select[data-role="year"]', (_, el) => setQuery({ year: el.value })),
    on(view, 'change', 'input[data-pv]', (_, el) => {
      state.pvOn[el.dataset.pv] = el.checked;
      showPv(map, state);
      drawLegend();
      markReady();
    }),
  ];
  return () => {
    offs.forEach((f) => f());
    state.seq += 1;
    if (window.__cpMap === map) window.__cpMap = null;
    dropLabels();
    map.remove();
  };
}
