// session.js - who is logged in and the schema the screens are built from (GET /api/v1/schema).
import { reactive } from 'vue';
import { api, get, setCsrf } from './api.js';
import { setLocale } from './i18n.js';

export const session = reactive({
    user: null, // {username, roles, groups}
    types: [], // /api/v1/schema types
    areas: [], // /api/v1/schema areas: the process areas the menu groups the types by
    ready: false,
    passwordExpiresAt: null, // S1: set from the login answer while the expiry warning applies
});

export function hasRole(role) {
    return !!session.user?.roles?.includes(role);
}

/** A requester: none of the service-desk roles (those of the server's ol_sd_workers, and
 * administrators) and no read of incidents. The self-service portal is their home. */
const DESK_ROLES = ['admin', 'service_desk', 'ops_engineer', 'ops_manager'];
export function isRequester() {
    if (!session.user || session.user.roles.some((r) => DESK_ROLES.includes(r))) return false;
    return !session.types.some((t) => t.path === 'incidents' && t.may.read);
}

export function typeByPath(path) {
    return session.types.find((t) => t.path === path) || null;
}

/** Loads who we are (and the CSRF token) and the schema; false when not logged in. */
export async function loadSession() {
    const r = await api('GET', '/api/v1/session', { quiet401: true }).catch(() => null);
    if (!r) {
        session.user = null;
        session.ready = true;
        return false;
    }
    setCsrf(r.json.csrf_token);
    session.user = { username: r.json.username, roles: r.json.roles || [], groups: r.json.groups || [] };
    if (r.json.locale) setLocale(r.json.locale); // the language the user chose, on any browser
    const schema = await get('/api/v1/schema');
    session.types = schema.types;
    session.areas = schema.areas || [];
    session.ready = true;
    return true;
}

export async function afterLogin(answer) {
    setCsrf(answer.csrf_token);
    session.passwordExpiresAt = answer.password_warning ? answer.password_expires_at : null;
    await loadSession();
}

/** The types the user may read, in the menu's order (by process area, then the rest). */
export function readableInMenuOrder() {
    const order = session.areas.flatMap((a) => a.types);
    const rank = (ty) => (order.indexOf(ty.path) + order.length + 1) % (order.length + 1);
    return session.types.filter((ty) => ty.may.read).sort((a, b) => rank(a) - rank(b));
}

/** Switches the language and, when logged in, remembers it for the user on the server. */
export async function chooseLocale(l) {
    setLocale(l);
    if (session.user) await api('PATCH', '/api/v1/me/preferences', { body: { locale: l } }).catch(() => {});
}

export async function logout() {
    try {
        await api('DELETE', '/api/v1/session', { quiet401: true });
    } catch {
        /* the session may already be gone */
    }
    setCsrf(null);
    session.user = null;
    session.types = [];
    session.areas = [];
}
