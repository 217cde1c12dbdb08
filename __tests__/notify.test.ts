// Notifications: the body of each format for each outcome (shape limits of Slack, Teams and Discord, the
// documented json fields), and delivery to a real HTTP server on 127.0.0.1: retries on 5xx, none on a
// 4xx, the time budget against a server that never answers, the outcome filter, and no secret in a
// body or a warning (database passwords, URL credentials, the webhook's path).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Outcome } from '../src/commands/outcome';
import { ConfigError, PgshiftError, PolicyError } from '../src/errors';
import { notificationBody, notifySink, type NotificationJson, type NotifyContext } from '../src/report/notify';
import { Redactor } from '../src/report/redact';
import { NOTIFY_FORMATS, SETTINGS, type NotifyOutcome } from '../src/settings';
import { runCli, tempDir, writeMigrations } from './helpers/db';

const DB_URL = 'postgres://deployer:s3cr3t-pass@db.internal:5432/app';
const CTX: NotifyContext = { repository: 'acme/shop', runUrl: 'https://github.com/acme/shop/actions/runs/42', actor: 'octocat', commit: '0123456789abcdef0123', database: 'app' };

function outcome(over: Partial<Outcome>): Outcome {
  return { command: 'up', status: 'applied', incident: false, environment: 'production', protected: true, review: { findings: [], refused: [] }, applied: [], ...over };
}

const OUTCOMES: Record<string, Outcome> = {
  applied: outcome({ applied: ['20240101', '20240102', '20240103'], durationMs: 4200, currentVersion: '20240103' }),
  upToDate: outcome({ status: 'up-to-date', currentVersion: '20240103', durationMs: 80 }),
  failed: outcome({
    status: 'failed',
    incident: true,
    applied: ['20240101'],
    error: new PgshiftError('migration 20240102 (add_x) failed at m.sql:3:1: column "x" already exists.\nIt was rolled back.'),
    durationMs: 900,
  }),
  refused: outcome({ status: 'refused', incident: true, error: new PolicyError('production is protected: destructive findings refuse the run', []) }),
  autoRollback: outcome({
    status: 'rolled-back',
    incident: true,
    applied: ['20240101', '20240102'],
    durationMs: 65_000,
    error: new PgshiftError('the health check failed: rolled back the 2 migrations this run applied.'),
    rollback: { reason: 'the health check failed', versions: ['20240102', '20240101'], rolledBack: ['20240102', '20240101'], stillApplied: [] },
    health: [
      { kind: 'url', target: 'https://app.example.com/health', passed: false, returned: 'HTTP 503 Service Unavailable', tries: 5, durationMs: 60_000 },
      { kind: 'url', target: 'https://app.example.com/health', passed: true, returned: 'HTTP 200 OK', tries: 1, durationMs: 40, afterRollback: true },
    ],
    backup: {
      mode: 'auto',
      file: '/home/runner/work/_temp/pgshift-production-20240101.dump',
      bytes: 123_456,
      dataTables: ['public.users'],
      entries: 12,
      tool: 'pg_dump (PostgreSQL) 16.2',
      restoreCommand: 'pg_restore -d "$DATABASE_URL" x',
      durationMs: 800,
    },
  }),
  down: outcome({ command: 'down', status: 'rolled-back', applied: ['20240103'], durationMs: 300 }),
};

type Json = Record<string, any>;
const body = (o: Outcome, format: (typeof NOTIFY_FORMATS)[number]) => notificationBody(o, format, CTX) as Json;

