// tests/api/ldap-server.mjs - a throw-away OpenLDAP slapd for the directory-login tests: a temp
// directory with a cn=config made by slapadd (mdb backend, memberof overlay), listening on
// 127.0.0.1 on a free port, loaded with ldapadd, and stopped by PID.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const BASE = 'dc=example,dc=com';
export const ROOT_DN = `cn=admin,${BASE}`;
export const SVC_DN = `cn=svc,${BASE}`;
const ROOT_PW = 'root-secret-pw';
export const SVC_PW = 'svc-secret-pw';
const SLAPD = process.env.SLAPD || '/usr/sbin/slapd';
const MODULES = '/usr/lib/ldap';
const SCHEMA = '/etc/ldap/schema';

const live = new Map();
process.on('exit', () => {
    for (const pid of live.keys()) {
        try {
            process.kill(pid, 'SIGKILL');
        } catch {
            /* gone */
        }
    }
});

/** Why slapd cannot run here, or null. */
export function slapdMissing() {
    for (const f of [SLAPD, '/usr/bin/ldapadd', path.join(MODULES, 'back_mdb.so'), path.join(MODULES, 'memberof.so')])
        if (!fs.existsSync(f)) return `${f} is missing (apt-get install slapd ldap-utils)`;
    return null;
}

function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

function configLdif(dir, tls) {
    const tlsLines = tls
        ? `olcTLSCertificateFile: ${dir}/tls.crt\nolcTLSCertificateKeyFile: ${dir}/tls.key\n`
        : '';
    return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${dir}/slapd.pid
${tlsLines}
dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: ${MODULES}
olcModuleLoad: back_mdb
olcModuleLoad: memberof

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://${SCHEMA}/core.ldif
include: file://${SCHEMA}/cosine.ldif
include: file://${SCHEMA}/inetorgperson.ldif

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: ${BASE}
olcDbDirectory: ${dir}/db
olcDbMaxSize: 16777216
olcRootDN: ${ROOT_DN}
olcRootPW: ${ROOT_PW}
olcAccess: {0}to attrs=userPassword by anonymous auth by * none
olcAccess: {1}to * by dn.exact="${SVC_DN}" read by self read by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE
`;
}

/** LDIF for people [{uid, cn, mail, password}] and groups [{cn, members: [uid]}]. */
export function dataLdif(people, groups) {
    let out = `dn: ${BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n` +
        `dn: ou=people,${BASE}\nobjectClass: organizationalUnit\nou: people\n\n` +
        `dn: ou=groups,${BASE}\nobjectClass: organizationalUnit\nou: groups\n\n` +
        `dn: ${SVC_DN}\nobjectClass: person\ncn: svc\nsn: svc\nuserPassword: ${SVC_PW}\n\n`;
    for (const p of people)
        out += `dn: uid=${p.uid},ou=people,${BASE}\nobjectClass: inetOrgPerson\nuid: ${p.uid}\n` +
            `cn: ${p.cn}\nsn: ${p.cn.split(' ').pop()}\n${p.mail ? `mail: ${p.mail}\n` : ''}` +
            `userPassword: ${p.password}\n\n`;
    for (const g of groups)
        out += `dn: ${groupDn(g.cn)}\nobjectClass: groupOfNames\ncn: ${g.cn}\n` +
            g.members.map((m) => `member: ${userDn(m)}\n`).join('') + '\n';
    return out;
}

export const userDn = (uid) => `uid=${uid},ou=people,${BASE}`;
export const groupDn = (cn) => `cn=${cn},ou=groups,${BASE}`;

/**
 * Starts slapd with people and groups loaded. Returns {url, port, dir, svcPasswordFile, log(),
 * modify(ldif), stop()}; with tls, also ldapsUrl and caFile (a self-signed certificate for
 * 127.0.0.1, which also serves StartTLS on url). log() is slapd's connection/operation log
 * (stats level): binds and searches, to check what the server was asked.
 */
export async function startSlapd({ people = [], groups = [], tls = false } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-slapd-'));
    fs.mkdirSync(path.join(dir, 'slapd.d'));
    fs.mkdirSync(path.join(dir, 'db'));
    if (tls)
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
            '-nodes', '-keyout', path.join(dir, 'tls.key'), '-out', path.join(dir, 'tls.crt'), '-days', '2',
            '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    fs.writeFileSync(path.join(dir, 'config.ldif'), configLdif(dir, tls));
    execFileSync('/usr/sbin/slapadd', ['-n0', '-F', path.join(dir, 'slapd.d'), '-l', path.join(dir, 'config.ldif')],
        { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    const port = await freePort();
    const url = `ldap://127.0.0.1:${port}/`;
    const ldapsUrl = tls ? `ldaps://127.0.0.1:${await freePort()}/` : null;
    // -d 256: stay in the foreground (so the PID is slapd's) and log each operation to stderr.
    const child = spawn(SLAPD, ['-d', '256', '-F', path.join(dir, 'slapd.d'), '-h', [url, ldapsUrl].filter(Boolean).join(' ')], {
        stdio: ['ignore', 'ignore', 'pipe'],
    });
    live.set(child.pid, child);
    let log = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
        log += d;
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const svcPasswordFile = path.join(dir, 'svc.password');
    fs.writeFileSync(svcPasswordFile, `${SVC_PW}\n`, { mode: 0o600 });

    const ldap = (tool, ldif) =>
        execFileSync(tool, ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PW], {
            input: ldif,
            stdio: ['pipe', 'pipe', 'pipe'],
            timeout: 30_000,
        });
    const srv = {
        url,
        port,
        ldapsUrl,
        caFile: tls ? path.join(dir, 'tls.crt') : null,
        dir,
        svcPasswordFile,
        log: () => log,
        /** Applies an LDIF change set (ldapmodify) as the directory's administrator. */
        modify: (ldif) => ldap('/usr/bin/ldapmodify', ldif),
        /** Stops slapd by its PID and removes its files. */
        stop: async () => {
            if (child.exitCode === null && child.signalCode === null) {
                child.kill('SIGTERM');
                const t = setTimeout(() => child.kill('SIGKILL'), 5000);
                await exited;
                clearTimeout(t);
            }
            live.delete(child.pid);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
    // Wait until it answers, then load the entries.
    const deadline = Date.now() + 10_000;
    for (;;) {
        try {
            ldap('/usr/bin/ldapadd', dataLdif(people, groups));
            break;
        } catch (e) {
            if (Date.now() > deadline || child.exitCode !== null) {
                await srv.stop();
                throw new Error(`slapd did not start: ${e.stderr || e.message}\n${log.slice(-2000)}`);
            }
            await new Promise((r) => setTimeout(r, 100));
        }
    }
    return srv;
}
