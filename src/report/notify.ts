// Notifications: a Sink that tells a chat webhook (Slack, Microsoft Teams, Discord) or any JSON endpoint
// what a deploy came to. Delivery is best effort: bounded in time, retried only on what a retry can fix,
// and a failure to deliver is a warning, never the deploy's failure. The webhook URL is a secret (Slack's
// and Discord's paths are the credential): only its scheme and host are ever shown.
// The json body is documented in docs/notifications.md: keep the two in step.
import { basename } from 'node:path';
import type { Outcome } from '../commands/outcome';
import type { NotifyFormat, NotifyOutcome } from '../settings';
import type { Redactor } from './redact';
import { redactDeep } from './redacting';
import type { Sink } from './sink';
import { formatMs } from './text';

/** Where the run happened, for the link and the fields of a notification; every part optional. */
export interface NotifyContext {
  /** owner/name. */
  repository?: string;
  /** The CI run's page. */
  runUrl?: string;
  actor?: string;
  commit?: string;
  /** Name of the target database, redacted (never its URL). */
  database?: string;
}

/** What a notification is about: the deploy's status (a dry run sends nothing). */
export function notifyOutcomeOf(outcome: Outcome): NotifyOutcome | undefined {
  if (outcome.command === 'plan' || outcome.status === 'planned') return undefined;
  // A successful down is rolled-back too (without `rollback`): a deliberate rollback is worth telling.
  return outcome.status;
}

// Limits of the receiving services, kept with room to spare so a body is never refused for its size.
const SLACK_SECTION = 3000;
const SLACK_FIELD = 2000;
const SLACK_FIELDS = 10;
const DISCORD_CONTENT = 2000;
const DISCORD_FIELD = 1024;
const DISCORD_FIELDS = 25;
const DISCORD_DESCRIPTION = 2000;
const DISCORD_EMBED_TOTAL = 6000;
/** An error's text in a notification: enough to see what failed; the CI log has the rest. */
const ERROR_CHARS = 1500;
/** Versions listed in a field; the json body lists them all. */
const LISTED_VERSIONS = 20;
const HEADLINE_ERROR = 300;

/** The text cut to `max` characters, with an ellipsis when cut. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim()) ?? '';
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const triesText = (n: number) => (n === 1 ? '1 try' : `${n} tries`);

/** "1, 2, 3" or "1, 2, 3, … (12 in all)". */
function listVersions(versions: readonly string[], max = LISTED_VERSIONS): string {
  if (versions.length <= max) return versions.join(', ');
  return `${versions.slice(0, max).join(', ')}, … (${versions.length} in all)`;
}

/** Everything a body is made from, once, whatever the format. */
interface Summary {
  outcome: NotifyOutcome;
  /** The one line every format carries. */
  text: string;
  /** The environment, with the database's name when the outcome names one. */
  where: string;
  /** The error, cut: for the json body's field. */
  error?: string;
  /** The error as a block of its own, when it says more than the headline. */
  errorBlock?: string;
  /** The rollback and the health checks, one line each. */
  details: string[];
  facts: { name: string; value: string }[];
  versions: string[];
  rolledBack: string[];
  stillApplied: string[];
  runUrl?: string;
}

function healthLine(h: NonNullable<Outcome['health']>[number]): string {
  const when = h.afterRollback ? ' (after the rollback)' : '';
  return `${h.passed ? '✓' : '✗'} health check ${h.kind} ${cut(h.target, 200)}${when}: ${cut(h.returned, 200)} (${triesText(h.tries)}, ${formatMs(h.durationMs)})`;
}

