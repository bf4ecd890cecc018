// i18n.js - a small i18n of our own: two catalogues (en, zh-CN), a reactive locale remembered in
// localStorage, and Intl formatting of dates and numbers in the user's locale and time zone.
// Record types bring their own labels from /api/v1/schema; words here are the UI's only.
import { ref } from 'vue';
import { messages } from './messages.js';

export const LOCALES = ['en', 'zh-CN'];
const KEY = 'opsledger.locale';

function initial() {
    const saved = localStorage.getItem(KEY);
    if (LOCALES.includes(saved)) return saved;
    return (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export const locale = ref(initial());
document.documentElement.lang = locale.value;

export function setLocale(l) {
    if (!LOCALES.includes(l)) return;
    locale.value = l;
    localStorage.setItem(KEY, l);
    document.documentElement.lang = l;
}

/** The UI text for key, with {name} replaced from params; the key itself when unknown. */
export function t(key, params = {}) {
    const s = messages[locale.value]?.[key] ?? messages.en[key] ?? key;
    return s.replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? `{${k}}`).toString());
}

/** A {en, zh-CN} label from the schema in the current locale. */
export function label(l, fallback = '') {
    if (!l) return fallback;
    return l[locale.value] || l.en || fallback;
}

/** A state or enum value: the catalogue's word when it has one, else the value made readable. */
export function word(value) {
    if (value === null || value === undefined || value === '') return '';
    const key = `v.${value}`;
    const s = messages[locale.value]?.[key] ?? messages.en[key];
    return s ?? String(value).replace(/_/g, ' ');
}

// Intl formatters are costly to make: one per locale.
const formatters = new Map();
function formatter(kind) {
    const key = `${kind}:${locale.value}`;
    if (!formatters.has(key))
        formatters.set(key, kind === 'date'
            ? new Intl.DateTimeFormat(locale.value, { dateStyle: 'medium', timeStyle: 'short' })
            : kind === 'day'
              ? new Intl.DateTimeFormat(locale.value, { month: 'numeric', day: 'numeric', timeZone: 'UTC' })
              : new Intl.NumberFormat(locale.value));
    return formatters.get(key);
}

/** A UTC ISO time in the user's locale and time zone. */
export function fmtDate(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return formatter('date').format(d);
}

/** A UTC day "2026-11-22" as a short month and day (the server counts by UTC day). */
export function fmtDay(ymd) {
    const d = new Date(`${ymd}T00:00:00Z`);
    return Number.isNaN(d.getTime()) ? ymd : formatter('day').format(d);
}

export function fmtNumber(n) {
    return formatter('number').format(n);
}

/** A field's value as plain text, by kind (lists render thousands of these: no component). */
export function valueText(kind, v) {
    if (v === null || v === undefined) return '';
    if (kind === 'datetime') return fmtDate(v);
    if (kind === 'int') return fmtNumber(v);
    if (kind === 'enum' || kind === 'state') return word(v);
    if (kind === 'bool') return v ? t('common.yes') : t('common.no');
    if (Array.isArray(v)) return v.join(', ');
    return String(v);
}
