// Rooftop PV (屋顶光伏): the sites in scope with their modelled yield (GET /pv/sites?year=),
// each metered site's year against its model with the months flagged (GET /pv/monitoring),
// and for the district's analysts the roof potential per street and cohort and the progress
// against the plans' targets (GET /pv/potential, /pv/progress; 403 for the other roles), and
// the year's stored forecasts with their accuracy once measured (GET /pv/forecasts, analysts).
// Every figure cell carries its API value in `data-value` (the browser test compares them).
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
      <th>${t('pv.site')}</th><th>${t('pv.building')}</th><th class="num">${t('pv.kwpDc')}</th>
      <th class="num">${t('pv.kwAc')}</th><th>${t('pv.commissioned')}</th>
      <th class="num">${t('pv.modelledKwh')}</th><th class="num">${t('pv.specificYield')}</th></tr></thead><tbody>
    ${sites.items.map((s) => html`<tr data-site="${s.site_id}"><td>${s.site_id}</td>
      <td><a href="#/entities/${encodeURIComponent(s.entity_id)}">${s.entity_id}</a></td>
      <td class="num" data-col="kwp_dc" data-value="${s.kwp_dc}">${num(s.kwp_dc, 1)}</td>
      <td class="num" data-col="kw_ac" data-value="${s.kw_ac}">${num(s.kw_ac, 1)}</td>
      <td>${s.commissioned_on}</td><td class="num" data-col="ac_kwh" data-value="${s.ac_kwh ?? ''}">${num(s.ac_kwh, 0)}</td>
      <td class="num" data-col="specific_yield" data-value="${s.specific_yield_kwh_kwp ?? ''}">${num(s.specific_yield_kwh_kwp, 0)}</td></tr>`)}
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
      <th class="num">${t('pv.pr')}</th><th>${t('pv.flags')}</th></tr></thead><tbody>
    ${[...bySite.values()].map((s) => html`<tr data-site="${s.site_id}"><td>${s.site_id}</td>
      <td class="num" data-col="measured" data-value="${s.measured}">${num(s.measured, 0)}</td>
      <td class="num" data-col="modelled" data-value="${s.modelled}">${num(s.modelled, 0)}</td>
      <td class="num">${s.modelled ? pct(s.measured / s.modelled, { ratio: true }) : '—'}</td>
      <td class="num" data-col="pr" data-value="${median(s.prs) ?? ''}">${num(median(s.prs), 2)}</td>
      <td data-col="flags" data-under="${s.flags.has(t('pv.flag.under')) ? 1 : 0}">${[...s.flags].join('、')}</td></tr>`)}
    </tbody></table>`;
}

function potentialTable(pot) {
  return html`<table class="data" data-testid="pv-potential"><thead><tr>
      <th>${t('pv.street')}</th><th>${t('pv.cohort')}</th><th class="num">${t('pv.roofs')}</th>
      <th class="num">${t('pv.potential')}</th><th class="num">${t('pv.pilot')}</th>
      <th class="num">${t('pv.installed')}</th></tr></thead><tbody>
    ${pot.rows.map((r) => html`<tr data-cohort="${r.cohort}"><td>${r.street || '—'}</td><td>${t(`pv.cohort.${r.cohort}`)}</td>
      <td class="num">${num(r.roofs, 0)}</td><td class="num" data-col="potential" data-value="${r.potential_kwp}">${num(r.potential_kwp, 0)}</td>
      <td class="num" data-col="pilot" data-value="${r.pilot_kwp}">${num(r.pilot_kwp, 0)}</td>
      <td class="num" data-col="installed" data-value="${r.installed_kwp}">${num(r.installed_kwp, 0)}</td></tr>`)}
    </tbody><tfoot><tr><td colspan="3">${t('pv.total')}</td>
      <td class="num" data-testid="pv-potential-total" data-value="${pot.total_potential_kwp}">${num(pot.total_potential_kwp, 0)}</td>
      <td class="num" data-testid="pv-pilot-total" data-value="${pot.total_pilot_kwp}">${num(pot.total_pilot_kwp, 0)}</td>
      <td class="num" data-value="${pot.total_installed_kwp}">${num(pot.total_installed_kwp, 0)}</td></tr></tfoot></table>
    <p class="muted small">${t('pv.potentialNote', { eff: pct(pot.module_efficiency, { ratio: true }) })}</p>`;
}

function progressTable(prog) {
  const share = (g) => (g && g.count_share !== null ? pct(g.count_share, { ratio: true }) : '—');
  return html`<table class="data" data-testid="pv-progress"><thead><tr>
      <th>${t('year')}</th><th class="num">${t('pv.kwpDc')}</th><th class="num">${t('pv.kwAc')}</th>
      <th class="num">${t('pv.newSince', { year: prog.base_year })}</th>
      <th class="num">${t('pv.publicNew')}</th><th class="num">${t('pv.publicExisting')}</th></tr></thead><tbody>
    ${prog.years.map((y) => html`<tr data-year="${y.year}"><td>${y.year}</td><td class="num" data-col="kwp_dc" data-value="${y.kwp_dc}">${num(y.kwp_dc, 0)}</td>
      <td class="num" data-col="kw_ac" data-value="${y.kw_ac}">${num(y.kw_ac, 0)}</td><td class="num" data-col="new_kwp_dc" data-value="${y.new_kwp_dc}">${num(y.new_kwp_dc, 0)}</td>
      <td class="num">${share(y.groups.public_new)}</td><td class="num">${share(y.groups.public_existing)}</td></tr>`)}
    </tbody></table>`;
}

function forecastsTable(fcs) {
  if (!fcs.forecasts.length) return html`<p class="muted">${t('pv.noForecast')}</p>`;
  const m = fcs.measured;
  return html`<table class="data" data-testid="pv-forecasts"><thead><tr>
      <th>${t('pv.forecastDay')}</th><th class="num">${t('pv.forecastKwh')}</th>
      <th class="num">${t('pv.kwAc')}</th><th>${t('pv.dayAhead')}</th>
      <th class="num">${t('pv.nmae')}</th><th class="num">${t('pv.nrmse')}</th></tr></thead><tbody>
    ${fcs.forecasts.map((r) => html`<tr data-day="${r.date}"><td>${r.date}</td>
      <td class="num" data-col="kwh" data-value="${r.total_kwh}">${num(r.total_kwh, 0)}</td>
      <td class="num">${num(r.kw_ac, 0)}</td><td>${r.day_ahead ? t('pv.yes') : t('pv.no')}</td>
      <td class="num" data-col="nmae" data-value="${r.errors ? r.errors.nmae : ''}">${r.errors ? pct(r.errors.nmae, { ratio: true }) : '—'}</td>
      <td class="num" data-col="nrmse" data-value="${r.errors ? r.errors.nrmse : ''}">${r.errors ? pct(r.errors.nrmse, { ratio: true }) : '—'}</td></tr>`)}
    </tbody></table>
    <p class="muted small">${m ? t('pv.forecastMean', { days: m.days, nmae: pct(m.nmae, { ratio: true }), nrmse: pct(m.nrmse, { ratio: true }) }) : t('pv.forecastUnmeasured')}</p>`;
}

export async function render(view, { query, setQuery, isCurrent }) {
  setHTML(view, loading());
  if (!session.years.length) {  // the accounted years (the latest is the default)
    try { rememberYears((await get('/key-units', { limit: 1 })).years); } catch { /* none yet */ }
  }
  const year = query.year || session.years[0] || new Date().getFullYear() - 1;
  const analyst = ANALYST_ROLES.includes(session.user && session.user.role);
  const [sites, mon, pot, prog, fcs] = await Promise.all([
    get('/pv/sites', { year }), get('/pv/monitoring', { year }),
    analyst ? orNull('/pv/potential', {}) : null, analyst ? orNull('/pv/progress', { year }) : null,
    analyst ? orNull('/pv/forecasts', { year }) : null]);
  if (!isCurrent()) return undefined;
  const synthetic = sites.synthetic ? html`<p class="basis small" data-testid="pv-synthetic">${t('pv.synthetic')}</p>` : '';
  setHTML(view, html`
    ${pageHead(t('pv.title'), yearSelect(session.years, year))}
    <div class="panel"><h2>${t('pv.sites')}</h2>${synthetic}${sitesTable(sites)}</div>
    <div class="panel"><h2>${t('pv.monitoring', { threshold: pct(mon.fault_ratio, { ratio: true }) })}</h2>${monitoringTable(mon)}</div>
    ${prog ? html`<div class="panel"><h2>${t('pv.progress')}</h2>${publishedFigures(prog.figures, 'pv-figures')}${progressTable(prog)}</div>` : ''}
    ${pot ? html`<div class="panel"><h2>${t('pv.potentialTitle')}</h2>${potentialTable(pot)}</div>` : ''}
    ${fcs ? html`<div class="panel"><h2>${t('pv.forecasts')}</h2>${forecastsTable(fcs)}</div>` : ''}`);
  const off = [on(view, 'change', 'select[data-role="year"]', (_, el) => setQuery({ year: el.value }))];
  return () => off.forEach((f) => f());
}