function summarize(o: Outcome, kind: NotifyOutcome, ctx: NotifyContext): Summary {
  const where = o.target ? `${o.environment}/${o.target}` : o.environment;
  const took = o.durationMs !== undefined ? ` in ${formatMs(o.durationMs)}` : '';
  const rb = o.rollback;
  const versions = rb ? rb.versions : o.applied;
  const rolledBack = rb ? rb.rolledBack : o.command === 'down' ? o.applied : [];
  const stillApplied = rb ? rb.stillApplied : [];
  const error = o.error ? cut(o.error.message.trim(), ERROR_CHARS) : undefined;
  const why = error ? cut(firstLine(error), HEADLINE_ERROR) : 'no reason given';
  const short = (vs: readonly string[]) => (vs.length ? ` (${listVersions(vs, 3)})` : '');
  let text: string;
  if (kind === 'applied') text = `✅ pgshift applied ${plural(o.applied.length, 'migration')} to ${where}${short(o.applied)}${took}`;
  else if (kind === 'up-to-date')
    text = o.command === 'down' ? `✅ pgshift: nothing to roll back in ${where}` : `✅ pgshift: ${where} is up to date${o.currentVersion ? ` at ${o.currentVersion}` : ''}`;
  else if (kind === 'rolled-back' && rb)
    text = `↩️ pgshift rolled back ${plural(rb.rolledBack.length, 'migration')} in ${where} after ${rb.reason}${short(rb.rolledBack)}${
      rb.stillApplied.length ? `; still applied: ${listVersions(rb.stillApplied, 3)}` : ''
    }`;
  else if (kind === 'rolled-back') text = `↩️ pgshift rolled back ${plural(o.applied.length, 'migration')} in ${where}${short(o.applied)}${took}`;
  else if (kind === 'refused') text = `⛔ pgshift refused to run in ${where}: ${why}`;
  else text = `❌ pgshift failed in ${where}: ${why}`;

  const details: string[] = [];
  if (rb) {
    details.push(`Automatic rollback after ${rb.reason}: rolled back ${rb.rolledBack.length ? listVersions(rb.rolledBack) : 'nothing'}.`);
    if (rb.stillApplied.length) details.push(`Still applied: ${listVersions(rb.stillApplied)}.`);
    if (rb.error) details.push(`The rollback stopped: ${cut(firstLine(rb.error), HEADLINE_ERROR)}`);
  }
  for (const h of o.health ?? []) details.push(healthLine(h));

  const facts: Summary['facts'] = [
    { name: 'Environment', value: o.environment + (o.protected ? ' (protected)' : '') },
    { name: 'Outcome', value: kind },
  ];
  const database = o.target ?? ctx.database;
  if (database) facts.push({ name: 'Database', value: database });
  const label = o.command === 'down' && !rb ? 'Rolled back' : 'Migrations';
  if (versions.length) facts.push({ name: label, value: listVersions(versions) });
  if (o.durationMs !== undefined) facts.push({ name: 'Duration', value: formatMs(o.durationMs) });
  if (o.backup) facts.push({ name: 'Backup', value: `${basename(o.backup.file)} (${o.backup.mode}, ${formatBytes(o.backup.bytes)})` });
  if (ctx.actor) facts.push({ name: 'Actor', value: ctx.actor });
  if (ctx.commit) facts.push({ name: 'Commit', value: ctx.commit.slice(0, 12) });
  if (ctx.repository) facts.push({ name: 'Repository', value: ctx.repository });
  const inHeadline = (kind === 'failed' || kind === 'refused') && error === why;
  return { outcome: kind, text, where, error, errorBlock: inHeadline ? undefined : error, details, facts, versions, rolledBack, stillApplied, runUrl: isHttpUrl(ctx.runUrl) ? ctx.runUrl : undefined };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function isHttpUrl(url: string | undefined): url is string {
  return !!url && /^https?:\/\/\S+$/i.test(url) && url.length <= 2000;
}

/** Slack's mrkdwn: &, < and > are control characters (<!channel> would ping everyone). */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped text cut to `max`, never inside an entity. */
function slackFit(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  let end = max - 1;
  const amp = escaped.lastIndexOf('&', end);
  if (amp >= 0 && amp > end - 5 && !escaped.slice(amp, end).includes(';')) end = amp;
  return `${escaped.slice(0, end)}…`;
}

function slackBody(s: Summary, ctx: NotifyContext) {
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
  const blocks: Record<string, unknown>[] = [section(slackFit(`*${slackEscape(s.text)}*`, SLACK_SECTION))];
  // A code block ends at the first ```: an error holding one would spill out of it.
  if (s.errorBlock) blocks.push(section('```' + slackFit(slackEscape(s.errorBlock.replace(/```/g, "'''")), SLACK_SECTION - 6) + '```'));
  if (s.details.length) blocks.push(section(slackFit(slackEscape(s.details.join('\n')), SLACK_SECTION)));
  blocks.push({ type: 'section', fields: s.facts.slice(0, SLACK_FIELDS).map((f) => ({ type: 'mrkdwn', text: slackFit(`*${f.name}*\n${slackEscape(f.value)}`, SLACK_FIELD) })) });
  if (s.runUrl) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'View run' }, url: s.runUrl }] });
  const where = [ctx.repository, ctx.commit?.slice(0, 12)].filter(Boolean).join(' @ ');
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackFit(slackEscape(`pgshift${where ? ` · ${where}` : ''}`), SLACK_SECTION) }] });
  return { text: cut(s.text, SLACK_SECTION), blocks };
}

