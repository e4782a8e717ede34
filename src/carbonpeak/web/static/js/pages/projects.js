// The project gate (节能审查): GET /projects (a developer sees its own; analysts all) and, for
// analysts, GET /projects/pipeline (the approved projects against the budget's headroom).
import { get } from '../api.js';
import { ANALYST_ROLES } from '../constants.js';
import { $, html, setHTML } from '../dom.js';
import { num, pct } from '../format.js';
import { label, t } from '../i18n.js';
import { itemsOf, loading, pageHead, publishedFigures } from '../ui.js';
import { session } from '../state.js';
import { dataTable } from '../table.js';

function pipelinePanel(p) {
  if (!p) return '';
  return html`<div class="panel" data-testid="projects-pipeline">
    <h2>${t('pj.pipeline', { year: p.year })}</h2>
    <p>${t('pj.pipelineText', {
      pipeline: num(p.pipeline_tce, 1), remaining: num(p.remaining, 1),
      headroom: num(p.headroom, 1), n: p.projects.length })}</p>
    ${p.exceeds ? html`<p class="level-red" data-testid="projects-exceeds">${t('pj.exceeds')}</p>` : ''}
    ${publishedFigures(p.figures, 'projects-figures')}
  </div>`;
}

export async function render(view, { isCurrent }) {
  setHTML(view, loading());
  const data = await get('/projects', { limit: 500 });
  const analyst = session.user && ANALYST_ROLES.includes(session.user.role);
  const pl = analyst ? await get('/projects/pipeline') : null;
  if (!isCurrent()) return undefined;
  const items = itemsOf(data);
  setHTML(view, html`
    ${pageHead(t('pj.title'))}
    ${pipelinePanel(pl)}
    <div class="panel">
      <p class="muted small">${t('pj.count', { n: num(items.length, 0) })}</p>
      <div data-table="projects"></div>
    </div>`);
  const off = [
    dataTable($('[data-table="projects"]', view), {
      testid: 'projects-table', rows: items,
      columns: [
        { key: 'project_code', label: 'pj.col.code' },
        { key: 'name', label: 'pj.col.name' },
        { key: 'stage', label: 'pj.col.stage', filter: 'select', text: (r) => label('pj.stage', r.stage) },
        { key: 'review_level', label: 'pj.col.level', filter: 'select', text: (r) => label('pj.level', r.review_level) },
        { key: 'tce_equivalent', label: 'pj.col.tceEquivalent', type: 'num', digits: 1 },
        { key: 'tce_equal', label: 'pj.col.tceEqual', type: 'num', digits: 1 },
        { key: 'budget_share', label: 'pj.col.share', type: 'num', cell: (r) => html`<span>${pct(r.budget_share, { ratio: true })}</span>` },
        { key: 'two_high', label: 'pj.col.twoHigh', text: (r) => (r.two_high ? t('pj.yes') : t('pj.no')) },
      ],
    }),
  ];
  return () => off.forEach((f) => f());
}
