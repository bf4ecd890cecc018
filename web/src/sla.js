// sla.js - SLA countdowns (I4) as the screens show them: the time left of a running timer from
// its deadline (so a page left open keeps counting), in business minutes as the server counts
// them when the page loaded, and a colour class: breached, warning (at most 20 % of the target
// left, the server's default warn share is 80 %) or ok.
import { t } from './i18n.js';

/** "1 h 20 min", "-35 min" (past the deadline). */
export function fmtMinutes(m) {
    if (m === null || m === undefined) return '';
    const sign = m < 0 ? '-' : '';
    let a = Math.abs(Math.round(m));
    const d = Math.floor(a / 1440);
    a -= d * 1440;
    const h = Math.floor(a / 60);
    const min = a % 60;
    const parts = [];
    if (d) parts.push(t('sla.days', { n: d }));
    if (h) parts.push(t('sla.hours', { n: h }));
    if (min || !parts.length) parts.push(t('sla.minutes', { n: min }));
    return sign + parts.join(' ');
}

/** The class of a timer: 'sla-breached', 'sla-warning' or 'sla-ok'. */
export function slaClass(timer) {
    if (timer.breached || (timer.remaining_minutes !== null && timer.remaining_minutes < 0)) return 'sla-breached';
    if (timer.target_minutes && timer.remaining_minutes !== null && timer.remaining_minutes <= timer.target_minutes * 0.2) return 'sla-warning';
    return 'sla-ok';
}

/** The text of a timer: what is left (or how late it is), or its end state. */
export function slaText(timer) {
    const kind = t(`sla.${timer.kind}`);
    if (timer.status === 'met') return `${kind}: ${t('sla.met')}`;
    if (timer.status === 'paused') return `${kind}: ${t('sla.paused')} (${fmtMinutes(timer.remaining_minutes)})`;
    if (timer.status === 'cancelled') return `${kind}: ${t('sla.cancelled')}`;
    const r = timer.remaining_minutes;
    return r !== null && r < 0 ? `${kind}: ${t('sla.late', { t: fmtMinutes(-r) })}` : `${kind}: ${t('sla.left', { t: fmtMinutes(r) })}`;
}
