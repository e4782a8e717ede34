// Sign-in page: POST /auth/login; the answer's csrf_token is kept in memory by the shell.
import { ApiError, post } from '../api.js';
import { $, html, setHTML } from '../dom.js';
import { t } from '../i18n.js';
import { session } from '../state.js';

function message(err) {
  if (err instanceof ApiError) {
    if (err.status === 401) return t('login.bad');
    if (err.status === 429) {
      const s = Number.parseInt(err.retryAfter, 10);
      let wait = t('login.tooManyLater');
      if (Number.isFinite(s) && s > 0) {
        wait = s >= 90 ? t('login.tooManyMinutes', { n: Math.ceil(s / 60) }) : t('login.tooManySeconds', { n: s });
      }
      return t('login.tooMany', { wait });
    }
    if (err.status === 422) return t('login.bad');
  }
  return t('login.failed', { detail: err && err.message ? err.message : String(err) });
}

export async function render(view, { onSignedIn }) {
  const expired = session.expired;
  session.expired = false;
  setHTML(view, html`
    <form class="login card" data-testid="login-form" novalidate>
      <div class="login-brand">
        <img src="/static/favicon.svg" alt="" width="40" height="40">
        <div><h1>${t('app.title')}</h1><p class="muted">${t('app.subtitle')}</p></div>
      </div>
      <h2>${t('login.title')}</h2>
      <div class="form-msg ${expired ? 'info' : ''}" data-testid="login-error" role="alert"
        ${expired ? '' : 'hidden'}>${expired ? t('session.expired') : ''}</div>
      <label class="field">${t('login.username')}
        <input name="username" autocomplete="username" required maxlength="64" data-testid="login-username" autofocus>
      </label>
      <label class="field">${t('login.password')}
        <input name="password" type="password" autocomplete="current-password" required maxlength="256"
          data-testid="login-password">
      </label>
      <button type="submit" class="btn btn-primary" data-testid="login-submit">${t('login.submit')}</button>
      <p class="muted small">${t('login.intranet')}</p>
    </form>`);
  const form = $('form', view);
  const msg = $('[data-testid="login-error"]', view);
  const button = $('button[type="submit"]', view);
  const submit = async (ev) => {
    ev.preventDefault();
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      msg.hidden = false; msg.className = 'form-msg error'; msg.textContent = t('login.bad');
      return;
    }
    button.disabled = true;
    button.textContent = t('login.busy');
    try {
      const data = await post('/auth/login', { username, password }, { quiet401: true });
      onSignedIn(data);
    } catch (err) {
      msg.hidden = false;
      msg.className = 'form-msg error';
      msg.textContent = message(err);
      form.password.value = '';
      form.password.focus();
      button.disabled = false;
      button.textContent = t('login.submit');
    }
  };
  form.addEventListener('submit', submit);
  return () => form.removeEventListener('submit', submit);
}
