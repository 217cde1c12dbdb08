// The shadow database: a scratch database on a server where the role may CREATE DATABASE, made fresh
// for one command (pgshift_shadow_<random>) and dropped at its end, whatever the end. Migrations are
// replayed there to prove what they do; the target is never touched through it.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { ConfigError, ConnectionError } from '../errors';
import type { Redactor } from '../report/redact';
import { describeTarget, whereOf } from './connect';
import { quoteIdent } from './identifiers';

export interface Shadow {
  /** The URL of the fresh database (credentials as given in the shadow URL). */
  url: string;
  database: string;
  serverMajor: number;
  /** Drops the database; safe to call twice. */
  drop(): Promise<void>;
}

/** The same server and database, however the URLs spell them ("localhost" and "127.0.0.1" are not told apart). */
export function sameDatabase(a: string, b: string): boolean {
  const x = describeTarget(a);
  const y = describeTarget(b);
  const host = (h: string) => (h === 'localhost' || h === '::1' ? '127.0.0.1' : h.toLowerCase());
  return host(x.host) === host(y.host) && x.port === y.port && x.database === y.database;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

/**
 * Creates the shadow database on the server of `shadowUrl`. Refuses a shadow URL that names the target
 * database itself: everything replayed there would land in production.
 */
export async function createShadow(shadowUrl: string, o: { targetUrl?: string; redactor: Redactor; connectTimeoutMs?: number }): Promise<Shadow> {
  o.redactor.addUrl(shadowUrl);
  if (o.targetUrl && sameDatabase(shadowUrl, o.targetUrl)) {
    throw new ConfigError(
      `the shadow database URL points at the target database itself (${whereOf(describeTarget(shadowUrl))}): pgshift would replay migrations into it. Give a scratch server where the role may CREATE DATABASE (in GitHub Actions, a services: postgres container).`,
    );
  }
  const database = `pgshift_shadow_${randomBytes(6).toString('hex')}`;
  const admin = postgres(shadowUrl, { max: 1, onnotice: () => {}, connect_timeout: Math.ceil((o.connectTimeoutMs ?? 10_000) / 1000), connection: { application_name: 'pgshift shadow' } });
  let major: number;
  try {
    const [{ v }] = await admin<{ v: number }[]>`select current_setting('server_version_num')::int / 10000 as v`;
    major = v;
    await admin.unsafe(`create database ${quoteIdent(database)}`);
  } catch (err) {
    await admin.end({ timeout: 1 }).catch(() => {});
    const e = err as { code?: string; message?: string };
    if (e.code === '42501') {
      throw new ConfigError(
        `the shadow server (${whereOf(describeTarget(shadowUrl))}) does not let this role create databases: give it CREATEDB (ALTER ROLE … CREATEDB), or use a scratch server where it may.`,
      );
    }
    throw new ConnectionError(o.redactor.redact(`could not prepare the shadow database on ${whereOf(describeTarget(shadowUrl))}: ${e.message ?? String(err)}`));
  }
  let dropped = false;
  return {
    url: withDatabase(shadowUrl, database),
    database,
    serverMajor: major,
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        // WITH (FORCE) ends any session still in it (Postgres 13 and later).
        await admin.unsafe(`drop database if exists ${quoteIdent(database)}${major >= 13 ? ' with (force)' : ''}`);
      } finally {
        await admin.end({ timeout: 1 }).catch(() => {});
      }
    },
  };
}
