// tests/api/export.test.mjs - bulk export of a record type (S5 export permission, S3 step-up in
// mfa.test.mjs, S8 audit): every matching record as CSV or JSON, complete or refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, cliResult, fieldErrors, startServer } from './harness.mjs';
import { storeRows } from '../torture/lib.mjs';

/** Splits RFC 4180 CSV text into rows of cells. */
function parseCsv(text) {
    const rows = [];
    let row = [], cell = '', quoted = false;
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (quoted) {
            if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; }
            else if (ch === '"') quoted = false;
            else cell += ch;
        } else if (ch === '"') quoted = true;
        else if (ch === ',') { row.push(cell); cell = ''; }
        else if (ch === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
        else cell += ch;
    }
    assert.equal(cell, '', 'the CSV ends with CRLF');
    return rows;
}

for (const backend of backends()) {
    describe(`export [${backend}]`, () => {
        let srv;
        const api = (...a) => srv.api(...a);

        before(async () => {
            srv = await startServer({
                backend,
                users: [{ name: 'ed', roles: ['kb_editor'] }, { name: 'amy', roles: ['kb_author'] },
                    { name: 'aud', roles: ['auditor'] }],
                args: ['--export_max_rows', '4'],
            });
            const titles = ['导出测试 一', 'Export, "quoted"', '=HYPERLINK("http://x")', 'plain'];
            for (const [i, title] of titles.entries()) {
                const res = await api('POST', '/api/v1/articles', {
                    body: { title, body: `body ${i}\nsecond line`, category: i % 2 ? 'faq' : 'how_to', tags: ['exp', `t${i}`] },
                    token: srv.tokens.amy,
                });
                assert.equal(res.status, 201, res.text);
            }
        });
        after(async () => {
            await srv?.stop();
        });

        test('export-1 CSV holds every matching record, quoted per RFC 4180, formulas neutralised, audited', async () => {
            const res = await api('GET', '/api/v1/articles/export?format=csv&sort=number', { token: srv.tokens.ed });
            assert.equal(res.status, 200, res.text);
            assert.match(res.headers.get('content-type'), /^text\/csv; charset=utf-8/);
            assert.equal(res.headers.get('content-disposition'), 'attachment; filename="articles.csv"');
            assert.ok(res.text.startsWith('\uFEFF'), 'a byte-order mark for spreadsheet programs');
            const rows = parseCsv(res.text.slice(1));
            const head = rows[0];
            assert.deepEqual(head.slice(0, 4), ['number', 'title', 'state', 'version']);
            assert.ok(head.includes('category') && head.includes('tags') && head.includes('body'));
            const col = (name) => rows.slice(1).map((r) => r[head.indexOf(name)]);
            assert.equal(rows.length, 5);
            assert.deepEqual(col('title'), ['导出测试 一', 'Export, "quoted"', '\'=HYPERLINK("http://x")', 'plain']);
            assert.deepEqual(col('state'), ['draft', 'draft', 'draft', 'draft']);
            assert.equal(col('tags')[0], '["exp","t0"]');
            assert.equal(col('body')[1], 'body 1\nsecond line');
            const audit = await storeRows(srv, {
                sqlite: "SELECT actor, result, severity, detail FROM audit_log WHERE action = 'record.export' ORDER BY id",
                pg: "SELECT actor, result, severity, detail FROM audit_log WHERE action = 'record.export' ORDER BY id",
            });
            assert.equal(audit.length, 1);
            assert.deepEqual([audit[0].actor, audit[0].result, audit[0].severity], ['ed', 'ok', 'high']);
            assert.equal(JSON.parse(audit[0].detail).count, 4);
        });

        test('export-2 JSON and filters: the list\'s filters select what is exported', async () => {
            const res = await api('GET', '/api/v1/articles/export?format=json&category=faq', { token: srv.tokens.ed });
            assert.equal(res.status, 200, res.text);
            assert.match(res.headers.get('content-type'), /^application\/json/);
            assert.equal(res.json.length, 2);
            assert.ok(res.json.every((r) => r.category === 'faq' && /^KB-\d{6}$/.test(r.number)));
            const auditor = await api('GET', '/api/v1/articles/export?q=导出', { token: srv.tokens.aud });
            assert.equal(auditor.status, 200, auditor.text);
            assert.equal(parseCsv(auditor.text.slice(1)).length, 2); // auditors may read and export
        });

        test('export-3 without the export permission: 403, audited as denied, nothing sent', async () => {
            const res = await api('GET', '/api/v1/articles/export', { token: srv.tokens.amy });
            assert.equal(res.status, 403, res.text);
            assert.match(res.json.detail, /may not export/);
            const rows = await storeRows(srv, {
                sqlite: "SELECT actor, result FROM audit_log WHERE action = 'record.export' AND actor = 'amy'",
                pg: "SELECT actor, result FROM audit_log WHERE action = 'record.export' AND actor = 'amy'",
            });
            assert.deepEqual(rows, [{ actor: 'amy', result: 'denied' }]);
        });

        test('export-5 `opsledger records export` writes the server\'s export to stdout', async () => {
            const env = { OPSLEDGER_URL: srv.url, OPSLEDGER_TOKEN: srv.tokens.ed };
            let r = cliResult(['records', 'export', 'articles', '--format', 'json', '--filter', 'category=how_to'], { env });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(JSON.parse(r.stdout).map((a) => a.category), ['how_to', 'how_to']);
            r = cliResult(['records', 'export', 'articles', '--format', 'pdf'], { env });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /format: must be one of: csv, json/);
            r = cliResult(['records', 'export', 'articles'], { env: { ...env, OPSLEDGER_TOKEN: srv.tokens.amy } });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /403/);
        });

        test('export-4 bad parameters are named; paging is refused; too many matches refuse the export', async () => {
            let res = await api('GET', '/api/v1/articles/export?format=xlsx&limit=5&nosuch=1', { token: srv.tokens.ed });
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(fieldErrors(res).sort(), ['format:enum', 'limit:export_paging', 'nosuch:bad_filter'].sort());
            res = await api('GET', '/api/v1/articles/export?format=xlsx', { token: srv.tokens.ed, headers: { 'Accept-Language': 'zh-CN' } });
            assert.match(JSON.stringify(res.json.errors), /必须是以下之一/);
            res = await api('POST', '/api/v1/articles', { body: { title: 'fifth', body: 'b', category: 'faq' }, token: srv.tokens.amy });
            assert.equal(res.status, 201, res.text);
            res = await api('GET', '/api/v1/articles/export', { token: srv.tokens.ed });
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(fieldErrors(res), ['export_max_rows:export_too_many']);
            assert.match(res.json.errors[0].message, /more than 4 records/);
            res = await api('GET', '/api/v1/articles/export?category=faq', { token: srv.tokens.ed });
            assert.equal(res.status, 200, res.text);
            res = await api('POST', '/api/v1/articles/export', { body: {}, token: srv.tokens.ed });
            assert.equal(res.status, 405);
        });
    });
}
