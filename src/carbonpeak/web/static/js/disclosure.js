// Small-cell suppression (docs/security.md, "Small cells"): a figure the API withholds from a
// role without district-wide sight (null, with the reason code disclosure.suppressed.small_cell)
// shows as "—" with the reason on hover — never as a zero, never as a blank that looks missing.
import { html } from './dom.js';
import { t } from './i18n.js';

export const SUPPRESSED = 'disclosure.suppressed.small_cell';

/** The mark of a withheld figure: `text` (default "—") with the reason on hover. */
export function withheld(text = '—') {
  return html`<span class="suppressed" data-testid="suppressed" tabindex="0"
    title="${t('disclosure.suppressedTitle')}" aria-label="${t('disclosure.suppressed')}: ${t('disclosure.suppressedTitle')}">${text}</span>`;
}
