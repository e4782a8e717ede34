// Rooftop PV (屋顶光伏): the sites in scope with their modelled yield (GET /pv/sites?year=),
// each metered site's year against its model with the months flagged (GET /pv/monitoring),
// and for the district's analysts the roof potential per street and cohort and the progress
// against the plans' targets (GET /pv/potential, /pv/progress; 403 for the other roles).
import { ApiError, get } from '../api.js';
import { ANALYST_ROLES } from '../constants.js';
import { html, on, setHTML } from '../dom.js';
import { num, pct } from '../format.js';
import { t } from '../i18n.js';
import { rememberYears, session } from '../state.js';
import { loading, pageHead, publishedFigures, yearSelect } from '../ui.js';

async function orNull(path, params) {
  try {
    return await get(path, params);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return null;
    throw err;
  }
}

function sitesTable(sites) {
  if (!sites.items.length) return html`<p class="muted">${t('app.noData')}</p>`;
  return html`<table class="data" data-testid="pv-sites"><thead><tr>
      <th>${t('pv.site')}</th><th>${t('pv.building')}</th><th class="num">kWp</th>
      <th class="num">kW AC</th><th>${t('pv.commissioned')}</th>
      <th class="num">${t('pv.modelledKwh')}</th><th class="num">kWh/kWp</th></tr></thead><tbody>
    ${sites.items.map((s) => html`<tr data-site="${s.site_id}"><td>${s.site_id}</td>
      <td><a href="#/entities/${encodeURIComponent(s.entity_id)}">${s.entity_id}</a></td>
      <td class="num">${num(s.kwp_dc, 1)}</td><td class="num">${num(s.kw_ac, 1)}</td>
      <td>${s.commissioned_on}</td><td class="num">${num(s.ac_kwh, 0)}</td>
      <td class="num">${num(s.specific_yield_kwh_kwp, 0)}</td></tr>`)}
    </tbody></table>`;
}

function monitoringTable(mon) {
  const bySite = new Map();
  for (const r of mon.rows) {
    const s = bySite.get(r.site_id) || { site_id: r.site_id, measured: 0, modelled: 0, prs: [], flags: new Set() };
    if (!r.data_gap) { s.measured += r.measured_kwh; s.modelled += r.modelled_kwh; }
    if (!r.data_gap && r.performance_ratio !== null) s.prs.push(r.performance_ratio);
    if (r.underperforming) s.flags.add(t('pv.flag.under'));
    if (r.data_gap) s.flags.add(t('pv.flag.gap'));
    if (r.clipping_suspected) s.flags.add(t('pv.flag.clipping'));
    bySite.set(r.site_id, s);
  }
  if (!bySite.size) return html`<p class="muted">${t('app.noData')}</p>`;
  const median = (xs) => { const v = [...xs].sort((a, b) => a - b); return v.length ? v[Math.floor(v.length / 2)] : null; };
  return html`<table class="data" data-testid="pv-monitoring"><thead><tr>
      <th>${t('pv.site')}</th><th class="num">${t('pv.measuredKwh')}</th>
      <th class="num">${t('pv.modelledKwh')}</th><th class="num">${t('pv.ratio')}</th>
      <th class="num">PR</th><th>${t('pv.flags')}</th></tr></thead><tbody>
    ${[...bySite.values()].map((s) => html`<tr data-site="${s.site_id}"><td>${s.site_id}</td>
      <td class="num">${num(s.measured, 0)}</td><td class="num">${num(s.modelled, 0)}</td>
      <td class="num">${s.modelled ? pct(s.measured / s.modelled, { ratio: true }) : '—'}</td>
      <td class="num">${num(median(s.prs), 2)}</td><td>${[...s.flags].join('、')}</td></tr>`)}
    </tbody></table>`;
}

function potentialTable(pot) {
  return html`<table class="data" data-testid="pv-potential"><thead><tr>
      <th>${t('pv.street')}</th><th>${t('pv.cohort')}</th><th class="num">${t('pv.roofs')}</th>
      <th class="num">${t('pv.potential')}</th><th class="num">${t('pv.pilot')}</th>
      <th class="num">${t('pv.installed')}</th></tr></thead><tbody>
    ${pot.rows.map((r) => html`<tr><td>${r.street || '—'}</td><td>${t(`pv.cohort.${r.cohort}`)}</td>
      <td class="num">${num(r.roofs, 0)}</td><td class="num">${num(r.potential_kwp, 0)}</td>
      <td class="num">${num(r.pilot_kwp, 0)}</td><td class="num">${num(r.installed_kwp, 0)}</td></tr>`)}
    </tbody></table>
    <p class="muted small">${t('pv.potentialNote', { eff: pct(pot.module_efficiency, { ratio: true }) })}</p>`;
}

function progressTable(prog) {
  const share = (g) => (g && g.count_share !== null ? pct(g.count_share, { ratio: true }) : '—');
  return html`<table class="data" data-testid="pv-progress"><thead><tr>
      <th>${t('year')}</th><th class="num">kWp DC</th><th class="num">kW AC</th>
      <th class="num">${t('pv.newSince', { year: prog.base_year })}</th>
      <th class="num">${t('pv.publicNew')}</th><th class="num">${t('pv.publicExisting')}</th></tr></thead><tbody>
    ${prog.years.map((y) => html`<tr><td>${y.year}</td><td class="num">${num(y.kwp_dc, 0)}</td>
      <td class="num">${num(y.kw_ac, 0)}</td><td class="num">${num(y.new_kwp_dc, 0)}</td>
      <td class="num">${share(y.groups.public_new)}</td><td class="num">${share(y.groups.public_existing)}</td></tr>`)}
    </tbody></table>`;
}

export async function render(view, { query, setQuery, isCurrent }) {
  setHTML(view, loading());
  if (!session.years.length) {  // the accounted years (the latest is the default)
    try { rememberYears((await get('/key-units', { limit: 1 })).years); } catch { /* none yet */ }
  }
  const year = query.year || session.years[0] || new Date().getFullYear() - 1;
  const analyst = ANALYST_ROLES.includes(session.user && session.user.role);
  const [sites, mon, pot, prog] = await Promise.all([
    get('/pv/sites', { year }), get('/pv/monitoring', { year }),
    analyst ? orNull('/pv/potential', {}) : null, analyst ? orNull('/pv/progress', { year }) : null]);
  if (!isCurrent()) return undefined;
  const synthetic = sites.synthetic ? html`<p class="basis small" data-testid="pv-synthetic">${t('pv.synthetic')}</p>` : '';
  setHTML(view, html`
    ${pageHead(t('pv.title'), yearSelect(session.years, year))}
    <div class="panel"><h2>${t('pv.sites')}</h2>${synthetic}${sitesTable(sites)}</div>
    <div class="panel"><h2>${t('pv.monitoring', { threshold: num(mon.pr_threshold, 2) })}</h2>${monitoringTable(mon)}</div>
    ${prog ? html`<div class="panel"><h2>${t('pv.progress')}</h2>${publishedFigures(prog.figures, 'pv-figures')}${progressTable(prog)}</div>` : ''}
    ${pot ? html`<div class="panel"><h2>${t('pv.potentialTitle')}</h2>${potentialTable(pot)}</div>` : ''}`);
  const off = [on(view, 'change', 'select[data-role="year"]', (_, el) => setQuery({ year: el.value }))];
  return () => off.forEach((f) => f());
}
