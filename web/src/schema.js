// schema.js - what the screens derive from a type of /api/v1/schema: every column a record has
// (the shared ones first), which of them may filter and sort, and the default columns.
import { t } from './i18n.js';

const SHARED = [
    ['number', 'string'], ['title', 'string'], ['state', 'state'], ['priority', 'string'],
    ['owner', 'user'], ['group', 'string'], ['created_at', 'datetime'], ['updated_at', 'datetime'],
    ['state_changed_at', 'datetime'], ['created_by', 'user'], ['updated_by', 'user'],
];

/** Every field of a record of type ty: {name, kind, label(): text, field (declared) | null}. */
export function columns(ty) {
    const out = [];
    const declared = new Map(ty.fields.map((f) => [f.name, f]));
    for (const [name, kind] of SHARED) {
        const f = declared.get(name);
        if (f) continue; // declared below with its own label
        if (name === 'priority' || name === 'owner' || name === 'group') continue; // only when declared
        out.push({ name, kind, field: null });
    }
    for (const f of ty.fields) out.push({ name: f.name, kind: f.kind, field: f });
    // number, title, state first, whichever of them the type declares itself
    const first = ['number', 'title', 'state'];
    return [...first.map((n) => out.find((c) => c.name === n)).filter(Boolean), ...out.filter((c) => !first.includes(c.name))];
}

export function columnLabel(col, labelFn) {
    return col.field ? labelFn(col.field.label, col.name) : t(`col.${col.name}`);
}

/** Fields a list may filter on: the type's filterable ones and the shared state/creator. */
export function filterable(ty) {
    const cols = columns(ty);
    return cols.filter((c) => (c.field ? c.field.filterable : ['state', 'created_by', 'updated_by'].includes(c.name)));
}

export function defaultColumns(ty) {
    const names = ['number', 'title', 'state'];
    // the queue's own columns first (priority, owner) when the type has them, then its filters
    for (const n of ['priority', 'owner']) if (ty.fields.some((f) => f.name === n)) names.push(n);
    for (const f of ty.fields) if (f.filterable && names.length < 7 && f.kind !== 'datetime' && !names.includes(f.name)) names.push(f.name);
    names.push('updated_at');
    return [...new Set(names)];
}

/** The transitions the user may take from the record's state. */
export function transitionsFrom(ty, state) {
    return ty.transitions.filter((tr) => tr.allowed && tr.from.includes(state));
}
