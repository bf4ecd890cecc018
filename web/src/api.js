// api.js - every call to the opsledger API: the session cookie goes along by itself, writes add
// the CSRF token from the login answer, messages follow the UI's language, a 401 sends the user
// back to the login (keeping the route), and a step-up refusal asks for a TOTP code and retries.
import { locale } from './i18n.js';

let csrf = null;
let onUnauthorized = () => {};
let askStepUp = async () => null;

export function setCsrf(token) {
    csrf = token || null;
}
export function setUnauthorizedHandler(fn) {
    onUnauthorized = fn;
}
export function setStepUpHandler(fn) {
    askStepUp = fn;
}

/** An API answer that is not 2xx: status, the problem document and its per-field errors. */
export class ApiError extends Error {
    constructor(status, problem) {
        super(problem?.detail || problem?.title || `HTTP ${status}`);
        this.status = status;
        this.problem = problem || {};
        this.type = problem?.type || '';
        this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
    }
    /** {field: message} for showing each beside its field. */
    byField() {
        const out = {};
        for (const e of this.errors) if (e.field && !out[e.field]) out[e.field] = e.message || e.code;
        return out;
    }
}

async function send(method, path, { body, headers = {}, quiet401 = false } = {}) {
    const h = { Accept: 'application/json', 'Accept-Language': locale.value, ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (method !== 'GET' && method !== 'HEAD' && csrf) h['X-CSRF-Token'] = csrf;
    const res = await fetch(path, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
    });
    const text = await res.text();
    let json = null;
    if (text) {
        try {
            json = JSON.parse(text);
        } catch {
            json = { detail: text };
        }
    }
    if (res.status === 401 && !quiet401) onUnauthorized();
    return { status: res.status, json, text, headers: res.headers };
}

/** One request; resolves to {status, json, headers} for 2xx, throws ApiError otherwise. */
export async function api(method, path, opts = {}) {
    let r = await send(method, path, opts);
    if (r.status === 403 && /step-up-required/.test(r.json?.type || '') && !opts.noStepUp) {
        const code = await askStepUp();
        if (code) {
            const s = await send('POST', '/api/v1/session/step-up', { body: { code } });
            if (s.status >= 300) throw new ApiError(s.status, s.json);
            r = await send(method, path, opts);
        }
    }
    if (r.status >= 300 && r.status !== 304) throw new ApiError(r.status, r.json);
    return r;
}

export const get = (path, opts) => api('GET', path, opts).then((r) => r.json);
export const post = (path, body, opts = {}) => api('POST', path, { ...opts, body }).then((r) => r.json);
export const put = (path, body, opts = {}) => api('PUT', path, { ...opts, body }).then((r) => r.json);
export const del = (path, body, opts = {}) => api('DELETE', path, { ...opts, body }).then((r) => r.json);

/** A query string from an object, skipping empty values. */
export function qs(params) {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.append(k, v);
    const s = u.toString();
    return s ? `?${s}` : '';
}