const TEAMS_COLOR: Record<NotifyOutcome, string> = { applied: 'Good', 'up-to-date': 'Good', 'rolled-back': 'Warning', refused: 'Warning', failed: 'Attention' };

function teamsBody(s: Summary) {
  const block = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'TextBlock', text, wrap: true, ...extra });
  const body: Record<string, unknown>[] = [block(s.text, { weight: 'Bolder', size: 'Medium', color: TEAMS_COLOR[s.outcome] })];
  if (s.errorBlock) body.push(block(s.errorBlock, { fontType: 'Monospace', color: 'Attention' }));
  for (const d of s.details) body.push(block(d, { spacing: 'Small' }));
  body.push({ type: 'FactSet', facts: s.facts.map((f) => ({ title: f.name, value: f.value })) });
  return {
    type: 'message',
    // Not part of Teams' schema: the one line for any other reader of the body (Workflows ignore it).
    text: s.text,
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
          actions: s.runUrl ? [{ type: 'Action.OpenUrl', title: 'View run', url: s.runUrl }] : [],
        },
      },
    ],
  };
}

const DISCORD_COLOR: Record<NotifyOutcome, number> = { applied: 0x2eb67d, 'up-to-date': 0x2eb67d, 'rolled-back': 0xecb22e, refused: 0xe8912d, failed: 0xe01e5a };

