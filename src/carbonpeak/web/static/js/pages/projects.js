// The project gate (节能审查): GET /projects (a developer sees its own; analysts all) and, for
// analysts, GET /projects/pipeline (the approved projects against the budget's headroom).
//
// Entry (admins, analysts and a project developer for its own): a form creates a project
// (POST /projects) or edits one (PUT /projects/{code}) with its designed energy by carrier and
// unit (the import files' columns and checks, audit-logged by the server); after saving, the
// project's review level (routing) and 两高 flag are shown. A developer's developer field is
// its own organisation (filled in by the server).
import { get, request } from '../api.js';
import { ANALYST_ROLES, EnergyCarrier, ProjectKind, ProjectStage, Role } from '../constants.js';
import { $, $$, html, on, raw, setHTML } from '../dom.js';
import { num, pct } from '../format.js';
import { label, t } from '../i18n.js';
import { itemsOf, loading, pageHead, publishedFigures } from '../ui.js';
import { session } from '../state.js';
import { dataTable } from '../table.js';
import { errorText } from './supervision.js';

const EDITORS = [...ANALYST_ROLES, Role.PROJECT_DEVELOPER];
/** Carriers a project designs for (the readings import's; PV generation and water are not). */
const CARRIERS = Object.values(EnergyCarrier).filter((c) => !['pv_generation', 'water'].includes(c));
/** Common units of the readings import, offered as suggestions (the server checks the unit
 * against the carrier). */
/** The project saved last: shown above the list drawn again. */
let lastSaved = null;
const UNITS = ['kWh', 'MWh', '万kWh', 'GJ', 'm3', '万m3', 't', 'kg', 'L'];

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

function energyRow(line = {}) {
  return html`<div class="toolbar" data-role="energy-line">
    <label class="field">${t('pj.field.carrier')}
      <select name="carrier" data-testid="pj-carrier">
        <option value="">—</option>
        ${CARRIERS.map((c) => html`<option value="${c}" ${c === line.carrier ? raw('selected') : ''}>${label('carrier', c)}</option>`)}
      </select></label>
    <label class="field">${t('pj.field.quantity')}
      <input type="number" name="annual_quantity" min="0" step="any" data-testid="pj-quantity" value="${line.annual_quantity ?? ''}"></label>
    <label class="field">${t('pj.field.unit')}
      <input type="text" name="unit" list="pj-units" maxlength="32" data-testid="pj-unit" value="${line.unit ?? ''}"></label>
    <button type="button" class="btn-ghost" data-action-pj="drop-line">${t('pj.dropLine')}</button>
  </div>`;
}

function projectForm(p, { developer }) {
  const editing = Boolean(p);
  const v = p || {};
  const lines = editing && v.carriers && v.carriers.length ? v.carriers : [{}];
  const streets = session.streets || [];
  return html`<form class="panel" data-testid="pj-form" data-code="${v.project_code || ''}" novalidate>
    <h2>${editing ? t('pj.editTitle', { code: v.project_code }) : t('pj.newTitle')}</h2>
    <div class="toolbar">
      <label class="field">${t('pj.col.code')}
        <input type="text" name="project_code" maxlength="64" required data-testid="pj-code"
          value="${v.project_code || ''}" ${editing ? raw('readonly') : ''}></label>
      <label class="field grow">${t('pj.col.name')}
        <input type="text" name="name" maxlength="256" required data-testid="pj-name" value="${v.name || ''}"></label>
      <label class="field">${t('pj.field.street')}
        <input type="text" name="street" maxlength="128" list="pj-streets" data-testid="pj-street" value="${v.street || ''}"></label>
      ${developer ? '' : html`<label class="field">${t('pj.field.developer')}
        <input type="text" name="developer" maxlength="64" required data-testid="pj-developer" value="${v.developer || ''}"></label>`}
    </div>
    <div class="toolbar">
      <label class="field">${t('pj.field.sector')}
        <input type="text" name="sector_code" maxlength="16" required placeholder="C3011" data-testid="pj-sector" value="${v.sector_code || ''}"></label>
      <label class="field">${t('pj.field.kind')}
        <select name="kind" data-testid="pj-kind">
          ${Object.values(ProjectKind).map((k) => html`<option value="${k}" ${k === v.kind ? raw('selected') : ''}>${label('pj.kind', k)}</option>`)}
        </select></label>
      <label class="field">${t('pj.col.stage')}
        <select name="stage" data-testid="pj-stage">
          ${Object.values(ProjectStage).map((s) => html`<option value="${s}" ${s === v.stage ? raw('selected') : ''}>${label('pj.stage', s)}</option>`)}
        </select></label>
      <label class="field">${t('pj.field.valueAdded')}
        <input type="number" name="value_added_10k_cny" min="0" step="any" data-testid="pj-value-added" value="${v.value_added_10k_cny ?? ''}"></label>
    </div>
    <h3>${t('pj.energyTitle')}</h3>
    <div data-role="energy-lines">${lines.map((ln) => energyRow(ln))}</div>
    <button type="button" class="btn-ghost" data-action-pj="add-line" data-testid="pj-add-line">${t('pj.addLine')}</button>
    <datalist id="pj-units">${UNITS.map((u) => html`<option value="${u}"></option>`)}</datalist>
    <datalist id="pj-streets">${streets.map((s) => html`<option value="${s.name_zh}"></option>`)}</datalist>
    <div class="form-msg" data-role="form-msg" role="alert" hidden></div>
    <p><button type="submit" class="btn-primary" data-testid="pj-save">${t('pj.save')}</button>
    <button type="button" class="btn-ghost" data-action-pj="cancel">${t('pj.cancel')}</button></p>
  </form>`;
}

