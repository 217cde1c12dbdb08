// Opens the database with retries (a deploy often races a database that is still starting), and
// turns connection failures into one sentence naming host, port and database, never the password.
//
// pgshift opens the TCP socket itself (postgres.js's `socket` option) so that it can see what the
// other end did: accepted and closed, never answered, answered with something that is not Postgres,
// declined TLS. Every attempt is bounded by a timer of pgshift's own, because postgres.js reconnects
// forever when a server closes the connection before the first answer.
//
// Once connected, the same socket tells pgshift when the session ends under it (a terminated
// backend, a shutdown, a reset): see Lifeline and guarded().
import { hostname } from 'node:os';
import { createConnection, type Socket } from 'node:net';
import postgres from 'postgres';
import { AbortedError, ConfigError, ConnectionError } from '../errors';
import type { EngineEvent } from '../types';
import { pause } from '../pause';
import { Redactor } from '../report/redact';

export type Sql = postgres.Sql<Record<string, never>>;
export type ReservedSql = postgres.ReservedSql<Record<string, never>>;

/** How long a refused connection (nothing listening) is retried unless --connect-timeout is given. */
export const REFUSED_RETRY_MS = 5000;
/** The longest single attempt; a longer --connect-timeout means more attempts. */
const ATTEMPT_MS = 10_000;
const MIN_ATTEMPT_MS = 250;

export interface ConnectOptions {
  databaseUrl: string;
  /** Give up connecting after this long (ms). */
  connectTimeoutMs: number;
  /**
   * How long a refused connection is retried (ms; default the smaller of REFUSED_RETRY_MS and
   * connectTimeoutMs): a refusal is a host that answers with nothing listening on the port.
   */
  refusedRetryMs?: number;
  redactor: Redactor;
  onEvent?: (e: EngineEvent) => void;
  /** application_name shown in pg_stat_activity, so a lock holder can be named. */
  applicationName?: string;
  /** Interrupt (SIGINT/SIGTERM): stop retrying at once. */
  signal?: AbortSignal;
}

export interface Target {
  host: string;
  port: string;
  database: string;
  user: string;
}

export function describeTarget(url: string): Target {
  try {
    const u = new URL(url);
    return {
      host: decodeURIComponent(u.hostname || u.searchParams.get('host') || 'localhost'),
      port: u.port || '5432',
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
      user: decodeURIComponent(u.username),
    };
  } catch {
    throw new ConfigError('the database URL is not a valid URL: use postgres://user:password@host:5432/database.');
  }
}

/** "host:port/database as user", as every connection message names the target. */
export function whereOf(target: Target): string {
  return `${target.host}:${target.port}/${target.database}${target.user ? ` as ${target.user}` : ''}`;
}

/**
 * `pgshift@<host>:<pid>`: pg_stat_activity (and so the lock holder message) names the machine and the
 * process. Postgres keeps 63 bytes of printable ASCII, so the host is cut to fit and anything else is
 * replaced as the server would.
 */
