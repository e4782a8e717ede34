// Plan supervision (任务与调度): my tasks (GET /supervision/tasks: a department sees the tasks its
// unit leads or supports), the latest dispatch round (its items, overdue flags; the office's
// board of who is late) and the yearly assessment with each score's breakdown (office only).
//
// Writes, each through the API (CSRF header by api.js; audit-logged by the server):
// * a department or street officer answers its pending or returned items (POST
//   /supervision/rounds/{id}/answers): a task's status, completion % and narrative, a target's
//   value and date, evidence files (PDF, PNG, JPEG, xlsx; up to 10 MB each, checked again by
//   the server by content);
// * the office (admin, analyst) accepts a submitted answer or returns it with a comment
//   (POST /supervision/answers/{id}/review) and gives unassigned tasks their lead and
//   supporting units (POST /supervision/tasks/{code}/assign);
// * every answer's evidence files link to GET /supervision/answers/{id}/evidence/{n} (the
//   caller's own only; another unit's answer is not found).
import { ApiError, apiUrl, get, post } from '../api.js';
import { Role, TaskProgress } from '../constants.js';
import { $, html, on, raw, setHTML } from '../dom.js';
import { num } from '../format.js';
import { label, lang, t } from '../i18n.js';
import { dateInput, loading, pageHead, publishedFigures } from '../ui.js';
import { session } from '../state.js';
import { dataTable } from '../table.js';

const OFFICE = [Role.DISTRICT_ADMIN, Role.DISTRICT_ANALYST];
const UNITS = [Role.DEPARTMENT_OFFICER, Role.STREET_OFFICER];
/** The evidence the server accepts (intake/supervision/evidence.py): checked here by name and
 * size to spare an upload, and by content on the server. */
const EVIDENCE_EXT = ['.pdf', '.png', '.jpg', '.jpeg', '.xlsx'];
const MAX_EVIDENCE_BYTES = 10 * 1024 * 1024;

function flag(on_, key) {
  return on_ ? html`<span class="badge level-red" data-flag="${key}">${t(`sup.${key}`)}</span>` : '';
}

/** `target:HP-33` -> 「目标 HP-33」 */
function itemText(item) {
  const [kind, code] = String(item).split(':');
  return `${t(`sup.item.${kind}`)} ${code || ''}`;
}

function evidenceLinks(r) {
  return (r.evidence || []).map((f, i) => html`<a class="evidence" data-testid="sup-evidence"
    href="${apiUrl(`/supervision/answers/${r.id}/evidence/${i + 1}`)}" download="${f.name}">${f.name}</a>`);
}

function refresh() { window.dispatchEvent(new HashChangeEvent('hashchange')); }

/** The labels of the fields a 422 names (`column`), so that a Chinese page names them in
 * Chinese. */
const FIELD_LABELS = {
  progress: 'sup.field.progress', completion_pct: 'sup.field.completion', value: 'sup.field.value',
  observed_on: 'sup.field.observedOn', narrative: 'sup.field.narrative', evidence: 'sup.field.evidence',
  comment: 'sup.field.comment', lead: 'sup.col.lead', supporting: 'sup.col.supporting',
  project_code: 'pj.col.code', name: 'pj.col.name', street: 'pj.field.street',
  developer: 'pj.field.developer', sector_code: 'pj.field.sector', kind: 'pj.field.kind',
  stage: 'pj.col.stage', value_added_10k_cny: 'pj.field.valueAdded', carrier: 'pj.field.carrier',
  annual_quantity: 'pj.field.quantity', unit: 'pj.field.unit',
};

/** An API error as one line: its detail, then each field named with its reason (the n-th
 * line of a list, such as a project's carriers, numbered). */
export function errorText(err) {
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  const rows = err.body && Array.isArray(err.body.errors) ? err.body.errors : [];
  const lines = rows.map((e) => {
    const field = FIELD_LABELS[e.column] ? t(FIELD_LABELS[e.column]) : e.column;
    const where = e.row ? t('sup.errorLine', { n: e.row, field }) : field;
    return [where, lang() === 'zh' ? e.message_zh : e.message].filter(Boolean).join('：');
  });
  return [err.message, ...lines].filter(Boolean).join('；');
}

function showError(form, err) {
  const box = $('[data-role="form-msg"]', form);
  box.hidden = false;
  box.className = 'form-msg error';
  box.textContent = errorText(err);
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const fr = new FileReader();
    fr.onload = () => resolve(String(fr.result).split(',', 2)[1] || '');
    fr.onerror = () => reject(fr.error);
    fr.readAsDataURL(file);
  });
}

