// Data entry (数据填报): upload a file (preview, column mapping, bad cells highlighted,
// confirm or discard), the caller's batches, and a month's ledger form of one entity.
// Everything is checked by the server (POST /uploads is a dry run of the import); nothing is
// stored before "confirm".
import { ApiError, del, get, post } from '../api.js';
import { $, html, on, raw, setHTML } from '../dom.js';
import { isNum, num } from '../format.js';
import { label, lang, t } from '../i18n.js';
import { loading, pageHead } from '../ui.js';

// a value this many times last year's month (or a fraction of it) gets a hint (display only)
const FACTOR = 3;

function errText(e) { return lang() === 'zh' ? (e.message_zh || e.message) : e.message; }

function colLabel(c) { return c ? label('up.col', c) : t('up.ignore'); }

function whereText(e, kind) {
  const col = kind === 'boundaries' && e.header ? colLabel(e.header) : (e.header || e.column);
  if (e.row && col) return t('up.where', { row: e.row, col });
  if (e.row) return t('up.whereRow', { row: e.row });
  return col || '';
}

function errorsOf(err) {
  if (err instanceof ApiError && err.body && Array.isArray(err.body.errors)) return err.body.errors;
  const text = err instanceof ApiError && err.body
    ? ((lang() === 'zh' && err.body.detail_zh) || err.body.detail || err.message) : String(err);
  return [{ row: null, column: null, message: String(text), message_zh: String(text) }];
}

function errorList(errors, testid, kind = '') {
  if (!errors.length) return '';
  return html`<ul class="up-errors" data-testid="${testid}">${errors.map((e) => html`
    <li data-testid="${testid}-item" data-row="${e.row ?? ''}" data-column="${e.column ?? ''}"
      data-code="${e.code || ''}"><span class="up-where">${whereText(e, kind)}</span>
      ${e.value !== null && e.value !== undefined && e.value !== '' ? html`<code>${e.value}</code>` : ''}
      ${errText(e)}</li>`)}</ul>`;
}

function statusLine(p) {
  const text = p.status === 'duplicate' ? t('up.status.duplicate', { batch: p.duplicate_of })
    : p.status === 'validated' ? t('up.status.validated', { n: num(p.would_store ?? 0, 0) })
      : t('up.status.refused', { n: num(p.error_count ?? p.errors.length, 0) });
  const cls = p.status === 'refused' ? 'level-red' : p.status === 'duplicate' ? 'level-yellow' : 'level-green';
  return html`<p><span class="badge ${cls}" data-testid="upload-status" data-status="${p.status}">${text}</span></p>`;
}

function mappingPanel(p) {
  if (!p.headers.length || !(p.needs_mapping || p.mapping_source !== 'aliases')) return '';
  const hint = p.needs_mapping ? t('up.mappingHint')
    : p.mapping_source === 'remembered' ? t('up.mappingRemembered') : t('up.mappingApplied');
  return html`<div class="up-mapping" data-testid="upload-mapping" data-source="${p.mapping_source}">
    <h3>${t('up.mapping')}</h3><p class="muted small">${hint}</p>
    <table class="data"><thead><tr><th>${t('up.fileColumn')}</th><th>${t('up.standardColumn')}</th></tr></thead>
    <tbody>${p.headers.map((h, i) => html`<tr><td>${h}</td><td>
      <select data-testid="map-${i}" data-header="${h}">
        <option value="">${t('up.ignore')}</option>
        ${p.columns.map((c) => html`<option value="${c.column}" ${p.mapping[h] === c.column ? raw('selected') : ''}>${colLabel(c.column)}${c.required ? ' *' : ''}</option>`)}
      </select></td></tr>`)}</tbody></table>
    <button type="button" class="btn" data-action="map" data-testid="mapping-apply">${t('up.applyMapping')}</button>
  </div>`;
}

