// Plan supervision (任务与调度): my tasks (GET /supervision/tasks: a department sees the tasks its
// unit leads or supports), the latest dispatch round (its items, overdue flags; the office's
// board of who is late) and the yearly assessment with each score's breakdown (office only).
import { ApiError, get } from '../api.js';
import { Role } from '../constants.js';
import { $, html, setHTML } from '../dom.js';
import { num } from '../format.js';
import { label, lang, t } from '../i18n.js';
import { loading, pageHead, publishedFigures } from '../ui.js';
import { session } from '../state.js';
import { dataTable } from '../table.js';

const OFFICE = [Role.DISTRICT_ADMIN, Role.DISTRICT_ANALYST];

function flag(on, key) {
  return on ? html`<span class="badge level-red" data-flag="${key}">${t(`sup.${key}`)}</span>` : '';
}

export async function render(view, { query, isCurrent }) {
  setHTML(view, loading());
  const office = OFFICE.includes(session.user?.role);
  const [tasks, rounds] = await Promise.all([get('/supervision/tasks'), get('/supervision/rounds')]);
  if (!isCurrent()) return undefined;
  const latest = (rounds.rounds || [])[0];
  const items = latest ? await get(`/supervision/rounds/${latest.id}/items`) : { items: [] };
  const board = latest && office ? await get(`/supervision/rounds/${latest.id}/board`) : null;
  const year = query.year || session.year || (latest ? latest.period.slice(0, 4) : '');
  let assessment = null;
  if (office && year) {
    try { assessment = await get('/supervision/assessment', { year }); } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  }
  if (!isCurrent()) return undefined;
  setHTML(view, html`
    ${pageHead(t('sup.title'))}
    <div class="panel"><h2>${t('sup.myTasks')}</h2><div data-table="sup-tasks"></div></div>
    <div class="panel"><h2>${latest ? t('sup.round', { period: latest.period, due: latest.due_on }) : t('sup.noRound')}</h2>
      ${board ? html`<p class="small" data-testid="sup-late">${t('sup.lateUnits')}：${
        board.units.filter((u) => u.overdue).map((u) => u.unit_name).join('、') || '—'}</p>
        <div data-table="sup-board"></div>` : ''}
      <div data-table="sup-items"></div></div>
    ${assessment ? html`<div class="panel"><h2>${t('sup.assessment', { year })}</h2>
      <p class="muted small">${lang() === 'en' ? assessment.scheme.source : assessment.scheme.source_zh} (${assessment.scheme.status})</p>
      ${publishedFigures(assessment.figures, 'sup-figures')}
      <div data-table="sup-assessment"></div></div>` : ''}`);
  const off = [
    dataTable($('[data-table="sup-tasks"]', view), {
      testid: 'sup-tasks', rows: tasks.tasks || [],
      columns: [
        { key: 'code', label: 'sup.col.code' },
        { key: 'section', label: 'sup.col.section', filter: 'select' },
        { key: 'title', label: 'sup.col.task' },
        { key: 'lead_name', label: 'sup.col.lead', filter: 'select', text: (r) => r.lead_name || t('sup.unassigned') },
        { key: 'supporting', label: 'sup.col.supporting', text: (r) => r.supporting_names.join('、') },
        { key: 'targets', label: 'sup.col.targets', text: (r) => r.target_codes.join(', ') },
      ],
    }),
    dataTable($('[data-table="sup-items"]', view), {
      testid: 'sup-items', rows: items.items || [],
      rowAttrs: (r) => ({ 'data-status': r.status, 'data-overdue': r.overdue ? '1' : '0' }),
      columns: [
        { key: 'unit_name', label: 'sup.col.unit', filter: 'select' },
        { key: 'item', label: 'sup.col.item' },
        { key: 'status', label: 'sup.col.status', filter: 'select', text: (r) => label('submission_status', r.status) },
        { key: 'value', label: 'sup.col.value', type: 'num',
          text: (r) => (r.value ?? (r.completion_pct !== null ? `${num(r.completion_pct, 0)}%` : '')) },
        { key: 'timeliness', label: 'sup.col.timeliness', text: (r) => label('timeliness', r.timeliness) },
        { key: 'flags', label: 'sup.col.flags', sortable: false,
          cell: (r) => html`${flag(r.overdue, 'overdue')} ${flag(r.late, 'late')}` },
      ],
    }),
  ];
  if (board) {
    off.push(dataTable($('[data-table="sup-board"]', view), {
      testid: 'sup-board', rows: board.units,
      columns: ['unit_name', 'items', 'accepted', 'owed', 'overdue'].map((k) => ({
        key: k, label: `sup.col.${k}`, type: k === 'unit_name' ? undefined : 'num', digits: 0 })),
    }));
  }
  if (assessment) {
    off.push(dataTable($('[data-table="sup-assessment"]', view), {
      testid: 'sup-assessment', rows: assessment.units,
      columns: [
        { key: 'unit_name', label: 'sup.col.unit' },
        { key: 'score', label: 'sup.col.score', type: 'num', digits: 1 },
        { key: 'grade', label: 'sup.col.grade', text: (u) => (lang() === 'en' ? u.grade_en : u.grade_zh) || u.grade_zh },
        { key: 'penalty', label: 'sup.col.penalty', type: 'num', digits: 0 },
        { key: 'breakdown', label: 'sup.col.breakdown', cls: 'reason',
          text: (u) => u.items.map((i) => `${i.code} ${num(i.score, 0)}×${num(i.weight, 1)}`).join('，') },
      ],
    }));
  }
  return () => off.forEach((f) => f && f());
}
