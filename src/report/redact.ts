// Database passwords never reach a log, comment, issue, summary or error: every string that leaves
// the engine can be passed through a Redactor that knows the secrets of the URL in use.

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^:@/\s]+)(?::([^@/\s]*))?@/gi;

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`. */
export function redactUrl(text: string): string {
  return text.replace(URL_CREDENTIALS, (_m, scheme: string, user: string, pass: string | undefined) => `${scheme}${user}${pass !== undefined ? ':***' : ''}@`);
}

export class Redactor {
  private readonly secrets: string[] = [];

  /** Remembers the password of a connection URL (raw and percent-decoded) and `password=` parameters. */
  addUrl(url: string | undefined): this {
    if (!url) return this;
    try {
      const parsed = new URL(url);
      if (parsed.password) this.add(parsed.password).add(decodeURIComponent(parsed.password));
      const param = parsed.searchParams.get('password');
      if (param) this.add(param);
    } catch {
      /* not a URL: redactUrl still covers the user:pass@ shape */
    }
    return this;
  }

  add(secret: string | undefined): this {
    // Very short secrets would shred ordinary words; the URL pattern still covers them in URLs.
    if (secret && secret.length >= 4 && !this.secrets.includes(secret)) this.secrets.push(secret);
    this.secrets.sort((a, b) => b.length - a.length);
    return this;
  }

  get values(): readonly string[] {
    return this.secrets;
  }

  redact(text: string): string {
    let out = redactUrl(text);
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }
}
