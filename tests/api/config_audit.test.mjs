// tests/api/config_audit.test.mjs - configuration changes in the audit trail (REQUIREMENTS S8):
// the first start records the configuration, each later start the settings that changed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer } from './harness.mjs';
import { storeRows } from '../torture/lib.mjs';

for (const backend of backends()) {
    describe(`configuration audit [${backend}]`, () => {
        let srv;
        const env = {}; // read again at every (re)start
        const entries = () => storeRows(srv, {
            sqlite: "SELECT action, target, actor, severity, detail FROM audit_log WHERE action LIKE 'config.%' ORDER BY id",
            pg: "SELECT action, target, actor, severity, detail FROM audit_log WHERE action LIKE 'config.%' ORDER BY id",
        });

        before(async () => {
            srv = await startServer({ backend, env });
        });
        after(async () => {
            await srv?.stop();
        });

        test('config-1 the first start records the whole configuration, without node-local settings or secrets', async () => {
            const rows = await entries();
            assert.equal(rows.length, 1);
            assert.deepEqual([rows[0].action, rows[0].target, rows[0].actor, rows[0].severity],
                ['config.initial', 'config', 'system', 'high']);
            const cfg = JSON.parse(rows[0].detail);
            assert.equal(cfg.lockout_threshold, '5');
            assert.equal(cfg.mfa_required, 'none'); // the harness's setting
            for (const local of ['listen', 'db', 'data', 'threads'])
                assert.ok(!(local in cfg), `${local} is node-local`);
        });

        test('config-2 a restart with changed settings records each change, old and new; an unchanged restart nothing', async () => {
            env.OPSLEDGER_LOCKOUT_THRESHOLD = '6';
            env.OPSLEDGER_EXPORT_MAX_ROWS = '500';
            await srv.restart();
            let rows = await entries();
            const changes = rows.slice(1).map((r) => [r.action, r.target, JSON.parse(r.detail)]);
            assert.deepEqual(changes.sort(), [
                ['config.change', 'export_max_rows', { key: 'export_max_rows', old: '100000', new: '500' }],
                ['config.change', 'lockout_threshold', { key: 'lockout_threshold', old: '5', new: '6' }],
            ]);
            await srv.restart();
            assert.equal((await entries()).length, 3);
            delete env.OPSLEDGER_EXPORT_MAX_ROWS;
            await srv.restart();
            rows = await entries();
            assert.equal(rows.length, 4);
            assert.deepEqual(JSON.parse(rows[3].detail), { key: 'export_max_rows', old: '500', new: '100000' });
            const v = await srv.api('GET', '/api/v1/audit/verify');
            assert.equal(v.json.ok, true, v.text);
        });

        test('config-3 GET /api/v1/policies shows the settings in effect with their defaults, to administrators and auditors', async () => {
            const res = await srv.api('GET', '/api/v1/policies');
            assert.equal(res.status, 200, res.text);
            const by = Object.fromEntries(res.json.items.map((i) => [i.key, i]));
            assert.deepEqual(by.lockout_threshold, {
                key: 'lockout_threshold', value: '6', default: '5',
                description: 'S2: consecutive failed logins that lock an account',
            });
            assert.equal(by.review_days_privileged.value, '30');
            assert.equal(by.password_history.default, '10');
            assert.ok(!/:[^@/]+@/.test(by.db.value), 'no password of a database URL');
        });
    });
}
