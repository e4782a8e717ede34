// Plan targets: GET /targets?year= (status table), filter by status, CSV export.
import { get } from '../api.js';
import { html, on, raw, setHTML } from '../dom.js';
import { isNum, num, numTrim, pct } from '../format.js';
import { label, pick, t } from '../i18n.js';
import { csvObjectUrl, itemsOf, loading, pageHead, statusBadge, yearSelect } from '../ui.js';
import { session } from '../state.js';

const COMPARATORS = { '>=': '≥', '<=': '≤', '>': '>', '<': '<', '==': '=', '=': '=' };

function value(v, unitText) {
  if (!isNum(v)) return '—';
  if (unitText === 'year') return String(Math.round(v));
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 1 ? 2 : 4;
  return `${numTrim(v, digits)}${unitText ? ` ${unitText}` : ''}`;
}

function targetText(row) {
  if (isNum(row.target_value)) {
    const c = COMPARATORS[row.comparator] ?? row.comparator ?? '';
    const cmp = c && c !== '=' ? `${c} ` : '';
    const by = row.target_year ? ` (${row.target_year})` : '';
    return `${cmp}${value(row.target_value, row.unit)}${by}`;
  }
  return row.target_text || '—';
}

function progress(row) {
  if (!isNum(row.progress_pct)) return html`<span class="muted">—</span>`;
  const w = Math.max(0, Math.min(100, row.progress_pct));
  return html`<div class="num" data-value="${row.progress_pct}">${pct(row.progress_pct)}</div>
    <div class="bar"><span style="width:${w}%"></span></div>`;
}

export async function render(view, { query, setQuery, isCurrent }) {
  setHTML(view, loading());
  const year = query.year || '';
  const status = query.status || '';
  const data = await get('/targets', { year });
  if (!isCurrent()) return undefined;
  const all = itemsOf(data);
  const statuses = [...new Set(all.map((r) => r.status))];
  const rows = status ? all.filter((r) => r.status === status) : all;
  // GET /targets has no format=csv: the export is made here from the rows shown
  const columns = all.length ? Object.keys(all[0]).filter((k) => k !== 'history') : [];
  const csv = csvObjectUrl(rows, columns);
  const fileName = `targets${year ? `-${year}` : ''}${status ? `-${status}` : ''}.csv`;
  setHTML(view, html`
    ${pageHead(t('tg.title'), html`
      ${yearSelect(session.years, year || (all[0] && all[0].value_year) || '')}
      <label class="field field-inline">${t('tg.status')}
        <select data-role="status" data-testid="targets-status">
          <option value="">${t('all')}</option>
          ${statuses.map((s) => html`<option value="${s}" ${s === status ? raw('selected') : ''}>${label('status', s)}</option>`)}
        </select></label>
      <a class="btn-dl" href="${csv}" download="${fileName}" data-testid="targets-csv">${t('download.csv')}</a>`)}
    <div class="panel">
      <p class="muted small">${t('tg.count', { n: num(rows.length, 0) })}</p>
      <div class="table-wrap"><table class="data" data-testid="targets-table">
        <thead><tr><th>${t('col.code')}</th><th>${t('col.indicator')}</th><th>${t('col.target')}</th>
          <th class="num">${t('col.value')}</th><th>${t('col.progress')}</th><th>${t('col.status')}</th>
          <th>${t('col.reason')}</th></tr></thead>
        <tbody>${rows.length ? rows.map((r) => html`<tr data-status="${r.status}">
          <td class="nowrap">${r.code}</td><td>${pick(r, 'indicator')}</td><td>${targetText(r)}</td>
          <td class="num">${isNum(r.value) ? html`${value(r.value, r.unit === 'year' ? 'year' : '')}${r.value_year ? html` <span class="muted small">(${r.value_year})</span>` : ''}` : '—'}</td>
          <td>${progress(r)}</td>
          <td>${statusBadge(r.status, pick(r, 'status'))}</td>
          <td class="reason">${pick(r, 'reason')}</td></tr>`)
          : html`<tr><td colspan="7" class="muted">${t('app.noData')}</td></tr>`}</tbody>
      </table></div>
    </div>`);
  const off = [
    on(view, 'change', 'select[data-role="year"]', (_, el) => setQuery({ year: el.value })),
    on(view, 'change', 'select[data-role="status"]', (_, el) => setQuery({ status: el.value })),
  ];
  return () => { off.forEach((f) => f()); URL.revokeObjectURL(csv); };
}