describe('bodies', () => {
  test('every format carries one text line naming the outcome, the environment and the versions', () => {
    const lines = Object.fromEntries(Object.entries(OUTCOMES).map(([k, o]) => [k, (body(o, 'json') as NotificationJson).text]));
    expect(lines.applied).toBe('✅ pgshift applied 3 migrations to production (20240101, 20240102, 20240103) in 4.2 s');
    expect(lines.upToDate).toBe('✅ pgshift: production is up to date at 20240103');
    expect(lines.failed).toBe('❌ pgshift failed in production: migration 20240102 (add_x) failed at m.sql:3:1: column "x" already exists.');
    expect(lines.refused).toMatch(/^⛔ pgshift refused to run in production: production is protected/);
    expect(lines.autoRollback).toBe('↩️ pgshift rolled back 2 migrations in production after the health check failed (20240102, 20240101)');
    expect(lines.down).toBe('↩️ pgshift rolled back 1 migration in production (20240103) in 300 ms');
    for (const o of Object.values(OUTCOMES)) {
      for (const format of NOTIFY_FORMATS) {
        const b = body(o, format);
        const text = (b.text ?? b.content) as string;
        expect([format, text]).toEqual([format, (body(o, 'json') as NotificationJson).text]);
        expect(text).not.toContain('\n');
      }
    }
  });

  test('slack: text and blocks within Slack limits, a fields section and the run link', () => {
    for (const o of Object.values(OUTCOMES)) {
      const b = body(o, 'slack');
      expect(typeof b.text).toBe('string');
      expect(b.blocks.length).toBeLessThanOrEqual(50);
      for (const block of b.blocks) {
        expect(['section', 'context', 'actions']).toContain(block.type);
        if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
        if (block.fields) {
          expect(block.fields.length).toBeLessThanOrEqual(10);
          for (const f of block.fields) expect([f.type, f.text.length <= 2000]).toEqual(['mrkdwn', true]);
        }
      }
      const fields = b.blocks.find((x: Json) => x.fields).fields.map((f: Json) => f.text);
      expect(fields).toContain('*Environment*\nproduction (protected)');
      const button = b.blocks.find((x: Json) => x.type === 'actions').elements[0];
      expect(button).toEqual({ type: 'button', text: { type: 'plain_text', text: 'View run' }, url: CTX.runUrl });
    }
    const rb = JSON.stringify(body(OUTCOMES.autoRollback, 'slack'));
    expect(rb).toContain('HTTP 503 Service Unavailable');
    expect(rb).toContain('pgshift-production-20240101.dump');
    expect(rb).not.toContain('/home/runner');
  });

  test('slack: a huge error is cut within the limit and mrkdwn control characters are escaped', () => {
    const o = outcome({ status: 'failed', incident: true, error: new PgshiftError(`<!channel> ${'x&'.repeat(5000)}`) });
    const b = body(o, 'slack');
    for (const block of b.blocks) if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
    expect(JSON.stringify(b.blocks)).not.toContain('<!channel>');
    expect(JSON.stringify(b.blocks)).toContain('&lt;!channel&gt;');
  });

  test('teams: an Adaptive Card message with a FactSet and an OpenUrl action, plus the text line', () => {
    for (const o of Object.values(OUTCOMES)) {
      const b = body(o, 'teams');
      expect(b.type).toBe('message');
      expect(typeof b.text).toBe('string');
      expect(b.attachments).toHaveLength(1);
      const a = b.attachments[0];
      expect(a.contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect([a.content.type, a.content.version]).toEqual(['AdaptiveCard', '1.4']);
      expect(a.content.body[0]).toMatchObject({ type: 'TextBlock', text: b.text, wrap: true });
      const facts = a.content.body.find((x: Json) => x.type === 'FactSet').facts;
      expect(facts).toContainEqual({ title: 'Environment', value: 'production (protected)' });
      expect(facts).toContainEqual({ title: 'Actor', value: 'octocat' });
      expect(a.content.actions).toEqual([{ type: 'Action.OpenUrl', title: 'View run', url: CTX.runUrl }]);
    }
  });

  test('discord: content and one embed within Discord limits; nobody is pinged', () => {
    const huge = outcome({ status: 'failed', incident: true, error: new PgshiftError(`@everyone ${'y'.repeat(10_000)}`), applied: Array.from({ length: 400 }, (_, i) => String(20240000 + i)) });
    for (const o of [...Object.values(OUTCOMES), huge]) {
      const b = body(o, 'discord');
      expect(b.content.length).toBeLessThanOrEqual(2000);
      expect(b.allowed_mentions).toEqual({ parse: [] });
      expect(b.embeds).toHaveLength(1);
      const e = b.embeds[0];
      expect(e.title.length).toBeLessThanOrEqual(256);
      expect(typeof e.color).toBe('number');
      expect(e.url).toBe(CTX.runUrl);
      expect(e.fields.length).toBeLessThanOrEqual(25);
      for (const f of e.fields) expect([f.name.length <= 256, f.value.length <= 1024, typeof f.inline]).toEqual([true, true, 'boolean']);
      const total = e.title.length + (e.description?.length ?? 0) + e.footer.text.length + e.fields.reduce((n: number, f: Json) => n + f.name.length + f.value.length, 0);
      expect(total).toBeLessThanOrEqual(6000);
    }
  });

  test('json: the documented fields', () => {
    const b = body(OUTCOMES.autoRollback, 'json') as NotificationJson;
    expect(Object.keys(b).sort()).toEqual(
      [
        'text',
        'tool',
        'outcome',
        'command',
        'environment',
        'protected',
        'database',
        'versions',
        'rolledBack',
        'stillApplied',
        'rollbackReason',
        'durationMs',
        'error',
        'health',
        'backup',
        'run',
      ].sort(),
    );
    expect(b).toMatchObject({
      tool: 'pgshift',
      outcome: 'rolled-back',
      command: 'up',
      environment: 'production',
      protected: true,
      database: 'app',
      versions: ['20240102', '20240101'],
      rolledBack: ['20240102', '20240101'],
      stillApplied: [],
      rollbackReason: 'the health check failed',
      durationMs: 65_000,
      backup: { file: 'pgshift-production-20240101.dump', mode: 'auto', bytes: 123_456 },
      run: { url: CTX.runUrl, actor: 'octocat', commit: CTX.commit, repository: 'acme/shop' },
    });
    expect(b.health).toHaveLength(2);
    expect(b.health[1]).toMatchObject({ passed: true, afterRollback: true });
    const applied = body(OUTCOMES.applied, 'json') as NotificationJson;
    expect(applied).toMatchObject({ outcome: 'applied', versions: ['20240101', '20240102', '20240103'], rolledBack: [], error: null, backup: null, health: [] });
    const down = body(OUTCOMES.down, 'json') as NotificationJson;
    expect(down).toMatchObject({ outcome: 'rolled-back', command: 'down', versions: ['20240103'], rolledBack: ['20240103'], rollbackReason: null });
    const refused = body(OUTCOMES.refused, 'json') as NotificationJson;
    expect(refused.error).toContain('production is protected');
  });
});

/** A webhook on 127.0.0.1 that answers each request with the next of `answers` (the last repeats). */
interface Hook {
  url: string;
  requests: { headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

type Answer = number | 'hang' | ((res: ServerResponse) => void);

async function hook(answers: Answer[], path = '/services/T000/B000/XXXXsecretXXXX'): Promise<Hook> {
  const requests: Hook['requests'] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push({ headers: req.headers, body });
      const a = answers[Math.min(requests.length - 1, answers.length - 1)];
      if (a === 'hang') hanging.push(res);
      else if (typeof a === 'function') a(res);
      else res.writeHead(a, { 'Content-Type': 'text/plain' }).end(a === 400 ? 'invalid_payload' : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function sink(url: string, over: Partial<Parameters<typeof notifySink>[0]> = {}) {
  const warnings: string[] = [];
  const infos: string[] = [];
  const s = notifySink({
    url,
    format: 'slack',
    on: SETTINGS.notifyOn.default,
    context: CTX,
    redactor: new Redactor().addUrl(DB_URL),
    warn: (m) => warnings.push(m),
    info: (m) => infos.push(m),
    backoffMs: 20,
    ...over,
  });
  return { sink: s, warnings, infos };
}

describe('delivery', () => {
  const hooks: Hook[] = [];
  afterEach(async () => {
    for (const h of hooks.splice(0)) await h.close();
  });
  const serve = async (answers: Answer[], path?: string) => {
    const h = await hook(answers, path);
    hooks.push(h);
    return h;
  };

  test('a failure is POSTed as JSON with a User-Agent naming pgshift', async () => {
    const h = await serve([200]);
    const { sink: s, warnings, infos } = sink(h.url, { version: '0.1.0' });
    await s.finished(OUTCOMES.failed);
    expect(h.requests).toHaveLength(1);
    expect(h.requests[0].headers['content-type']).toBe('application/json');
    expect(h.requests[0].headers['user-agent']).toMatch(/^pgshift\/0\.1\.0/);
    expect(JSON.parse(h.requests[0].body).blocks.length).toBeGreaterThan(0);
    expect(warnings).toEqual([]);
    expect(infos).toEqual([`notified ${new URL(h.url).host} (failed)`]);
  });

  test('500 twice then 200: exactly three requests, after the default backoff (500 ms, 1.5 s), and no warning', async () => {
    const h = await serve([500, 500, 200]);
    const { sink: s, warnings } = sink(h.url, { backoffMs: undefined });
    const started = Date.now();
    await s.finished(OUTCOMES.failed);
    expect(h.requests).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(warnings).toEqual([]);
  });

  test('a Retry-After past the budget ends the tries at once, saying so', async () => {
    const h = await serve([(res) => res.writeHead(429, { 'Retry-After': '120' }).end()]);
    const { sink: s, warnings } = sink(h.url);
    await s.finished(OUTCOMES.failed);
    expect(h.requests).toHaveLength(1);
    expect(warnings[0]).toContain('HTTP 429 Too Many Requests; asked to retry after 2 min 0 s, past the 10.0 s budget (1 try)');
  });

  test('429 with a small Retry-After is retried after it', async () => {
    const h = await serve([(res) => res.writeHead(429, { 'Retry-After': '0' }).end(), 204]);
    const { sink: s, warnings } = sink(h.url);
    await s.finished(OUTCOMES.failed);
    expect(h.requests).toHaveLength(2);
    expect(warnings).toEqual([]);
  });

  test('a 400 is not retried: one request and a warning naming the host, never the path', async () => {
    const h = await serve([400]);
    const { sink: s, warnings, infos } = sink(h.url);
    await s.finished(OUTCOMES.refused);
    expect(h.requests).toHaveLength(1);
    expect(infos).toEqual([]);
    expect(warnings).toHaveLength(1);
    const origin = new URL(h.url).origin;
    expect(warnings[0]).toBe(`the slack notification to ${origin} was not delivered: HTTP 400 Bad Request (invalid_payload) (1 try). The deploy's outcome stands.`);
    expect(warnings[0]).not.toContain('XXXXsecretXXXX');
  });

  test('500 every time: three tries, then a warning without the path', async () => {
    const h = await serve([503]);
    const { sink: s, warnings } = sink(h.url);
    await s.finished(OUTCOMES.failed);
    expect(h.requests).toHaveLength(3);
    expect(warnings[0]).toContain('HTTP 503');
    expect(warnings[0]).toContain('(3 tries)');
    expect(warnings.join('\n')).not.toContain('secret');
  });

  test('a server that never answers: the sink returns within the budget, with a warning', async () => {
    const h = await serve(['hang']);
    const { sink: s, warnings } = sink(h.url, { budgetMs: 1500 });
    const started = Date.now();
    await s.finished(OUTCOMES.failed);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(2000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no answer within/);
    expect(warnings[0]).not.toContain('XXXXsecretXXXX');
  });

  test('nothing listening: a warning naming the host, never the path; finished() does not throw', async () => {
    const h = await serve([200]);
    const url = h.url;
    await h.close();
    hooks.splice(0);
    const { sink: s, warnings } = sink(url, { budgetMs: 1500 });
    await expect(s.finished(OUTCOMES.failed)).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(new URL(url).origin);
    expect(warnings[0]).not.toContain('XXXXsecretXXXX');
  });

  test('credentials in the webhook URL go as basic auth, and never reach a warning', async () => {
    const h = await serve([400]);
    const url = h.url.replace('http://', 'http://hookuser:hookpass1234@');
    const { sink: s, warnings } = sink(url);
    await s.finished(OUTCOMES.failed);
    expect(h.requests).toHaveLength(1);
    expect(h.requests[0].headers.authorization).toBe(`Basic ${Buffer.from('hookuser:hookpass1234').toString('base64')}`);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(new URL(h.url).origin);
    expect(warnings[0]).not.toContain('hookpass1234');
    expect(warnings[0]).not.toContain('hookuser');
  });

  test('a URL that is no URL: a warning that does not repeat it, and no request', async () => {
    const { sink: s, warnings } = sink('hooks.slack.com/services/T000/B000/XXXXsecretXXXX');
    await s.finished(OUTCOMES.failed);
    expect(warnings).toEqual(["the slack notification was not sent: its URL is not a valid URL. The deploy's outcome stands."]);
  });

  test('the outcome filter: by default failures and rollbacks only; always sends everything; a dry run never', async () => {
    const h = await serve([200]);
    const byDefault = sink(h.url).sink;
    await byDefault.finished(OUTCOMES.applied);
    await byDefault.finished(OUTCOMES.upToDate);
    expect(h.requests).toHaveLength(0);
    await byDefault.finished(OUTCOMES.autoRollback);
    await byDefault.finished(OUTCOMES.refused);
    await byDefault.finished(OUTCOMES.down);
    expect(h.requests.map((r) => JSON.parse(r.body).text)).toEqual([
      expect.stringMatching(/^↩️ .*after the health check failed/),
      expect.stringMatching(/^⛔/),
      expect.stringMatching(/^↩️ pgshift rolled back 1 migration/),
    ]);
    const always = sink(h.url, { on: SETTINGS.notifyOn.parse('always', '--notify-on') as NotifyOutcome[] }).sink;
    await always.finished(OUTCOMES.applied);
    await always.finished(OUTCOMES.upToDate);
    await always.finished(outcome({ command: 'plan', status: 'planned' }));
    expect(h.requests).toHaveLength(5);
    const onlyApplied = sink(h.url, { on: ['applied'], format: 'json' }).sink;
    await onlyApplied.finished(OUTCOMES.failed);
    await onlyApplied.finished(OUTCOMES.applied);
    expect(h.requests).toHaveLength(6);
    expect(JSON.parse(h.requests[5].body).outcome).toBe('applied');
  });

  test('no secret in any body: a password in the error, a URL with credentials in the outcome', async () => {
    const h = await serve([200]);
    const leaky = outcome({
      status: 'failed',
      incident: true,
      target: 'app',
      error: new ConfigError(`could not connect to ${DB_URL}: password s3cr3t-pass rejected; also tried https://admin:hunter2hunter2@api.example.com/x`),
      health: [{ kind: 'url', target: 'https://probe:probepass99@app.example.com/health', passed: false, returned: 'HTTP 500', tries: 1, durationMs: 5 }],
    });
    for (const format of NOTIFY_FORMATS) {
      await sink(h.url, { format, on: ['failed'] }).sink.finished(leaky);
    }
    expect(h.requests).toHaveLength(NOTIFY_FORMATS.length);
    for (const r of h.requests) {
      expect(r.body).not.toContain('s3cr3t-pass');
      expect(r.body).not.toContain('hunter2hunter2');
      expect(r.body).not.toContain('probepass99');
      expect(r.body).not.toContain(DB_URL);
      expect(r.body).toContain('could not connect to');
    }
  });
});

describe('through the CLI', () => {
  test('a deploy that cannot connect notifies $PGSHIFT_NOTIFY_URL (json), and the terminal never shows the webhook path', async () => {
    const h = await hook([200]);
    try {
      const dir = writeMigrations(join(tempDir(), 'migrations'), { '1_a.sql': 'CREATE TABLE a (id int);\n' });
      // Nothing listens on port 1: the deploy fails fast, and a failure is notified by default.
      const r = await runCli(['up', '--dir', dir, '--database-url', 'postgres://u:pw-secret-1@127.0.0.1:1/appdb', '--env', 'staging', '--connect-timeout', '1s', '--notify-format', 'json'], {
        env: { PGSHIFT_NOTIFY_URL: h.url, GITHUB_ACTOR: 'octocat', GITHUB_REPOSITORY: 'acme/shop', GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '7', GITHUB_SHA: 'abc123' },
      });
      expect(r.code).toBe(2);
      expect(h.requests).toHaveLength(1);
      const body = JSON.parse(h.requests[0].body) as NotificationJson;
      expect(body).toMatchObject({
        tool: 'pgshift',
        outcome: 'failed',
        command: 'up',
        environment: 'staging',
        database: 'appdb',
        run: { url: 'https://github.com/acme/shop/actions/runs/7', actor: 'octocat', commit: 'abc123', repository: 'acme/shop' },
      });
      expect(body.text).toMatch(/^❌ pgshift failed in staging: /);
      expect(h.requests[0].body).not.toContain('pw-secret-1');
      expect(r.stderr).toContain(`notified ${new URL(h.url).host} (failed)`);
      expect(r.stderr + r.stdout).not.toContain('XXXXsecretXXXX');
    } finally {
      await h.close();
    }
  });

  test('a bad --notify-on is a usage error, and nothing is sent', async () => {
    const h = await hook([200]);
    try {
      const dir = writeMigrations(join(tempDir(), 'migrations'), { '1_a.sql': 'CREATE TABLE a (id int);\n' });
      const bad = await runCli(['up', '--dir', dir, '--notify-url', h.url, '--notify-on', 'sometimes']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--notify-on: "sometimes" is not an outcome');
      expect(h.requests).toHaveLength(0);
    } finally {
      await h.close();
    }
  });
});
