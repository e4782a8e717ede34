// The dashboard's shared table: column definitions, sorting by a click on a header (numbers,
// dates and text — Chinese by pinyin through Intl.Collator), a text filter, select filters for
// label columns, a row count 「共 N 条」 and an export link to the table's list route
// (`format=xlsx&lang=<current language>`).
//
//   const off = dataTable(el, {
//     testid: 'street-entities', rows, rowKey: 'entity_id',
//     rowAttrs: (r) => ({ 'data-entity-id': r.entity_id, 'data-href': … }),
//     exportPath: '/dashboard/streets/3', exportParams: { year: 2024 },
//     columns: [
//       { key: 'name', label: 'col.name', cell: (r) => html`<a …>${r.name}</a>` },
//       { key: 'building_type', label: 'col.btype', filter: 'select', text: (r) => label('btype', r.building_type) },
//       { key: 'tce_equal', label: 'col.energy', type: 'num', digits: 1 },
//     ],
//     sort: { key: 'tce_equal', dir: 'desc' },
//   });
//
// A column: `key` (the row's field), `label` (a catalogue key, or `title` as text), `type`
// ('text' default, 'num', 'date'), `digits` (num), `cell(row)` (the cell's markup; a number
// column's default keeps the raw value in `data-value`), `text(row)` (what the filter and a
// text sort read; default the field), `value(row)` (what a sort reads), `filter: 'select'`
// (a select of the column's texts), `sortable: false`. Returns a function that removes the
// listeners.
import { apiUrl } from './api.js';
import { $, $$, html, on, raw, setHTML } from './dom.js';
import { isNum, num } from './format.js';
import { lang, t } from './i18n.js';

const collators = new Map();

function collator() {
  const l = lang() === 'zh' ? 'zh' : 'en';
  if (!collators.has(l)) collators.set(l, new Intl.Collator(l, { numeric: true, sensitivity: 'base' }));
  return collators.get(l);
}

function textOf(col, row) {
  if (col.text) return String(col.text(row) ?? '');
  const v = row[col.key];
  return v === null || v === undefined ? '' : String(v);
}

function sortValue(col, row) {
  if (col.value) return col.value(row);
  if (col.type === 'num') return isNum(row[col.key]) ? row[col.key] : null;
  if (col.type === 'date') return row[col.key] ? String(row[col.key]) : null;
  return textOf(col, row);
}

/** Rows sorted by `col` (`dir` 'asc' or 'desc'); missing values last either way. */
export function sortRows(rows, col, dir) {
  const sign = dir === 'desc' ? -1 : 1;
  const c = collator();
  return rows.map((r, i) => [r, sortValue(col, r), i]).sort((a, b) => {
    const [va, vb] = [a[1], b[1]];
    const ea = va === null || va === undefined || va === '';
    const eb = vb === null || vb === undefined || vb === '';
    if (ea || eb) return ea === eb ? a[2] - b[2] : (ea ? 1 : -1);
    let d;
    if (typeof va === 'number' && typeof vb === 'number') d = va - vb;
    else if (col.type === 'date') d = va < vb ? -1 : va > vb ? 1 : 0;
    else d = c.compare(String(va), String(vb));
    return d ? sign * d : a[2] - b[2];
  }).map((x) => x[0]);
}

function defaultCell(col, row) {
  const v = row[col.key];
  if (col.type === 'num') {
    return html`<span data-value="${isNum(v) ? v : ''}">${num(v, col.digits)}</span>`;
  }
  return textOf(col, row) || '—';
}

function attrs(obj) {
  return raw(Object.entries(obj || {}).filter(([, v]) => v !== null && v !== undefined && v !== false)
    .map(([k, v]) => `${k}="${String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`).join(' '));
}