function savedPanel(p) {
  return html`<div class="panel" data-testid="pj-saved" data-code="${p.project_code}" data-level="${p.review_level}"
      data-two-high="${p.two_high ? '1' : '0'}">
    <h2>${t('pj.saved', { code: p.project_code })}</h2>
    <p>${t('pj.routing', { level: label('pj.level', p.review_level), tce: num(p.tce_equivalent, 1) })}</p>
    <p class="muted small" data-testid="pj-rule-status" data-status="${p.review_rule_status}">${label('pj.ruleStatus', p.review_rule_status)}</p>
    <p data-testid="pj-saved-two-high">${p.two_high ? t('pj.twoHighYes') : t('pj.twoHighNo')}</p>
  </div>`;
}

function formBody(form, developer) {
  const val = (n) => (form[n] ? form[n].value.trim() : '');
  const number = (n) => (val(n) === '' ? null : Number(val(n)));
  const body = {
    name: val('name'), street: val('street'), sector_code: val('sector_code'),
    kind: val('kind'), stage: val('stage'), value_added_10k_cny: number('value_added_10k_cny'),
  };
  if (!developer) body.developer = val('developer');
  body.energy = $$('[data-role="energy-line"]', form).map((row) => ({
    carrier: $('[name="carrier"]', row).value,
    annual_quantity: $('[name="annual_quantity"]', row).value === '' ? null : Number($('[name="annual_quantity"]', row).value),
    unit: $('[name="unit"]', row).value.trim(),
  })).filter((e) => e.carrier || e.annual_quantity !== null || e.unit);
  return body;
}

export async function render(view, { isCurrent }) {
  setHTML(view, loading());
  const data = await get('/projects', { limit: 500 });
  const role = session.user && session.user.role;
  const analyst = ANALYST_ROLES.includes(role);
  const editor = EDITORS.includes(role);
  const developer = role === Role.PROJECT_DEVELOPER;
  const pl = analyst ? await get('/projects/pipeline') : null;
  if (!isCurrent()) return undefined;
  const items = itemsOf(data);
  setHTML(view, html`
    ${pageHead(t('pj.title'), editor ? html`<button type="button" class="btn-primary" data-action-pj="new" data-testid="pj-new">${t('pj.new')}</button>` : '')}
    <div data-role="pj-slot"></div>
    ${pipelinePanel(pl)}
    <div class="panel">
      <p class="muted small">${t('pj.count', { n: num(items.length, 0) })}</p>
      <div data-table="projects"></div>
    </div>`);
  const slot = $('[data-role="pj-slot"]', view);
  const byCode = new Map(items.map((p) => [p.project_code, p]));
  const off = [
    dataTable($('[data-table="projects"]', view), {
      testid: 'projects-table', rows: items,
      rowAttrs: (r) => ({ 'data-code': r.project_code }),
      columns: [
        { key: 'project_code', label: 'pj.col.code' },
        { key: 'name', label: 'pj.col.name' },
        { key: 'stage', label: 'pj.col.stage', filter: 'select', text: (r) => label('pj.stage', r.stage) },
        { key: 'review_level', label: 'pj.col.level', filter: 'select', text: (r) => label('pj.level', r.review_level) },
        { key: 'tce_equivalent', label: 'pj.col.tceEquivalent', type: 'num', digits: 1 },
        { key: 'tce_equal', label: 'pj.col.tceEqual', type: 'num', digits: 1 },
        { key: 'budget_share', label: 'pj.col.share', type: 'num', cell: (r) => html`<span>${pct(r.budget_share, { ratio: true })}</span>` },
        { key: 'two_high', label: 'pj.col.twoHigh', text: (r) => (r.two_high ? t('pj.yes') : t('pj.no')) },
        ...(editor ? [{ key: 'edit', label: 'pj.col.edit', sortable: false, text: () => '',
          cell: (r) => html`<button type="button" class="btn-ghost" data-action-pj="edit" data-code="${r.project_code}" data-testid="pj-edit">${t('pj.edit')}</button>` }] : []),
      ],
    }),
  ];
  off.push(on(view, 'click', '[data-action-pj]', (ev, el) => {
    ev.preventDefault();
    const action = el.dataset.actionPj;
    if (action === 'new') setHTML(slot, projectForm(null, { developer }));
    else if (action === 'edit' && byCode.has(el.dataset.code)) setHTML(slot, projectForm(byCode.get(el.dataset.code), { developer }));
    else if (action === 'cancel') setHTML(slot, '');
    else if (action === 'add-line') {
      const box = $('[data-role="energy-lines"]', slot);
      box.insertAdjacentHTML('beforeend', String(energyRow()));
    } else if (action === 'drop-line') el.closest('[data-role="energy-line"]').remove();
  }));
  off.push(on(view, 'submit', 'form[data-testid="pj-form"]', async (ev, form) => {
    ev.preventDefault();
    const btn = $('button[type="submit"]', form);
    btn.disabled = true;
    const code = form.dataset.code;
    try {
      const body = formBody(form, developer);
      const saved = code
        ? await request('PUT', `/projects/${encodeURIComponent(code)}`, { body })
        : await request('POST', '/projects', { body: { project_code: form.project_code.value.trim(), ...body } });
      lastSaved = saved;
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (err) {
      btn.disabled = false;
      const box = $('[data-role="form-msg"]', form);
      box.hidden = false;
      box.className = 'form-msg error';
      box.textContent = errorText(err);
    }
  }));
  if (lastSaved) { setHTML(slot, savedPanel(lastSaved)); lastSaved = null; }
  return () => off.forEach((f) => f());
}
