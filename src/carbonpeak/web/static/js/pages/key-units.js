// Key energy-using units: GET /key-units?year=&q=&street_id=&level=&limit=&offset= with a
// search box, filters, paging and CSV/xlsx downloads of the same filter; a click on a header
// sorts the whole list on the server (&sort=&order=), not only the page shown.
import { apiUrl, get } from '../api.js';
import { LEVEL_ORDER, Role } from '../constants.js';
import { $, debounce, html, on, raw, setHTML } from '../dom.js';
import { isNum, num } from '../format.js';
import { label, lang, pick, sectorLabel, streetName, t } from '../i18n.js';
import { rememberYears, session } from '../state.js';
import { serverSortAttrs } from '../table.js';
import { hashFor, itemsOf, levelBadge, loading, pageHead, pager, yearSelect } from '../ui.js';

const LIMIT = 50;
const LEVELS = LEVEL_ORDER;

async function streetsList() {
  if (!session.streets) {
    try {
      session.streets = itemsOf(await get('/streets'));
    } catch {
      session.streets = [];
    }
  }
  return session.streets;
}

function rows(items) {
  if (!items.length) return html`<tr><td colspan="11" class="muted">${t('app.noData')}</td></tr>`;
  return items.map((r) => html`<tr data-entity-id="${r.entity_id}">
    <td class="name-cell"><a href="#/entities/${encodeURIComponent(r.entity_id)}">${r.name || r.entity_id}</a>
      <div class="muted small">${r.entity_id}${r.kind ? ` · ${label('kind', r.kind)}` : ''}${r.n_children ? ` · +${r.n_children}` : ''}</div></td>
    <td class="nowrap">${streetName(r, 'street_name') || '—'}</td>
    <td>${r.building_type ? label('btype', r.building_type) : sectorLabel(r.sector)}</td>
    <td class="num" data-value="${isNum(r.tce_equal) ? r.tce_equal : ''}" data-col="consolidated">${num(r.tce_equal, 1)}</td>
    <td class="num" data-value="${isNum(r.tce_own) ? r.tce_own : ''}" data-col="own">${num(r.tce_own, 1)}</td>
    <td class="num" data-value="${isNum(r.tco2) ? r.tco2 : ''}">${num(r.tco2)}</td>
    <td class="num" data-col="budget">${num(r.budget_tce, 0)}</td>
    <td class="num" data-col="budget-elastic">${num(r.budget_elastic_tce, 0)}</td>
    <td>${levelBadge(r.warning_level)}</td>
    <td class="rule">${r.key_unit_rule || ''}</td>
    <td class="reason small">${pick(r, 'warning_reason')}</td></tr>`);
}