/** Draw the table into `el` and keep it sorted and filtered as the user asks. */
export function dataTable(el, opts) {
  const { columns, testid = '', rowAttrs = null, exportPath = null, exportParams = {} } = opts;
  const rows = opts.rows || [];
  const state = { key: opts.sort?.key || null, dir: opts.sort?.dir || 'asc', q: '', selects: {} };
  const selectCols = columns.filter((c) => c.filter === 'select');
  const exportHref = exportPath ? apiUrl(exportPath, { ...exportParams, format: 'xlsx', lang: lang() }) : '';

  setHTML(el, html`
    <div class="table-tools" data-testid="${testid}-tools">
      <input type="search" class="table-filter" data-role="table-filter" data-testid="${testid}-filter"
        placeholder="${t('tbl.filter')}" aria-label="${t('tbl.filter')}">
      ${selectCols.map((c) => {
        const opts2 = [...new Set(rows.map((r) => textOf(c, r)).filter(Boolean))].sort(collator().compare);
        return html`<select data-role="table-select" data-key="${c.key}" data-testid="${testid}-select-${c.key}"
          aria-label="${c.label ? t(c.label) : c.title || c.key}">
          <option value="">${c.label ? t(c.label) : c.title || c.key} · ${t('tbl.all')}</option>
          ${opts2.map((o) => html`<option value="${o}">${o}</option>`)}</select>`;
      })}
      <span class="table-count muted" data-testid="${testid}-count" data-total="${rows.length}"></span>
      ${exportHref ? html`<a class="btn-ghost" href="${exportHref}" download data-testid="${testid}-xlsx">${t('tbl.export')}</a>` : ''}
    </div>
    <div class="table-wrap"><table class="data sortable" data-testid="${testid}">
      <thead><tr>${columns.map((c) => html`<th class="${c.type === 'num' ? 'num' : ''} ${c.sortable === false ? '' : 'sort'}"
        data-key="${c.key}" ${c.sortable === false ? '' : raw('tabindex="0" role="button"')}
        data-testid="${testid}-th-${c.key}" title="${c.hint || ''}">${c.label ? t(c.label) : c.title || ''}<span class="sort-mark"></span></th>`)}</tr></thead>
      <tbody></tbody></table></div>`);
  const tbody = $('tbody', el);
  const count = $('.table-count', el);

  function draw() {
    const needle = state.q.trim().toLowerCase();
    let shown = rows.filter((r) => selectCols.every((c) => !state.selects[c.key] || textOf(c, r) === state.selects[c.key]));
    if (needle) {
      shown = shown.filter((r) => columns.some((c) => textOf(c, r).toLowerCase().includes(needle)));
    }
    const col = columns.find((c) => c.key === state.key);
    if (col) shown = sortRows(shown, col, state.dir);
    setHTML(tbody, shown.length ? shown.map((r) => html`<tr ${attrs(rowAttrs ? rowAttrs(r) : {})}>
      ${columns.map((c) => html`<td class="${c.type === 'num' ? 'num' : ''} ${c.cls || ''}">${c.cell ? c.cell(r) : defaultCell(c, r)}</td>`)}</tr>`)
      : html`<tr><td colspan="${columns.length}" class="muted">${rows.length ? t('tbl.noMatch') : t('app.noData')}</td></tr>`);
    count.textContent = shown.length === rows.length ? t('tbl.count', { n: num(rows.length, 0) })
      : t('tbl.countOf', { n: num(shown.length, 0), total: num(rows.length, 0) });
    count.dataset.shown = String(shown.length);
    for (const th of $$('thead th', el)) {
      const on2 = th.dataset.key === state.key;
      th.setAttribute('aria-sort', on2 ? (state.dir === 'asc' ? 'ascending' : 'descending') : 'none');
      th.dataset.sorted = on2 ? state.dir : '';
      th.querySelector('.sort-mark').textContent = on2 ? (state.dir === 'asc' ? ' ▲' : ' ▼') : '';
    }
  }

  function toggle(key) {
    const col = columns.find((c) => c.key === key);
    if (!col || col.sortable === false) return;
    if (state.key === key) state.dir = state.dir === 'asc' ? 'desc' : 'asc';
    else { state.key = key; state.dir = col.type === 'num' ? 'desc' : 'asc'; }
    draw();
  }

  draw();
  const offs = [
    on(el, 'click', 'thead th.sort', (_, th) => toggle(th.dataset.key)),
    on(el, 'keydown', 'thead th.sort', (ev, th) => {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); toggle(th.dataset.key); }
    }),
    on(el, 'input', 'input[data-role="table-filter"]', (_, inp) => { state.q = inp.value; draw(); }),
    on(el, 'change', 'select[data-role="table-select"]', (_, sel) => { state.selects[sel.dataset.key] = sel.value; draw(); }),
  ];
  return () => offs.forEach((f) => f());
}