function discordBody(s: Summary) {
  const fields = s.facts.slice(0, DISCORD_FIELDS).map((f) => ({ name: f.name, value: cut(f.value || '—', DISCORD_FIELD), inline: f.value.length <= 40 }));
  const footer = 'pgshift';
  const title = cut(s.text, 256);
  // Discord refuses an embed whose text adds up to more than 6000 characters: the description gives way.
  const room = DISCORD_EMBED_TOTAL - title.length - footer.length - fields.reduce((n, f) => n + f.name.length + f.value.length, 0) - 100;
  const parts = [...(s.errorBlock ? ['```\n' + s.errorBlock.replace(/```/g, "'''") + '\n```'] : []), ...s.details];
  const description = parts.length ? cut(parts.join('\n'), Math.max(0, Math.min(DISCORD_DESCRIPTION, room))) : undefined;
  return {
    content: cut(s.text, DISCORD_CONTENT),
    // An error quoting "@everyone" must not ping anyone.
    allowed_mentions: { parse: [] },
    embeds: [{ title, ...(description ? { description } : {}), color: DISCORD_COLOR[s.outcome], ...(s.runUrl ? { url: s.runUrl } : {}), fields, footer: { text: footer } }],
  };
}

/** The json format: documented field by field in docs/notifications.md. */
export interface NotificationJson {
  text: string;
  tool: 'pgshift';
  outcome: NotifyOutcome;
  command: 'up' | 'down';
  environment: string;
  protected: boolean;
  database: string | null;
  versions: string[];
  rolledBack: string[];
  stillApplied: string[];
  rollbackReason: string | null;
  durationMs: number | null;
  error: string | null;
  health: { kind: 'sql' | 'url'; target: string; passed: boolean; returned: string; tries: number; durationMs: number; afterRollback: boolean }[];
  backup: { file: string; mode: 'auto' | 'full'; bytes: number } | null;
  run: { url: string | null; actor: string | null; commit: string | null; repository: string | null };
}

function jsonBody(o: Outcome, s: Summary, ctx: NotifyContext): NotificationJson {
  return {
    text: s.text,
    tool: 'pgshift',
    outcome: s.outcome,
    command: o.command === 'down' ? 'down' : 'up',
    environment: o.environment,
    protected: o.protected,
    database: o.target ?? ctx.database ?? null,
    versions: s.versions,
    rolledBack: s.rolledBack,
    stillApplied: s.stillApplied,
    rollbackReason: o.rollback?.reason ?? null,
    durationMs: o.durationMs ?? null,
    error: s.error ?? null,
    health: (o.health ?? []).map((h) => ({ kind: h.kind, target: h.target, passed: h.passed, returned: h.returned, tries: h.tries, durationMs: h.durationMs, afterRollback: !!h.afterRollback })),
    backup: o.backup ? { file: basename(o.backup.file), mode: o.backup.mode, bytes: o.backup.bytes } : null,
    run: { url: s.runUrl ?? null, actor: ctx.actor ?? null, commit: ctx.commit ?? null, repository: ctx.repository ?? null },
  };
}

/**
 * The body of a notification of `outcome` in `format`: one text line plus structured fields. Pure; the
 * sink redacts it before sending. A dry run is never notified (notifySink skips it); given one anyway,
 * it reads as up to date.
 */
export function notificationBody(outcome: Outcome, format: NotifyFormat, ctx: NotifyContext): unknown {
  const s = summarize(outcome, notifyOutcomeOf(outcome) ?? 'up-to-date', ctx);
  if (format === 'slack') return slackBody(s, ctx);
  if (format === 'teams') return teamsBody(s);
  if (format === 'discord') return discordBody(s);
  return jsonBody(outcome, s, ctx);
}

export interface NotifyOptions {
  url: string;
  format: NotifyFormat;
  on: readonly NotifyOutcome[];
  context: NotifyContext;
  redactor: Redactor;
  warn: (message: string) => void;
  info?: (message: string) => void;
  /** Tries in all (default 3). */
  triesMax?: number;
  /** Every try and wait fits in this (default 10 s): a webhook must not hold a deploy up. */
  budgetMs?: number;
  /** The first wait between tries (default 500 ms); each next one is three times the last. */
  backoffMs?: number;
  /** The User-Agent's product version, when the shell knows it. */
  version?: string;
}

/** The webhook as it may be shown: scheme and host only. */
export function webhookOrigin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the notification URL (not a valid URL)';
  }
}

type Delivery = { ok: true; tries: number } | { ok: false; tries: number; why: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retry-After in ms (seconds or an HTTP date), if the answer has one. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const t = header.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** POSTs `body`, retrying 5xx, 429 and network errors with backoff, all within the budget. */
async function deliver(target: URL, body: string, o: NotifyOptions, scrub: (t: string) => string): Promise<Delivery> {
  // fetch refuses a URL with credentials: an endpoint behind basic auth gets them as a header.
  const auth = target.username || target.password ? `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}` : undefined;
  const url = new URL(target.href);
  url.username = '';
  url.password = '';
  const triesMax = Math.max(1, o.triesMax ?? 3);
  const budgetMs = o.budgetMs ?? 10_000;
  const deadline = Date.now() + budgetMs;
  let wait = o.backoffMs ?? 500;
  let why = 'not tried';
  let tries = 0;
  while (tries < triesMax) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    tries++;
    let retryAfter: number | undefined;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': `pgshift${o.version ? `/${o.version}` : ''} (notification)`, ...(auth ? { Authorization: auth } : {}) },
        body,
        // Each try may use what is left of the budget, and no more.
        signal: AbortSignal.timeout(remaining),
      });
      if (res.ok) {
        await res.body?.cancel().catch(() => {});
        return { ok: true, tries };
      }
      // What the service says is wrong ("invalid_payload", "no_text"): a few words, scrubbed of the URL.
      const said = await res
        .text()
        .then((t) => cut(firstLine(t).trim(), 200))
        .catch(() => '');
      why = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${said ? ` (${scrub(said)})` : ''}`;
      if (res.status !== 429 && res.status < 500) return { ok: false, tries, why };
      retryAfter = retryAfterMs(res.headers.get('retry-after'), Date.now());
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') why = `no answer within ${formatMs(remaining)}`;
      else why = scrub(e.cause?.message ?? e.cause?.code ?? e.message);
    }
    if (tries >= triesMax) break;
    const pause = retryAfter ?? wait;
    // A wait that would leave no time for the next try (a long Retry-After) ends the tries now.
    if (Date.now() + pause >= deadline - 100) {
      if (retryAfter !== undefined) why += `; asked to retry after ${formatMs(retryAfter)}, past the ${formatMs(budgetMs)} budget`;
      break;
    }
    await sleep(pause);
    wait *= 3;
  }
  return { ok: false, tries, why };
}

/** A Sink that sends the deploy's outcome to a webhook when it is one of `on`; it never throws. */
export function notifySink(o: NotifyOptions): Sink {
  const origin = webhookOrigin(o.url);
  // Anything shown about a delivery keeps the URL's secret part out, whatever echoed it.
  const secretParts: [string, string][] = [[o.url, `${origin}/***`]];
  try {
    const u = new URL(o.url);
    secretParts.push([u.href, `${origin}/***`], [`${u.pathname}${u.search}`, '/***']);
  } catch {
    /* not a URL: the whole text is the secret, as above */
  }
  const parts = secretParts.filter(([p]) => p.length > 1).sort((a, b) => b[0].length - a[0].length);
  const scrub = (text: string) => o.redactor.redact(parts.reduce((t, [p, shown]) => t.split(p).join(shown), text));
  return {
    async finished(outcome) {
      try {
        const kind = notifyOutcomeOf(outcome);
        if (!kind || !o.on.includes(kind)) return;
        let target: URL;
        try {
          target = new URL(o.url);
        } catch {
          o.warn(`the ${o.format} notification was not sent: its URL is not a valid URL. The deploy's outcome stands.`);
          return;
        }
        const body = redactDeep(notificationBody(outcome, o.format, o.context), (t) => o.redactor.redact(t));
        const sent = await deliver(target, JSON.stringify(body), o, scrub);
        if (sent.ok) o.info?.(`notified ${origin.replace(/^https?:\/\//, '')} (${kind})`);
        else o.warn(`the ${o.format} notification to ${origin} was not delivered: ${sent.why} (${triesText(sent.tries)}). The deploy's outcome stands.`);
      } catch (err) {
        o.warn(`the ${o.format} notification to ${origin} was not sent: ${scrub((err as Error).message)}. The deploy's outcome stands.`);
      }
    },
  };
}

/** The database's name from a connection URL, for a notification's context (never the URL itself). */
export function databaseNameOf(url: string): string | undefined {
  try {
    const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
    return name || undefined;
  } catch {
    return undefined;
  }
}