export async function render(view, { query, isCurrent }) {
  setHTML(view, loading());
  const f = {
    year: query.year || '', q: query.q || '', street_id: query.street_id || '',
    level: query.level || '', sector: query.sector || '',
    sort: query.sort || '', order: query.order || '',
    offset: Number.parseInt(query.offset || '0', 10) || 0,
  };
  const isStreetUser = session.user && session.user.role === Role.STREET_OFFICER;
  const [first, streets] = await Promise.all([
    get('/key-units', { ...f, limit: LIMIT }),
    isStreetUser ? Promise.resolve([]) : streetsList(),
  ]);
  if (!isCurrent()) return undefined;
  rememberYears(first.years);
  const year = f.year || first.year || '';
  const streetName = (id) => {
    const s = streets.find((x) => String(x.id ?? x.street_id) === String(id));
    return s ? streetName(s) : id;
  };

  setHTML(view, html`
    ${pageHead(t('ku.title'), html`${yearSelect(first.years, year)}`)}
    <div class="card">
      <form class="toolbar" data-role="filters" autocomplete="off">
        <label class="field grow">${t('search')}
          <input type="search" name="q" value="${f.q}" placeholder="${t('ku.search')}" data-testid="key-units-search"></label>
        ${isStreetUser ? '' : html`<label class="field">${t('ku.street')}
          <select name="street_id" data-testid="key-units-street">
            <option value="">${t('all')}</option>
            ${streets.map((s) => { const id = s.id ?? s.street_id; return html`<option value="${id}" ${String(id) === String(f.street_id) ? raw('selected') : ''}>${streetName(s) || s.code}</option>`; })}
            ${f.street_id && !streets.some((s) => String(s.id ?? s.street_id) === String(f.street_id)) ? html`<option value="${f.street_id}" selected>${streetName(f.street_id)}</option>` : ''}
          </select></label>`}
        <label class="field">${t('ku.level')}
          <select name="level" data-testid="key-units-level">
            <option value="">${t('all')}</option>
            ${LEVELS.map((l) => html`<option value="${l}" ${l === f.level ? raw('selected') : ''}>${label('level', l)}</option>`)}
          </select></label>
        <div class="field"><span>&nbsp;</span><span>
          <a class="btn-dl" data-testid="key-units-csv" download>${t('download.csv')}</a>
          <a class="btn-dl" data-testid="key-units-xlsx" download>${t('download.xlsx')}</a></span></div>
      </form>
      <p class="muted small" data-role="count"></p>
      <p class="basis small muted" data-testid="key-units-basis">${t('ku.consolidated')}: ${pick(first, 'energy_label')} · ${t('ku.budgetAllocated')}: ${pick(first, 'budget_label')}</p>
      <div class="table-wrap"><table class="data" data-server-sort data-testid="key-units-table">
        <thead><tr><th ${serverSortAttrs('name', f)}>${t('col.name')}</th><th ${serverSortAttrs('street_name_zh', f)}>${t('col.street')}</th>
          <th ${serverSortAttrs('building_type', f)}>${t('col.type')}</th>
          <th class="num" ${serverSortAttrs('tce_equal', f)}>${t('ku.consolidated')} (tce)</th><th class="num" ${serverSortAttrs('tce_own', f)}>${t('ku.own')} (tce)</th>
          <th class="num" ${serverSortAttrs('tco2', f)}>${t('col.co2')}</th>
          <th class="num" ${serverSortAttrs('budget_tce', f)}>${t('ku.budgetAllocated')} (tce)</th><th class="num" ${serverSortAttrs('budget_elastic_tce', f)}>${t('ku.budgetElastic')} (tce)</th>
          <th ${serverSortAttrs('warning_ratio', f)}>${t('col.warning')}</th>
          <th ${serverSortAttrs('key_unit_rule', f)}>${t('col.keyLevel')}</th><th>${t('col.reason')}</th></tr></thead>
        <tbody data-role="rows"></tbody></table></div>
      <div data-role="pager"></div>
    </div>`);

  const form = $('form[data-role="filters"]', view);
  const tbody = $('[data-role="rows"]', view);
  const count = $('[data-role="count"]', view);
  const pagerBox = $('[data-role="pager"]', view);
  const csv = $('[data-testid="key-units-csv"]', view);
  const xlsx = $('[data-testid="key-units-xlsx"]', view);
  let seq = 0;

  const show = (data) => {
    const items = itemsOf(data);
    setHTML(tbody, rows(items));
    const total = data.total ?? items.length;
    setHTML(count, html`${t('ku.count', { n: num(total, 0) })}${f.street_id ? html` · <a href="${hashFor(`/streets/${f.street_id}`, { year: f.year })}" data-testid="key-units-street-page">${t('ku.allEntities')}</a>` : ''}`);
    count.dataset.total = String(total);
    setHTML(pagerBox, pager({ total, limit: data.limit ?? LIMIT, offset: data.offset ?? f.offset }));
    const filters = { year: f.year, q: f.q, street_id: f.street_id, level: f.level, sector: f.sector };
    csv.href = apiUrl('/key-units', { ...filters, format: 'csv' });
    // the workbook in the page's language and order (the server sorts it as the page)
    xlsx.href = apiUrl('/key-units', { ...filters, sort: f.sort, order: f.sort ? f.order : '', format: 'xlsx', lang: lang() });
    history.replaceState(null, '', hashFor('/key-units', { ...filters, sort: f.sort, order: f.sort ? f.order : '', offset: f.offset || '' }));
  };
  show(first);

  const refresh = async () => {
    const mine = ++seq;
    try {
      const data = await get('/key-units', { ...f, limit: LIMIT });
      if (mine === seq && isCurrent()) show(data);
    } catch (err) {
      if (mine === seq && isCurrent()) setHTML(tbody, html`<tr><td colspan="11" class="muted">${t('app.error')}: ${err.message}</td></tr>`);
    }
  };
  const typed = debounce(() => { f.q = form.q.value.trim(); f.offset = 0; refresh(); }, 300);

  const offs = [
    on(view, 'input', 'input[name="q"]', typed),
    on(view, 'change', 'select[name]', (_, el) => { f[el.name] = el.value; f.offset = 0; refresh(); }),
    on(view, 'change', 'select[data-role="year"]', (_, el) => { f.year = el.value; session.year = el.value; f.offset = 0; refresh(); }),
    on(view, 'click', 'button[data-page]', (_, el) => { f.offset = Number(el.dataset.page) || 0; refresh(); }),
    on(view, 'table-sort', 'table[data-server-sort]', (ev) => { f.sort = ev.detail.sort; f.order = ev.detail.order; f.offset = 0; refresh(); }),
  ];
  const submit = (ev) => { ev.preventDefault(); f.q = form.q.value.trim(); f.offset = 0; refresh(); };
  form.addEventListener('submit', submit);
  return () => { seq += 1; offs.forEach((o) => o()); form.removeEventListener('submit', submit); };
}
