// A real HTTP server on 127.0.0.1 implementing the GitHub REST endpoints pgshift calls (issue
// comments, issues, labels, a pull request's files), with pagination by Link headers. It records every request so tests
// can assert on what the action sent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

export interface Comment {
  id: number;
  issue_number: number;
  body: string;
  html_url: string;
  user: { login: string };
}

export interface Issue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  state_reason?: string | null;
  labels: { name: string }[];
  html_url: string;
  pull_request?: Record<string, unknown>;
}

/** A file of a pull request, as GET /repos/{owner}/{repo}/pulls/{number}/files lists it. */
export interface PullFile {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  previous_filename?: string;
}

export interface FakeGitHubOptions {
  /** Answer 403 to every write (POST/PATCH), as a read-only fork token would. */
  forbidWrites?: boolean;
  /** Answer 403 to everything. */
  forbidAll?: boolean;
}

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly comments: Comment[] = [];
  readonly issues: Issue[] = [];
  readonly labels = new Set<string>();
  /** The files of each pull request (a pull request not listed here is answered 404). */
  readonly pullFiles = new Map<number, PullFile[]>();
  private nextId = 1000;
  private server!: Server;
  url = '';

  constructor(
    readonly owner = 'acme',
    readonly repo = 'app',
    public options: FakeGitHubOptions = {},
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Seeds `n` unrelated comments on a PR (to exercise pagination). */
  seedComments(issueNumber: number, n: number, body = 'an unrelated comment'): void {
    for (let i = 0; i < n; i++) this.addComment(issueNumber, `${body} #${i}`, 'someone');
  }

  addComment(issueNumber: number, body: string, login = 'github-actions[bot]'): Comment {
    const id = this.nextId++;
    const c = { id, issue_number: issueNumber, body, user: { login }, html_url: `https://github.test/${this.owner}/${this.repo}/issues/${issueNumber}#issuecomment-${id}` };
    this.comments.push(c);
    return c;
  }

  addIssue(partial: Partial<Issue> & { title: string; body: string }): Issue {
    const number = this.issues.length + this.comments.length + 1;
    const issue: Issue = { number, state: 'open', labels: [], html_url: `https://github.test/${this.owner}/${this.repo}/issues/${number}`, ...partial };
    this.issues.push(issue);
    return issue;
  }

  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  }

  private page<T>(req: RecordedRequest, res: ServerResponse, items: T[]): void {
    const perPage = Math.min(100, Number(req.query.per_page ?? 30));
    const page = Number(req.query.page ?? 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const link = (p: number) => {
      const q = new URLSearchParams({ ...req.query, page: String(p), per_page: String(perPage) });
      return `${this.url}${req.path}?${q}`;
    };
    const links: string[] = [];
    if (page < last) links.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
    if (page > 1) links.push(`<${link(1)}>; rel="first"`, `<${link(page - 1)}>; rel="prev"`);
    this.send(res, 200, slice, links.length ? { link: links.join(', ') } : {});
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const rec: RecordedRequest = { method: req.method ?? 'GET', path: u.pathname, query: Object.fromEntries(u.searchParams), body: raw ? JSON.parse(raw) : undefined };
    this.requests.push(rec);
    if (this.options.forbidAll || (this.options.forbidWrites && rec.method !== 'GET')) {
      return this.send(res, 403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' });
    }
    const base = `/repos/${this.owner}/${this.repo}`;
    if (!rec.path.startsWith(base + '/')) return this.send(res, 404, { message: 'Not Found' });
    const rest = rec.path.slice(base.length);
    let m: RegExpMatchArray | null;

    if ((m = rest.match(/^\/issues\/(\d+)\/comments$/))) {
      const n = Number(m[1]);
      if (rec.method === 'GET')
        return this.page(
          rec,
          res,
          this.comments.filter((c) => c.issue_number === n),
        );
      if (rec.method === 'POST') return this.send(res, 201, this.addComment(n, String(rec.body?.body ?? '')));
    }
    if ((m = rest.match(/^\/issues\/comments\/(\d+)$/)) && rec.method === 'PATCH') {
      const c = this.comments.find((x) => x.id === Number(m![1]));
      if (!c) return this.send(res, 404, { message: 'Not Found' });
      c.body = String(rec.body?.body ?? '');
      return this.send(res, 200, c);
    }
    if (rest === '/issues') {
      if (rec.method === 'GET') {
        const wanted = (rec.query.labels ?? '').split(',').filter(Boolean);
        const state = rec.query.state ?? 'open';
        const list = this.issues.filter((i) => (state === 'all' || i.state === state) && wanted.every((l) => i.labels.some((x) => x.name === l)));
        return this.page(rec, res, list);
      }
      if (rec.method === 'POST') {
        const labels = ((rec.body?.labels as string[]) ?? []).map((name) => ({ name }));
        return this.send(res, 201, this.addIssue({ title: String(rec.body?.title), body: String(rec.body?.body ?? ''), labels }));
      }
    }
    if ((m = rest.match(/^\/issues\/(\d+)$/)) && rec.method === 'PATCH') {
      const issue = this.issues.find((i) => i.number === Number(m![1]));
      if (!issue) return this.send(res, 404, { message: 'Not Found' });
      Object.assign(issue, rec.body);
      return this.send(res, 200, issue);
    }
    if ((m = rest.match(/^\/labels\/(.+)$/)) && rec.method === 'GET') {
      const name = decodeURIComponent(m[1]);
      return this.labels.has(name) ? this.send(res, 200, { name }) : this.send(res, 404, { message: 'Not Found' });
    }
    if ((m = rest.match(/^\/pulls\/(\d+)\/files$/)) && rec.method === 'GET') {
      const files = this.pullFiles.get(Number(m[1]));
      if (!files) return this.send(res, 404, { message: 'Not Found' });
      return this.page(
        rec,
        res,
        files.map((f, i) => ({ sha: `${i}`.padStart(40, '0'), additions: 1, deletions: 0, changes: 1, ...f })),
      );
    }
    if (rest === '/labels' && rec.method === 'POST') {
      this.labels.add(String(rec.body?.name));
      return this.send(res, 201, { name: rec.body?.name });
    }
    return this.send(res, 404, { message: `fake GitHub does not implement ${rec.method} ${rec.path}` });
  }
}
