// tests/api/i18n.test.mjs - zh-CN and en throughout (issue 5): every state and every choice value
// of every record type the server declares has a word in both of the web UI's catalogues
// (web/src/messages.js, "v.<value>"), so a module cannot ship words the UI shows untranslated.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { messages } from '../../web/src/messages.js';
import { startServer } from './harness.mjs';

describe('i18n', () => {
    let srv;
    before(async () => {
        srv = await startServer();
    });
    after(async () => {
        await srv?.stop();
    });

    test('i18n-1 every state and choice value of every type has an en and a zh-CN word', async () => {
        const res = await srv.api('GET', '/api/v1/schema');
        assert.equal(res.status, 200, res.text);
        const missing = [];
        for (const ty of res.json.types) {
            const values = new Set(ty.states);
            for (const f of ty.fields) for (const v of f.values || []) values.add(v);
            for (const v of values)
                for (const lang of ['en', 'zh-CN'])
                    if (!messages[lang][`v.${v}`]) missing.push(`${lang} v.${v} (${ty.path})`);
        }
        assert.deepEqual(missing, [], `add these to web/src/messages.js:\n${missing.join('\n')}`);
    });

    test('i18n-2 every type sits in one process area of the menu, and each area is named in both languages', async () => {
        const { types, areas } = (await srv.api('GET', '/api/v1/schema')).json;
        assert.ok(areas.length >= 5, JSON.stringify(areas));
        const listed = areas.flatMap((a) => a.types);
        assert.equal(new Set(listed).size, listed.length, 'a type is in one area only');
        for (const ty of types) {
            assert.ok(ty.area, `${ty.path} has no area: add it to ol_areas in src/modules/registry.c`);
            const a = areas.find((x) => x.name === ty.area);
            assert.ok(a.types.includes(ty.path), ty.path);
        }
        for (const a of areas) assert.ok(a.label.en && a.label['zh-CN'] && a.label.en !== a.label['zh-CN'], JSON.stringify(a));
    });
});