function previewTable(p) {
  if (!p.headers.length) return '';
  const col = new Map(p.headers.map((h, i) => [h, i]));
  const bad = new Map(); // `${row}:${index}` -> messages; `${row}` -> messages of the row
  for (const e of p.errors) {
    if (!e.row) continue;
    const i = col.has(e.header) ? col.get(e.header) : null;
    const key = i === null ? `${e.row}` : `${e.row}:${i}`;
    bad.set(key, [...(bad.get(key) || []), errText(e)]);
  }
  const rowBad = (r) => bad.has(`${r.row}`) || p.headers.some((_, i) => bad.has(`${r.row}:${i}`));
  return html`<div class="table-wrap"><table class="data up-preview" data-testid="upload-table">
    <thead><tr><th class="num">${t('up.row')}</th>${p.headers.map((h) => (p.kind === 'boundaries'
      ? html`<th>${colLabel(h)}</th>` : html`<th>${h}
      <div class="muted small">→ ${colLabel(p.mapping[h])}</div></th>`))}</tr></thead>
    <tbody>${p.rows.map((r) => html`<tr data-testid="preview-row-${r.row}" data-bad="${rowBad(r) ? '1' : '0'}"
      class="${bad.has(`${r.row}`) ? 'up-bad-row' : ''}" title="${(bad.get(`${r.row}`) || []).join('; ')}">
      <td class="num muted">${r.row}</td>
      ${r.cells.map((c, i) => {
        const why = bad.get(`${r.row}:${i}`);
        return html`<td data-testid="cell-${r.row}-${i}" class="${why ? 'up-bad' : ''}"
          data-bad="${why ? '1' : '0'}" title="${why ? why.join('; ') : ''}">${c}</td>`;
      })}</tr>`)}</tbody></table></div>
    <p class="muted small">${t('up.rowsShown', { shown: num(p.rows.length, 0), total: num(p.rows_total, 0) })}</p>`;
}

function previewPanel(p, result) {
  if (!p) return '';
  const canConfirm = !result && (p.status === 'validated' || p.status === 'duplicate');
  return html`<div class="panel" data-testid="upload-preview" data-upload="${p.upload_id}">
    <h2>${t('up.preview', { file: p.filename, kind: label('up.kind', p.kind) })}</h2>
    ${statusLine(p)}
    ${mappingPanel(p)}
    ${p.errors.length ? html`<h3>${t('up.errors', { n: num(p.error_count || p.errors.length, 0) })}</h3>` : ''}
    ${errorList(p.errors, 'upload-errors', p.kind)}
    ${previewTable(p)}
    ${result ? html`<p class="up-done" data-testid="upload-result" data-batch="${result.batch_id ?? ''}"
      data-status="${result.status}">${t('up.done', { batch: result.batch_id ?? '—',
        status: label('up.bstatus', result.status), n: num(result.accepted, 0) })}</p>` : html`
    <div class="up-actions">
      <button type="button" class="btn-primary" data-action="confirm" data-testid="upload-confirm"
        ${canConfirm ? '' : raw('disabled')}>${t('up.confirm')}</button>
      <button type="button" class="btn-ghost" data-action="discard" data-testid="upload-discard">${t('up.discard')}</button>
      ${canConfirm ? '' : html`<span class="muted small">${t('up.fixFirst')}</span>`}
    </div>`}
  </div>`;
}

function batchesPanel(items) {
  return html`<div class="panel"><h2>${t('up.batches')}</h2>
    <div class="table-wrap"><table class="data" data-testid="batches-table">
      <thead><tr><th class="num">${t('up.batch')}</th><th>${t('up.kindCol')}</th><th>${t('up.source')}</th><th>${t('up.channel')}</th>
        <th>${t('up.bstatusCol')}</th><th class="num">${t('up.rowsIn')}</th><th class="num">${t('up.rowsRejected')}</th>
        <th>${t('up.time')}</th></tr></thead>
      <tbody>${items.length ? items.map((b) => html`<tr data-testid="batch-row-${b.batch_id}" data-status="${b.status}"
        data-kind="${b.kind}" data-channel="${b.channel || ''}">
        <td class="num">${b.batch_id}</td><td>${label('up.kind', b.kind)}</td><td>${b.source || ''}</td><td>${label('up.channelName', b.channel)}</td>
        <td>${label('up.bstatus', b.status)}</td><td class="num">${num(b.rows_in ?? 0, 0)}</td>
        <td class="num">${num(b.rows_rejected ?? 0, 0)}</td><td>${String(b.created_at || '').slice(0, 16).replace('T', ' ')}</td></tr>`)
        : html`<tr><td colspan="8" class="muted">${t('app.noData')}</td></tr>`}</tbody>
    </table></div></div>`;
}