export function applicationName(host = hostname(), pid = process.pid): string {
  const tail = `:${pid}`;
  const safe = host.replace(/[^\x20-\x7e]/g, '?');
  return `pgshift@${safe.slice(0, Math.max(0, 63 - 'pgshift@'.length - tail.length))}${tail}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** Errors a retry can cure: the server is not up yet, or is full for a moment. */
function isTransient(err: unknown): boolean {
  if (err instanceof AttemptFailed) return err.transient;
  const e = err as { code?: string; errno?: string };
  const code = e?.code ?? e?.errno ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', '57P03', '53300'].includes(code);
}

/** What one attempt came to, in words about what the server did. */
class AttemptFailed extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The SSLRequest packet: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);
/** First bytes a Postgres server may answer a startup message with: auth, error, protocol version, notice. */
const STARTUP_REPLIES = new Set([0x52 /* R */, 0x45 /* E */, 0x76 /* v */, 0x4e /* N */]);

/** Fields of an ErrorResponse body: severity, SQLSTATE, message. */
function errorFields(body: Buffer): { severity?: string; code?: string; message?: string } {
  const out: { severity?: string; code?: string; message?: string } = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const field = String.fromCharCode(body[i]);
    const end = body.indexOf(0, i + 1);
    if (end < 0) break;
    const value = body.toString('utf8', i + 1, end);
    if (field === 'V' || (field === 'S' && !out.severity)) out.severity = value;
    else if (field === 'C') out.code = value;
    else if (field === 'M') out.message = value;
    i = end + 1;
  }
  return out;
}

/**
 * Reads the server's side of the wire as frames (type byte, length), keeping only ErrorResponse bodies:
 * a FATAL one is why a session ended. Everything else is skipped without being buffered.
 */
class Frames {
  private head = Buffer.alloc(0);
  private skip = 0;
  private body: { parts: Buffer[]; remaining: number } | undefined;
  /** Set when the first frame cannot be Postgres's. */
  garbage = false;
  private first = true;

  constructor(private readonly onError: (fields: ReturnType<typeof errorFields>) => void) {}

  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.garbage) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        i += n;
        this.skip -= n;
        continue;
      }
      if (this.body) {
        const n = Math.min(this.body.remaining, chunk.length - i);
        this.body.parts.push(chunk.subarray(i, i + n));
        this.body.remaining -= n;
        i += n;
        if (this.body.remaining === 0) {
          this.onError(errorFields(Buffer.concat(this.body.parts)));
          this.body = undefined;
        }
        continue;
      }
      const n = Math.min(5 - this.head.length, chunk.length - i);
      this.head = Buffer.concat([this.head, chunk.subarray(i, i + n)]);
      i += n;
      if (this.head.length < 5) continue;
      const type = this.head[0];
      const length = this.head.readUInt32BE(1);
      this.head = Buffer.alloc(0);
      // A first answer that is not a startup reply, or has an absurd length, is another protocol.
      if (this.first && (!STARTUP_REPLIES.has(type) || length < 4 || length > 65_536)) {
        this.garbage = true;
        return;
      }
      this.first = false;
      if (type === 0x45 && length - 4 <= 1 << 20) this.body = { parts: [], remaining: length - 4 };
      else this.skip = length - 4;
    }
  }
}

/** A printable glimpse of what a non-Postgres server sent. */
function glimpse(bytes: Buffer): string {
  const text = bytes
    .subarray(0, 40)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.');
  return `"${text}${bytes.length > 40 ? '…' : ''}"`;
}

/**
 * The session's connection, once it is up: whether it has ended under pgshift, and why. The reason
 * comes from the server's last words (a FATAL ErrorResponse, read off the socket) or from the socket
 * (a reset, a close with no word).
 */
export class Lifeline {
  private armed = false;
  private reason_: string | undefined;
  private code_: string | undefined;
  private readonly listeners: (() => void)[] = [];
  /** Postgres's pid of the session, to tell after a loss whether it is still running. */
  pid: number | undefined;

  constructor(readonly target: Target) {}

  get lost(): boolean {
    return this.reason_ !== undefined;
  }

  /** Why the connection ended, as far as pgshift could see. */
  get reason(): string {
    return this.reason_ ?? 'the connection is open';
  }

  /** The SQLSTATE of the server's last words, when it said any. */
  get code(): string | undefined {
    return this.code_;
  }

  /** From here on, an end of the connection is a loss. */
  arm(): void {
    this.armed = true;
  }

  /** pgshift is closing the connection itself. */
  disarm(): void {
    this.armed = false;
  }

  /** The server's FATAL words; they come before the close, and say more than it. */
  fatal(message: string, code: string | undefined): void {
    if (!this.armed || this.lost) return;
    this.lose(`the server ended the session: ${message}${code ? ` (SQLSTATE ${code})` : ''}`, code);
  }

  /** The socket ended, was reset, or postgres.js saw it close. */
  ended(how: string): void {
    if (!this.armed || this.lost) return;
    this.lose(how);
  }

  /** Runs `fn` once the connection is lost (soon after, so that what arrived before it settles first). */
  onLost(fn: () => void): void {
    if (this.lost) setImmediate(fn);
    else this.listeners.push(fn);
  }

  private lose(reason: string, code?: string): void {
    this.reason_ = reason;
    this.code_ = code;
    // Answers that arrived in the same read as the server's last words are handled by postgres.js
    // right after this: the queries they answer settle first, and only the rest are lost.
    setImmediate(() => {
      for (const fn of this.listeners.splice(0)) fn();
    });
  }
}

/** The error every query on a lost connection rejects with. */
export class ConnectionLostError extends Error {
  readonly code = 'PGSHIFT_CONNECTION_LOST';
  constructor(readonly reason: string) {
    super(`the connection to Postgres was lost: ${reason}`);
    this.name = 'ConnectionLostError';
  }
}

/** What postgres.js's Query carries and its types do not show: the hook to run it and its reject. */
interface QueryInternals {
  handler: (q: QueryInternals) => void;
  reject: (err: unknown) => void;
}

/**
 * The reserved connection, with a promise kept: once the connection is lost, every query still
 * waiting rejects, and every new one rejects at once. postgres.js 3.4.9 does neither for a reserved
 * connection: queries held in the reservation's own queue (the pipeline waits there behind a
 * statement that needs a describe round trip) never settle, which leaves Node with nothing to do and
 * exits 0 with nothing printed; and a query sent after the close writes to a null socket, an uncaught
 * TypeError (porsager/postgres#1186, #1097).
 */
export function guarded(reserved: ReservedSql, life: Lifeline): ReservedSql {
  const waiting = new Set<QueryInternals>();
  const refuse = (q: QueryInternals) => {
    const err = new ConnectionLostError(life.reason);
    q.handler = (x) => x.reject(err);
    q.reject(err);
  };
  life.onLost(() => {
    for (const q of waiting) refuse(q);
    waiting.clear();
  });
  const track = <T>(q: T): T => {
    if (!(q instanceof Promise)) return q; // an identifier or a fragment, not a query
    const query = q as unknown as QueryInternals;
    if (life.lost) {
      refuse(query);
    } else {
      waiting.add(query);
      const done = () => waiting.delete(query);
      // Promise's own then: postgres.js's would send the query now.
      Promise.prototype.then.call(q, done, done);
    }
    return q;
  };
  return new Proxy(reserved, {
    apply: (target, self, args) => track(Reflect.apply(target, self, args)),
    get: (target, prop, receiver) => {
      if (prop === 'unsafe') return (...args: Parameters<ReservedSql['unsafe']>) => track(target.unsafe(...args));
      return Reflect.get(target, prop, receiver);
    },
  });
}

/**
 * One attempt's socket, watched: whether TCP connected, what came back, how it ended. Given to
 * postgres.js as its `socket` option; after a success, it keeps telling the Lifeline.
 */
class Probe {
  connected = false;
  received = Buffer.alloc(0);
  bytes = 0;
  sslRequested = false;
  /** The one-byte answer to an SSLRequest: 'S' (TLS follows) or 'N' (no TLS here). */
  sslAnswer: string | undefined;
  /** Set once the attempt has an outcome: no more sockets (postgres.js would reconnect forever). */
  done = false;
  /** The attempt connected: the session is up. */
  up = false;
  private sockets: Socket[] = [];
  private fail!: (err: AttemptFailed) => void;
  readonly failed: Promise<never>;

  constructor(
    private readonly target: Target,
    private readonly life: Lifeline,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.fail = reject));
    this.failed.catch(() => {});
  }

  open(): Promise<Socket> {
    const t = this.target;
    const dial = () => (t.host.startsWith('/') ? createConnection({ path: `${t.host}/.s.PGSQL.${t.port}` }) : createConnection({ host: t.host, port: Number(t.port) }));
    // Once connected, postgres.js opens a socket of its own only to send a cancel request (an
    // interrupt): that one is not the session, and nothing about it concerns the lifeline.
    // Handed over at once (writes wait for the connection): a socket postgres.js never received would
    // leave its cancel writing to nothing, an uncaught TypeError.
    if (this.up) return Promise.resolve(dial().on('error', () => {}));
    if (this.done) return Promise.reject(new AttemptFailed('the attempt is over', false));
    const socket = dial();
    this.sockets.push(socket);
    // postgres.js names the server for TLS (SNI) from this.
    (socket as Socket & { host?: string }).host = t.host;
    const write = socket.write.bind(socket) as (chunk: Buffer, cb?: (err?: Error | null) => void) => boolean;
    let firstWrite = true;
    (socket as unknown as { write: typeof write }).write = (chunk, cb) => {
      if (firstWrite) this.sslRequested = Buffer.from(chunk).equals(SSL_REQUEST);
      firstWrite = false;
      return write(chunk, cb);
    };
    const frames = new Frames((f) => {
      if (f.severity === 'FATAL' || f.severity === 'PANIC') this.life.fatal(f.message ?? 'no message', f.code);
    });
    let ssl = false;
    socket.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      if (this.received.length < 64) this.received = Buffer.concat([this.received, chunk]).subarray(0, 64);
      let rest = chunk;
      if (this.sslRequested && this.sslAnswer === undefined) {
        this.sslAnswer = String.fromCharCode(chunk[0]);
        if (this.sslAnswer !== 'S' && this.sslAnswer !== 'N' && this.sslAnswer !== 'E') return this.garbage(socket);
        ssl = this.sslAnswer === 'S';
        rest = this.sslAnswer === 'E' ? chunk : chunk.subarray(1);
      }
      // Under TLS the bytes are ciphertext: only the socket's end says anything from here.
      if (ssl) return;
      frames.feed(rest);
      if (frames.garbage) this.garbage(socket);
    });
    socket.on('end', () => this.life.ended('the server closed the connection without a word (a crash, a proxy or the network)'));
    socket.on('error', (err: Error & { code?: string }) => {
      this.life.ended(`the connection broke: ${err.message}`);
      if (this.done || !this.connected) return;
      if (this.bytes === 0) this.settle(new AttemptFailed(`the server closed the connection before answering (${err.code ?? err.message})`, true, 'CLOSED_BEFORE_ANSWER'));
      else this.settle(new AttemptFailed(`the connection broke during the login (${err.code ?? err.message})`, true, err.code));
    });
    socket.on('close', () => {
      this.life.ended('the connection closed');
      if (this.done || !this.connected) return;
      // postgres.js would reconnect and try again at once, for ever: the attempt ends here.
      if (this.bytes === 0) this.settle(new AttemptFailed('the server closed the connection before answering', true, 'CLOSED_BEFORE_ANSWER'));
      else this.settle(new AttemptFailed('the server closed the connection during the login', true, 'CLOSED_DURING_LOGIN'));
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => {
        this.connected = true;
        resolve(socket);
      });
      socket.once('error', (err: Error & { code?: string }) => {
        if (this.connected) return;
        this.settle(new AttemptFailed(err.code === 'ECONNREFUSED' ? `the connection was refused: nothing listens on port ${t.port} there (ECONNREFUSED)` : err.message, isTransient(err), err.code));
        reject(err);
      });
    });
  }

  private garbage(socket: Socket): void {
    this.settle(new AttemptFailed(`the server answered with something that is not the Postgres protocol (it began ${glimpse(this.received)}): is this the right port?`, true, 'NOT_POSTGRES'));
    socket.destroy();
  }

  settle(err: AttemptFailed): void {
    if (this.done) return;
    this.done = true;
    this.fail(err);
  }

  /** Why an attempt that ran out of time did not connect. */
  timedOut(ms: number): AttemptFailed {
    const within = `within ${seconds(ms)}`;
    if (!this.connected) return new AttemptFailed(`the server did not accept a TCP connection ${within}`, true, 'ETIMEDOUT');
    if (this.bytes === 0) return new AttemptFailed(`the server accepted the connection but did not answer ${within}`, true, 'NO_ANSWER');
    if (this.sslAnswer === 'S') return new AttemptFailed(`the server agreed to TLS but the handshake and login did not finish ${within}`, true, 'TLS_TIMEOUT');
    return new AttemptFailed(`the server began to answer but the login did not finish ${within}`, true, 'LOGIN_TIMEOUT');
  }

  destroy(): void {
    this.done = true;
    for (const s of this.sockets) s.destroy();
  }
}

/** A connection that is up, and what tells when it is not any more. */
export interface Connection {
  sql: Sql;
  lifeline: Lifeline;
}

export async function connect(opts: ConnectOptions): Promise<Connection> {
  if (!/^postgres(ql)?:\/\//i.test(opts.databaseUrl)) {
    throw new ConfigError('the database URL must start with postgres:// or postgresql:// (set --database-url or DATABASE_URL).');
  }
  const target = describeTarget(opts.databaseUrl);
  const started = Date.now();
  const deadline = started + opts.connectTimeoutMs;
  const refusedDeadline = started + Math.min(opts.connectTimeoutMs, opts.refusedRetryMs ?? REFUSED_RETRY_MS);
  const interrupted = () => new AbortedError('interrupted while connecting to the database; nothing ran');
  const where = whereOf(target);
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw interrupted();
    const lifeline = new Lifeline(target);
    const probe = new Probe(target, lifeline);
    // The last attempt may start at the deadline: it still gets a moment to be answered.
    const attemptMs = Math.max(MIN_ATTEMPT_MS, Math.min(ATTEMPT_MS, deadline - Date.now()));
    // `socket` and `max_pipeline` are documented options that postgres.js's types leave out.
    const options: postgres.Options<Record<string, never>> & { socket: () => Promise<Socket>; max_pipeline: number } = {
      max: 1,
      onnotice: () => {},
      // A backstop only: pgshift's own timer below ends the attempt first.
      connect_timeout: Math.ceil(attemptMs / 1000) + 1,
      // A session must not be recycled under a long migration (0: never): its end would be a lost connection.
      max_lifetime: 0,
      socket: () => probe.open(),
      onclose: () => lifeline.ended('the connection closed'),
      connection: { application_name: opts.applicationName ?? applicationName() },
      // Named prepared statements let the tracking queries, the same text for every migration, be
      // described once: otherwise each one stops the pipeline for a describe round trip. Migration SQL
      // itself goes as simple queries, which are never prepared.
      prepare: true,
      // pgshift sends no array parameters: skip the pg_type query postgres.js makes on every connect.
      fetch_types: false,
      // Past this many queries in flight postgres.js sends the rest one per answer: a round trip each.
      // The engine bounds what it sends itself (a window of migrations, execute/run.ts).
      max_pipeline: 100_000,
    };
    const sql = postgres(opts.databaseUrl, options) as unknown as Sql;
    let onAbort: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const [{ pid }] = await Promise.race([
        sql<{ pid: number }[]>`select pg_backend_pid() as pid`,
        probe.failed,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(probe.timedOut(attemptMs)), attemptMs);
        }),
        // An attempt on a host that drops packets lasts up to its timer: an interrupt ends it too.
        new Promise<never>((_, reject) => {
          onAbort = () => reject(interrupted());
          opts.signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      probe.done = probe.up = true;
      lifeline.pid = pid;
      lifeline.arm();
      return { sql, lifeline };
    } catch (err) {
      probe.destroy();
      await sql.end({ timeout: 0 }).catch(() => {});
      if (err instanceof AbortedError) throw err;
      const refused = (err as { code?: string })?.code === 'ECONNREFUSED';
      // sslmode=require (or verify-*) against a server that said it has no TLS: no retry will change that.
      const ssl = (sql as unknown as { options: { ssl: unknown } }).options.ssl;
      if (probe.sslAnswer === 'N' && ssl && ssl !== 'prefer') {
        const mode = typeof ssl === 'string' ? ssl : 'verify-full';
        throw new ConnectionError(
          `cannot connect to Postgres at ${where}: the server does not offer TLS (it declined the SSL request), and the connection asks for sslmode=${mode}. Enable TLS on the server, or use sslmode=prefer or sslmode=disable where an unencrypted connection is acceptable.`,
        );
      }
      const reason = opts.redactor.redact((err as Error)?.message ?? String(err));
      const now = Date.now();
      const until = refused ? refusedDeadline : deadline;
      if (!isTransient(err) || now >= until) {
        const attempts = `${attempt} attempt${attempt > 1 ? 's' : ''}`;
        const wait = !isTransient(err)
          ? ''
          : refused && until < deadline
            ? ` (gave up after ${attempts}; a refused connection is retried for ${seconds(until - started)} only: raise --connect-timeout to wait longer for a server that is still starting)`
            : ` (gave up after ${attempts}; raise --connect-timeout to wait longer)`;
        throw new ConnectionError(`cannot connect to Postgres at ${where}: ${reason}${wait}.`);
      }
      const delayMs = Math.min(until - now, Math.min(5000, 250 * 2 ** (attempt - 1)));
      opts.onEvent?.({ type: 'connect-retry', attempt, delayMs, message: `cannot connect to ${where} yet (${reason}); retrying in ${delayMs} ms` });
      await pause(delayMs, opts.signal);
    } finally {
      clearTimeout(timer);
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    }
  }
}