/** The attributes of a header the server sorts by (`sort=key`), marked when `f.sort` is it. */
export function serverSortAttrs(key, f) {
  const on2 = f.sort === key;
  return raw(`data-sort="${key}" data-sorted="${on2 ? f.order || 'asc' : ''}" tabindex="0" role="button"${on2 ? ` aria-sort="${f.order === 'desc' ? 'descending' : 'ascending'}"` : ''}`);
}

/** Header sorting for every other table of the dashboard (`table.data` not drawn by
 * `dataTable`). A table marked `data-server-sort` is a page of a longer list: a click on a
 * header with `data-sort` asks the page to fetch the list again sorted by the server (a
 * `table-sort` event with `{ sort, order }`: numbers first descending, text ascending; a
 * second click reverses). Any other table (a list shown whole) sorts its rows in place — a
 * cell's `data-value` numerically when it has one, else its text by the collator. One
 * delegated listener on `root`, so tables drawn later are sortable too. */
export function installHeaderSort(root) {
  const serverSort = (th) => {
    const first = th.classList.contains('num') ? 'desc' : 'asc';
    const order = th.dataset.sorted ? (th.dataset.sorted === 'asc' ? 'desc' : 'asc') : first;
    for (const other of th.parentElement.children) { other.dataset.sorted = ''; other.removeAttribute('aria-sort'); }
    th.dataset.sorted = order;
    th.setAttribute('aria-sort', order === 'asc' ? 'ascending' : 'descending');
    th.closest('table').dispatchEvent(new CustomEvent('table-sort', { bubbles: true, detail: { sort: th.dataset.sort, order } }));
  };
  const sortBy = (th) => {
    if (th.closest('table').dataset.serverSort !== undefined) {
      if (th.dataset.sort) serverSort(th);
      return;
    }
    const table = th.closest('table');
    const tbody = table && table.tBodies[0];
    if (!tbody) return;
    const index = [...th.parentElement.children].indexOf(th);
    const dir = th.dataset.sorted === 'asc' ? 'desc' : 'asc';
    for (const other of th.parentElement.children) { other.dataset.sorted = ''; other.removeAttribute('aria-sort'); }
    th.dataset.sorted = dir;
    th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
    const rows = [...tbody.rows].filter((tr) => tr.cells.length > index && !tr.querySelector('td[colspan]'));
    const key = (tr) => {
      const cell = tr.cells[index];
      const v = cell.querySelector('[data-value]')?.dataset.value ?? cell.dataset.value;
      if (v !== undefined && v !== '' && Number.isFinite(Number(v))) return Number(v);
      const text = cell.innerText.trim();
      const plain = text.replace(/[,\s]/g, '').replace(/%$/, '');
      if (/^[-+]?\d+(\.\d+)?$/.test(plain)) return Number(plain); // `1,234.5`, `12.3%`
      return text === '—' ? '' : text;
    };
    const col = { key: '_k', type: rows.some((tr) => typeof key(tr) === 'number') ? 'num' : 'text', value: (r) => r._k };
    const sorted = sortRows(rows.map((tr) => ({ tr, _k: key(tr) })), col, dir);
    for (const { tr } of sorted) tbody.appendChild(tr);
  };
  const click = (ev) => {
    const th = ev.target instanceof Element ? ev.target.closest('table.data:not(.sortable) thead th') : null;
    if (!th || !root.contains(th) || (ev.target instanceof Element && ev.target.closest('a, button, input, select'))) return;
    sortBy(th);
  };
  root.addEventListener('click', click);
  return () => root.removeEventListener('click', click);
}
