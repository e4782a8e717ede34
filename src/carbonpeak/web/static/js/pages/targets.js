// Plan targets: GET /targets?year= (status table, sortable and filterable), filter by status,
// CSV export of the rows shown, xlsx export from the API.
import { get } from '../api.js';
import { $, html, on, raw, setHTML } from '../dom.js';
import { isNum, num, numTrim, pct } from '../format.js';
import { label, pick, t } from '../i18n.js';
import { csvObjectUrl, itemsOf, loading, pageHead, statusBadge, yearSelect } from '../ui.js';
import { session } from '../state.js';
import { dataTable } from '../table.js';

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
    <div class="panel" data-table="targets"></div>`);
  const offTable = dataTable($('[data-table="targets"]', view), {
    testid: 'targets-table', rows,
    rowAttrs: (r) => ({ 'data-status': r.status }),
    exportPath: '/targets', exportParams: { year },
    columns: [
      { key: 'code', label: 'col.code', cls: 'nowrap' },
      { key: 'indicator', label: 'col.indicator', text: (r) => pick(r, 'indicator') },
      { key: 'target', label: 'col.target', text: (r) => targetText(r), sortable: false },
      { key: 'value', label: 'col.value', type: 'num',
        cell: (r) => (isNum(r.value) ? html`<span data-value="${r.value}">${value(r.value, r.unit === 'year' ? 'year' : '')}</span>${r.value_year ? html` <span class="muted small">(${r.value_year})</span>` : ''}` : '—') },
      { key: 'progress_pct', label: 'col.progress', type: 'num', cell: (r) => progress(r) },
      { key: 'status', label: 'col.status', text: (r) => pick(r, 'status'), cell: (r) => statusBadge(r.status, pick(r, 'status')) },
      { key: 'reason', label: 'col.reason', cls: 'reason', text: (r) => pick(r, 'reason') },
    ],
  });
  const off = [
    offTable,
    on(view, 'change', 'select[data-role="year"]', (_, el) => setQuery({ year: el.value })),
    on(view, 'change', 'select[data-role="status"]', (_, el) => setQuery({ status: el.value })),
  ];
  return () => { off.forEach((f) => f()); URL.revokeObjectURL(csv); };
}