function answerForm(r) {
  const task = r.item.startsWith('task:');
  return html`<form class="panel" data-testid="sup-answer-form" data-id="${r.id}" novalidate>
    <h2>${t('sup.answerTitle', { item: itemText(r.item) })}</h2>
    ${r.review_comment ? html`<p class="form-msg info" data-testid="sup-returned-comment">${t('sup.returnedWith', { comment: r.review_comment })}</p>` : ''}
    <div class="toolbar">
      ${task ? html`
        <label class="field">${t('sup.field.progress')}
          <select name="progress" data-testid="sup-progress" required>
            ${Object.values(TaskProgress).map((p) => html`<option value="${p}" ${p === r.progress ? raw('selected') : ''}>${label('task_progress', p)}</option>`)}
          </select></label>
        <label class="field">${t('sup.field.completion')}
          <input type="number" name="completion_pct" min="0" max="100" step="1" data-testid="sup-completion"
            value="${r.completion_pct ?? ''}"></label>` : html`
        <label class="field">${t('sup.field.value')}
          <input type="number" name="value" step="any" required data-testid="sup-value" value="${r.value ?? ''}"></label>
        <label class="field">${t('sup.field.observedOn')}
          ${dateInput('observed_on', { testid: 'sup-observed-on', value: r.observed_on || '' })}</label>`}
      <label class="field grow">${t('sup.field.narrative')}
        <textarea name="narrative" rows="2" maxlength="4000" data-testid="sup-narrative">${r.narrative || ''}</textarea></label>
      <label class="field">${t('sup.field.evidence')}
        <input type="file" name="evidence" multiple accept="${EVIDENCE_EXT.join(',')}" data-testid="sup-evidence-input"></label>
    </div>
    <p class="muted small">${t('sup.evidenceRule', { mb: MAX_EVIDENCE_BYTES / 1024 / 1024 })}</p>
    <div class="form-msg" data-role="form-msg" role="alert" hidden></div>
    <button type="submit" class="btn-primary" data-testid="sup-answer-submit">${t('sup.submit')}</button>
    <button type="button" class="btn-ghost" data-action-sup="cancel">${t('sup.cancel')}</button>
  </form>`;
}

function returnForm(r) {
  return html`<form class="panel" data-testid="sup-return-form" data-id="${r.id}" novalidate>
    <h2>${t('sup.returnTitle', { item: itemText(r.item), unit: r.unit_name })}</h2>
    <label class="field">${t('sup.field.comment')}
      <textarea name="comment" rows="2" maxlength="2000" required data-testid="sup-return-comment"></textarea></label>
    <div class="form-msg" data-role="form-msg" role="alert" hidden></div>
    <button type="submit" class="btn-primary" data-testid="sup-return-submit">${t('sup.return')}</button>
    <button type="button" class="btn-ghost" data-action-sup="cancel">${t('sup.cancel')}</button>
  </form>`;
}

function assignForm(task, orgs) {
  const name = (o) => (lang() === 'en' ? o.name_en || o.name_zh : o.name_zh);
  return html`<form class="panel" data-testid="sup-assign-form" data-code="${task.code}" novalidate>
    <h2>${t('sup.assignTitle', { code: task.code })}</h2>
    <p class="muted small">${task.title}</p>
    <div class="toolbar">
      <label class="field">${t('sup.col.lead')}
        <select name="lead" data-testid="sup-assign-lead" required>
          <option value="">—</option>
          ${orgs.map((o) => html`<option value="${o.code}">${name(o)}</option>`)}
        </select></label>
      <label class="field grow">${t('sup.col.supporting')}
        <select name="supporting" multiple size="5" data-testid="sup-assign-supporting">
          ${orgs.map((o) => html`<option value="${o.code}">${name(o)}</option>`)}
        </select></label>
    </div>
    <div class="form-msg" data-role="form-msg" role="alert" hidden></div>
    <button type="submit" class="btn-primary" data-testid="sup-assign-submit">${t('sup.assign')}</button>
    <button type="button" class="btn-ghost" data-action-sup="cancel">${t('sup.cancel')}</button>
  </form>`;
}