function lastMonth() {
  const d = new Date();
  d.setDate(1);
  d.setMonth(d.getMonth() - 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

function hintFor(value, last) {
  const v = Number.parseFloat(value);
  if (!isNum(v) || !isNum(last) || last <= 0 || v <= 0) return '';
  return v > last * FACTOR || v < last / FACTOR ? t('up.hint', { f: FACTOR }) : '';
}

function formPanel(entities, st) {
  const f = st.form;
  return html`<div class="panel" data-testid="ledger-form">
    <h2>${t('up.form')}</h2>
    <div class="up-row">
      <label class="field">${t('up.entity')}
        <select data-testid="form-entity" data-role="form-entity">
          ${entities.map((e) => html`<option value="${e.entity_id}" ${st.entity === e.entity_id ? raw('selected') : ''}>${e.entity_id} ${e.name || ''}</option>`)}
        </select></label>
      <label class="field">${t('up.month')}
        <input type="text" data-testid="form-month" data-role="form-month" value="${st.month}"
          placeholder="YYYY-MM" pattern="\\d{4}-\\d{2}" size="8"></label>
      <button type="button" class="btn" data-action="form-load" data-testid="form-load">${t('up.load')}</button>
    </div>
    ${f ? html`<table class="data" data-testid="form-table" data-entity="${f.entity_id}" data-month="${f.month}">
      <thead><tr><th>${t('up.carrier')}</th><th class="num">${t('up.lastYear', { month: f.last_year_month })}</th>
        <th class="num">${t('up.current')}</th><th>${t('up.value')}</th><th>${t('up.unit')}</th><th></th></tr></thead>
      <tbody>${f.fields.map((x) => html`<tr data-testid="form-row-${x.carrier}">
        <td>${lang() === 'zh' ? x.name_zh : x.name_en}</td>
        <td class="num" data-testid="form-last-${x.carrier}" data-value="${x.last_year ?? ''}">${isNum(x.last_year) ? num(x.last_year, 0) : '—'}</td>
        <td class="num" data-testid="form-current-${x.carrier}" data-value="${x.current ?? ''}">${isNum(x.current) ? num(x.current, 0) : '—'}</td>
        <td><input type="text" inputmode="decimal" size="12" data-testid="form-qty-${x.carrier}"
          data-carrier="${x.carrier}" data-unit="${x.unit}" data-last="${x.last_year ?? ''}"></td>
        <td>${x.unit}</td>
        <td><span class="up-hint" data-testid="form-hint-${x.carrier}"></span></td></tr>`)}</tbody></table>
      <div class="up-actions"><button type="button" class="btn-primary" data-action="form-save"
        data-testid="form-save">${t('up.save')}</button></div>` : ''}
    ${st.formResult ? html`<p class="up-done" data-testid="form-result" data-batch="${st.formResult.batch_id ?? ''}"
      data-status="${st.formResult.status}">${t('up.saved', { batch: st.formResult.batch_id ?? '—',
        status: label('up.bstatus', st.formResult.status) })}</p>` : ''}
    ${errorList(st.formErrors || [], 'form-errors')}
  </div>`;
}

export async function render(view, { isCurrent }) {
  setHTML(view, loading());
  const [kinds, batches, ents] = await Promise.all([
    get('/uploads/kinds'), get('/batches', { limit: 20 }), get('/entities', { limit: 500 })]);
  if (!isCurrent()) return undefined;
  const allowed = kinds.kinds.map((k) => k.kind);
  const entities = ents.items || [];
  const st = {
    kind: allowed.includes('ledger') ? 'ledger' : allowed[0], preview: null, result: null,
    uploadErrors: [], notice: '', batches: batches.items || [],
    entity: entities.length ? entities[0].entity_id : '', month: lastMonth(),
    form: null, formResult: null, formErrors: [],
  };

  const draw = () => setHTML(view, html`
    ${pageHead(t('up.title'))}
    ${allowed.length ? html`<div class="panel" data-testid="upload-panel">
      <h2>${t('up.fileTitle')}</h2>
      <div class="up-row">
        <label class="field">${t('up.kind')}
          <select data-testid="upload-kind" data-role="upload-kind">
            ${allowed.map((k) => html`<option value="${k}" ${k === st.kind ? raw('selected') : ''}>${label('up.kind', k)}</option>`)}
          </select></label>
        <label class="field">${t('up.file')}
          <input type="file" data-testid="upload-file"
            accept="${st.kind === 'boundaries' ? '.geojson,.json' : '.csv,.txt,.xlsx,.xls'}"></label>
        <button type="button" class="btn-primary" data-action="upload" data-testid="upload-submit">${t('up.submit')}</button>
      </div>
      <p class="muted small">${t('up.explain')}</p>
      ${st.notice ? html`<p class="up-done" data-testid="upload-notice">${st.notice}</p>` : ''}
      ${errorList(st.uploadErrors, 'upload-refused')}
    </div>` : html`<div class="panel" data-testid="upload-none"><p class="muted">${t('up.noKinds')}</p></div>`}
    ${previewPanel(st.preview, st.result)}
    ${allowed.includes('ledger') && entities.length ? formPanel(entities, st) : ''}
    ${batchesPanel(st.batches)}`);

  const refreshBatches = async () => {
    const b = await get('/batches', { limit: 20 });
    if (isCurrent()) st.batches = b.items || [];
  };
  const busy = async (fn) => {
    view.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try { await fn(); } finally { if (isCurrent()) draw(); }
  };

  draw();
  const off = [
    on(view, 'change', 'select[data-role="upload-kind"]', (_, el) => { st.kind = el.value; draw(); }),
    on(view, 'change', 'select[data-role="form-entity"]', (_, el) => { st.entity = el.value; }),
    on(view, 'input', 'input[data-role="form-month"]', (_, el) => { st.month = el.value.trim(); }),
    on(view, 'input', 'input[data-carrier]', (_, el) => {
      const hint = $(`[data-testid="form-hint-${el.dataset.carrier}"]`, view);
      if (hint) hint.textContent = hintFor(el.value, Number.parseFloat(el.dataset.last));
    }),
    on(view, 'click', 'button[data-action]', (ev, el) => {
      const action = el.dataset.action;
      ev.preventDefault();
      if (action === 'upload') {
        const input = $('[data-testid="upload-file"]', view);
        const file = input && input.files && input.files[0];
        if (!file) { st.uploadErrors = errorsOf(t('up.chooseFile')); draw(); return; }
        const form = new FormData();
        form.append('kind', st.kind);
        form.append('file', file, file.name);
        busy(async () => {
          st.preview = null; st.result = null; st.uploadErrors = []; st.notice = '';
          try { st.preview = await post('/uploads', form); } catch (err) { st.uploadErrors = errorsOf(err); }
        });
      } else if (action === 'map' && st.preview) {
        const mapping = {};
        view.querySelectorAll('select[data-header]').forEach((s) => { mapping[s.dataset.header] = s.value; });
        busy(async () => {
          try { st.preview = await post(`/uploads/${st.preview.upload_id}/mapping`, { mapping }); } catch (err) {
            st.preview = { ...st.preview, errors: errorsOf(err), status: 'refused' };
          }
        });
      } else if (action === 'confirm' && st.preview) {
        busy(async () => {
          try {
            st.result = await post(`/uploads/${st.preview.upload_id}/confirm`, {});
            await refreshBatches();
          } catch (err) { st.preview = { ...st.preview, errors: errorsOf(err), status: 'refused' }; }
        });
      } else if (action === 'discard' && st.preview) {
        busy(async () => {
          try { await del(`/uploads/${st.preview.upload_id}`); } catch (err) { if (!(err instanceof ApiError) || err.status !== 404) throw err; }
          st.preview = null; st.result = null; st.notice = t('up.discarded');
        });
      } else if (action === 'form-load') {
        busy(async () => {
          st.formResult = null; st.formErrors = [];
          try { st.form = await get('/uploads/ledger-form', { entity_id: st.entity, month: st.month }); } catch (err) {
            st.form = null; st.formErrors = errorsOf(err);
          }
        });
      } else if (action === 'form-save' && st.form) {
        const entries = [];
        view.querySelectorAll('input[data-carrier]').forEach((i) => {
          if (i.value.trim() !== '') entries.push({ carrier: i.dataset.carrier, quantity: i.value.trim(), unit: i.dataset.unit });
        });
        if (!entries.length) { st.formErrors = errorsOf(t('up.nothingEntered')); draw(); return; }
        busy(async () => {
          st.formResult = null; st.formErrors = [];
          try {
            st.formResult = await post('/uploads/ledger-form', { entity_id: st.form.entity_id, month: st.form.month, entries });
            st.form = await get('/uploads/ledger-form', { entity_id: st.form.entity_id, month: st.form.month });
            await refreshBatches();
          } catch (err) { st.formErrors = errorsOf(err); }
        });
      }
    }),
  ];
  return () => off.forEach((f) => f());
}
