// Early warnings: GET /warnings?year= (most severe first), filter by level, paginated; the
// page's rows sortable and filterable (table.js).
import { get } from '../api.js';
import { LEVEL_ORDER } from '../constants.js';
import { $, html, on, raw, setHTML } from '../dom.js';
import { isNum, num, pct } from '../format.js';
import { label, pick, t } from '../i18n.js';
import { itemsOf, levelBadge, loading, pageHead, pager, yearSelect } from '../ui.js';
import { session } from '../state.js';
import { dataTable } from '../table.js';

const LEVELS = LEVEL_ORDER;
const LIMIT = 50;

function scopeCell(w) {
  const name = pick(w, 'scope_name') || w.scope_name || w.scope_id;
  const kind = label('scope', w.scope_type);
  if (w.scope_type === 'entity') {
    return html`<span class="muted small">${kind}</span> <a href="#/entities/${encodeURIComponent(w.scope_id)}">${name}</a>`;
  }
  return html`<span class="muted small">${kind}</span> ${name}`;
}

export async function render(view, { query, setQuery, isCurrent }) {
  setHTML(view, loading());
  const year = query.year || '';
  const level = query.level || '';
  const offset = Number.parseInt(query.offset || '0', 10) || 0;
  const data = await get('/warnings', { year, level, limit: LIMIT, offset });
  if (!isCurrent()) return undefined;
  const items = itemsOf(data);
  const shownYear = year || (items[0] && items[0].year) || '';
  // the district budget (统计口径) and its metered share (what the district row compares)
  const m = shownYear ? await get('/metrics', { year: shownYear }) : { items: [] };
  if (!isCurrent()) return undefined;
  const budget = (m.items || []).find((f) => f.code === 'budget.district');
  const share = (m.items || []).find((f) => f.code === 'budget.district.metered_share');
  const unitOf = (w) => (w.metric === 'tco2' ? 'tCO2' : 'tce');
  setHTML(view, html`
    ${pageHead(t('wn.title'), html`
      ${yearSelect(session.years, shownYear)}
      <label class="field field-inline">${t('col.level')}
        <select data-role="level" data-testid="warnings-level">
          <option value="">${t('all')}</option>
          ${LEVELS.map((l) => html`<option value="${l}" ${l === level ? raw('selected') : ''}>${label('level', l)}</option>`)}
        </select></label>`)}
    <div class="panel">
      <p class="muted small">${t('wn.count', { n: num(data.total ?? items.length, 0) })}</p>
      ${budget && share ? html`<p class="basis small" data-testid="warnings-district-budget">${t('wn.districtBudget', {
        total: num(budget.value, budget.digits), total_label: pick(budget, 'label'),
        share: num(share.value, share.digits), share_label: pick(share, 'label') })}</p>` : ''}
      <div data-table="warnings"></div>
      ${pager({ total: data.total ?? items.length, limit: data.limit ?? LIMIT, offset: data.offset ?? offset })}
    </div>`);
  const off = [
    dataTable($('[data-table="warnings"]', view), {
      testid: 'warnings-table', rows: items,
      rowAttrs: (w) => ({ 'data-level': w.level }),
      exportPath: '/warnings', exportParams: { year, level },
      columns: [
        { key: 'level', label: 'col.level', text: (w) => label('level', w.level),
          value: (w) => LEVELS.indexOf(w.level), cell: (w) => levelBadge(w.level) },
        { key: 'scope', label: 'col.scope', filter: 'select', text: (w) => `${label('scope', w.scope_type)} ${pick(w, 'scope_name') || w.scope_name || w.scope_id}`,
          cell: (w) => scopeCell(w) },
        { key: 'projected', label: 'col.projected', type: 'num',
          cell: (w) => html`<span data-value="${isNum(w.projected) ? w.projected : ''}">${num(w.projected, 0)}</span> <span class="unit">${unitOf(w)}</span>` },
        { key: 'budget', label: 'col.budget', type: 'num', digits: 0 },
        { key: 'ratio', label: 'col.ratio', type: 'num', cell: (w) => html`<span data-value="${isNum(w.ratio) ? w.ratio : ''}">${pct(w.ratio, { ratio: true })}</span>` },
        { key: 'reason', label: 'col.reason', cls: 'reason', text: (w) => pick(w, 'reason') },
      ],
    }),
    on(view, 'change', 'select[data-role="year"]', (_, el) => setQuery({ year: el.value, offset: '' })),
    on(view, 'change', 'select[data-role="level"]', (_, el) => setQuery({ level: el.value, offset: '' })),
    on(view, 'click', 'button[data-page]', (_, el) => setQuery({ offset: el.dataset.page })),
  ];
  return () => off.forEach((f) => f());
}