async function sendAnswer(form, r, roundId) {
  const task = r.item.startsWith('task:');
  const body = { item: r.item, narrative: form.narrative.value.trim() };
  if (task) {
    body.progress = form.progress.value;
    body.completion_pct = form.completion_pct.value === '' ? null : Number(form.completion_pct.value);
  } else {
    body.value = form.value.value === '' ? null : Number(form.value.value);
    body.observed_on = form.observed_on.value || null;
  }
  const files = [...(form.evidence.files || [])];
  for (const f of files) {
    const ok = EVIDENCE_EXT.some((e) => f.name.toLowerCase().endsWith(e));
    if (!ok || f.size > MAX_EVIDENCE_BYTES || f.size === 0) {
      throw new Error(t('sup.evidenceBad', { name: f.name }));
    }
  }
  body.evidence = await Promise.all(files.map(async (f) => ({ name: f.name, content_base64: await readBase64(f) })));
  return post(`/supervision/rounds/${roundId}/answers`, body);
}

export async function render(view, { query, isCurrent }) {
  setHTML(view, loading());
  const role = session.user?.role;
  const office = OFFICE.includes(role);
  const unit = UNITS.includes(role);
  const [tasks, rounds] = await Promise.all([get('/supervision/tasks'), get('/supervision/rounds')]);
  if (!isCurrent()) return undefined;
  const latest = (rounds.rounds || [])[0];
  const year = query.year || session.year || (latest ? latest.period.slice(0, 4) : '');
  const assessmentOf = async () => {
    if (!office || !/^\d{4}$/.test(String(year))) return null;
    try { return await get('/supervision/assessment', { year }); } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return null;
    }
  };
  // the assessment (the slowest answer: every target evaluated) is drawn when it comes, after
  // the rest; the round's items, the board and the unit list are waited for together
  const pendingAssessment = assessmentOf();
  const [items, board, orgList] = await Promise.all([
    latest ? get(`/supervision/rounds/${latest.id}/items`) : { items: [] },
    latest && office ? get(`/supervision/rounds/${latest.id}/board`) : null,
    office ? get('/supervision/organisations') : { organisations: [] },
  ]);
  const orgs = orgList.organisations.filter((o) => o.active);
  if (!isCurrent()) return undefined;
  const rows = items.items || [];
  const open = latest && latest.status === 'open';
  setHTML(view, html`
    ${pageHead(t('sup.title'))}
    <div class="panel"><h2>${t('sup.myTasks')}</h2><div data-table="sup-tasks"></div></div>
    <div data-role="sup-form"></div>
    <div class="panel"><h2>${latest ? t('sup.round', { period: latest.period, due: latest.due_on }) : t('sup.noRound')}</h2>
      ${board ? html`<p class="small" data-testid="sup-late">${t('sup.lateUnits')}：${
        board.units.filter((u) => u.overdue).map((u) => u.unit_name).join('、') || '—'}</p>
        <div data-table="sup-board"></div>` : ''}
      <div data-table="sup-items"></div></div>
    <div data-role="sup-assessment"></div>`);
  const actions = (r) => {
    const out = [];
    if (unit && open && (r.status === 'pending' || r.status === 'returned')) {
      out.push(html`<button type="button" class="btn" data-action-sup="answer" data-id="${r.id}" data-testid="sup-answer">${t('sup.answer')}</button>`);
    }
    if (office && r.status === 'submitted') {
      out.push(html`<button type="button" class="btn" data-action-sup="accept" data-id="${r.id}" data-testid="sup-accept">${t('sup.accept')}</button>`);
      out.push(html`<button type="button" class="btn-ghost" data-action-sup="return" data-id="${r.id}" data-testid="sup-return">${t('sup.return')}</button>`);
    }
    return out;
  };
  const off = [
    dataTable($('[data-table="sup-tasks"]', view), {
      testid: 'sup-tasks', rows: tasks.tasks || [],
      rowAttrs: (r) => ({ 'data-code': r.code }),
      columns: [
        { key: 'code', label: 'sup.col.code' },
        { key: 'section', label: 'sup.col.section', filter: 'select' },
        { key: 'title', label: 'sup.col.task' },
        { key: 'lead_name', label: 'sup.col.lead', filter: 'select', text: (r) => r.lead_name || t('sup.unassigned'),
          cell: (r) => (r.lead_name ? html`${r.lead_name}` : office
            ? html`<button type="button" class="btn" data-action-sup="assign" data-code="${r.code}" data-testid="sup-assign">${t('sup.assign')}</button>`
            : html`${t('sup.unassigned')}`) },
        { key: 'supporting', label: 'sup.col.supporting', text: (r) => r.supporting_names.join('、') },
        { key: 'targets', label: 'sup.col.targets', text: (r) => r.target_codes.join(', ') },
      ],
    }),
    dataTable($('[data-table="sup-items"]', view), {
      testid: 'sup-items', rows,
      rowAttrs: (r) => ({ 'data-status': r.status, 'data-overdue': r.overdue ? '1' : '0', 'data-id': r.id, 'data-item': r.item }),
      columns: [
        { key: 'unit_name', label: 'sup.col.unit', filter: 'select' },
        { key: 'item', label: 'sup.col.item', text: (r) => itemText(r.item) },
        { key: 'status', label: 'sup.col.status', filter: 'select', text: (r) => label('submission_status', r.status) },
        { key: 'value', label: 'sup.col.value', type: 'num',
          text: (r) => (r.value ?? (r.completion_pct !== null ? `${num(r.completion_pct, 0)}%` : '')) },
        { key: 'evidence', label: 'sup.col.evidence', sortable: false, text: (r) => (r.evidence || []).map((f) => f.name).join(' '),
          cell: (r) => html`${evidenceLinks(r)}` },
        { key: 'review_comment', label: 'sup.col.comment', text: (r) => r.review_comment || '' },
        { key: 'timeliness', label: 'sup.col.timeliness', text: (r) => label('timeliness', r.timeliness) },
        { key: 'flags', label: 'sup.col.flags', sortable: false,
          cell: (r) => html`${flag(r.overdue, 'overdue')} ${flag(r.late, 'late')}` },
        { key: 'actions', label: 'sup.col.actions', sortable: false, text: () => '', cell: (r) => html`${actions(r)}` },
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
  let gone = false;
  pendingAssessment.then((assessment) => {
    if (gone || !assessment || !isCurrent()) return;
    const box = $('[data-role="sup-assessment"]', view);
    setHTML(box, html`<div class="panel"><h2>${t('sup.assessment', { year })}</h2>
      <p class="muted small">${lang() === 'en' ? assessment.scheme.source : assessment.scheme.source_zh}（${label('factorStatus', assessment.scheme.status)}）</p>
      ${publishedFigures(assessment.figures, 'sup-figures')}
      <div data-table="sup-assessment"></div></div>`);
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
  }).catch((err) => { console.warn('assessment not drawn', err); });
  off.push(() => { gone = true; });
  const slot = $('[data-role="sup-form"]', view);
  const byId = new Map(rows.map((r) => [String(r.id), r]));
  const byCode = new Map((tasks.tasks || []).map((x) => [x.code, x]));
  const show = (markup) => { setHTML(slot, markup); slot.scrollIntoView({ block: 'nearest' }); };
  off.push(on(view, 'click', '[data-action-sup]', async (ev, el) => {
    ev.preventDefault();
    const action = el.dataset.actionSup;
    const r = byId.get(el.dataset.id || '');
    if (action === 'cancel') { setHTML(slot, ''); return; }
    if (action === 'answer' && r) show(answerForm(r));
    else if (action === 'return' && r) show(returnForm(r));
    else if (action === 'assign' && byCode.has(el.dataset.code)) show(assignForm(byCode.get(el.dataset.code), orgs));
    else if (action === 'accept' && r) {
      el.disabled = true;
      try { await post(`/supervision/answers/${r.id}/review`, { accept: true }); refresh(); } catch (err) {
        el.disabled = false;
        show(html`<div class="form-msg error" role="alert" data-testid="sup-error">${errorText(err)}</div>`);
      }
    }
  }));
  off.push(on(view, 'submit', 'form[data-testid^="sup-"]', async (ev, form) => {
    ev.preventDefault();
    const btn = $('button[type="submit"]', form);
    btn.disabled = true;
    try {
      if (form.dataset.testid === 'sup-answer-form') {
        await sendAnswer(form, byId.get(form.dataset.id), latest.id);
      } else if (form.dataset.testid === 'sup-return-form') {
        const comment = form.comment.value.trim();
        if (!comment) throw new Error(t('sup.commentRequired'));
        await post(`/supervision/answers/${form.dataset.id}/review`, { accept: false, comment });
      } else if (form.dataset.testid === 'sup-assign-form') {
        const supporting = [...form.supporting.selectedOptions].map((o) => o.value);
        await post(`/supervision/tasks/${encodeURIComponent(form.dataset.code)}/assign`,
          { lead: form.lead.value || null, supporting });
      }
      refresh();
    } catch (err) {
      btn.disabled = false;
      showError(form, err);
    }
  }));
  return () => off.forEach((f) => f && f());
}
