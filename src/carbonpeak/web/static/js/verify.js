// Verifying reference values (admins): a form beside an "unverified" banner that cites the
// document a value was checked against (number, date, clause or page, optionally the file)
// and POSTs /reference-verifications (multipart). The banners are derived from the
// verifications by the API, so the page is simply drawn again afterwards.
import { ApiError, post } from './api.js';
import { $, html, on, setHTML } from './dom.js';
import { t } from './i18n.js';
import { dateInput } from './ui.js';

/** The form for `targets` ([{target, text}]) of `kind` (factor_row / quota_row / rule). */
export function verifyBox(kind, targets) {
  if (!targets.length) return '';
  return html`<details class="verify-box" data-testid="verify-box">
    <summary>${t('verify.open')}</summary>
    <form data-role="verify" data-kind="${kind}" data-testid="verify-form">
      <label class="field">${t('verify.target')}<select name="target" data-testid="verify-target">
        ${targets.length > 1 ? html`<option value="*">${t('verify.allTargets', { n: targets.length })}</option>` : ''}
        ${targets.map((x) => html`<option value="${x.target}">${x.text}</option>`)}</select></label>
      <label class="field">${t('verify.documentNo')}<input type="text" name="document_no" required maxlength="256" data-testid="verify-document-no"></label>
      <label class="field">${t('verify.documentDate')}${dateInput('document_date', { required: true, testid: 'verify-document-date' })}</label>
      <label class="field">${t('verify.clause')}<input type="text" name="clause" required maxlength="256" data-testid="verify-clause"></label>
      <label class="field">${t('verify.note')}<input type="text" name="note" maxlength="4000"></label>
      <label class="field">${t('verify.file')}<input type="file" name="file" data-testid="verify-file"></label>
      <button type="submit" class="btn-primary" data-testid="verify-submit">${t('verify.submit')}</button>
      <div class="form-msg" data-testid="verify-msg" role="status" hidden></div>
    </form></details>`;
}

/** Submit handling for the forms of `view` (`targets`: the choices, else the form's own
 * options); `done()` after a verification is stored. */
export function bindVerify(view, targets, done) {
  return on(view, 'submit', 'form[data-role="verify"]', async (ev, form) => {
    ev.preventDefault();
    if (!form.reportValidity()) return;
    const fd = new FormData(form);
    const chosen = fd.get('target');
    fd.delete('target');
    fd.append('kind', form.dataset.kind);
    const all = targets || [...form.querySelectorAll('select[name="target"] option')]
      .map((o) => ({ target: o.value })).filter((x) => x.target !== '*');
    for (const x of chosen === '*' ? all : all.filter((y) => y.target === chosen)) fd.append('target', x.target);
    const file = fd.get('file');
    if (!file || !file.name) fd.delete('file');
    const box = $('[data-testid="verify-msg"]', form);
    try {
      const res = await post('/reference-verifications', fd);
      box.hidden = false;
      setHTML(box, html`${t('verify.done', { n: (res.items || []).length })}`);
      done();
    } catch (err) {
      box.hidden = false;
      setHTML(box, html`<span class="error">${err instanceof ApiError ? String(err.detail && err.detail.summary ? err.detail.summary : err.message) : String(err)}</span>`);
    }
  });
}
