/**
 * NetBox's web UI, as a person sees it: log in with a username and password
 * (Django's form: GET /login/ for the csrftoken cookie and csrfmiddlewaretoken,
 * POST it back, keep the sessionid cookie) and fetch pages as HTML. Used to check
 * how NetBox really renders what bm-hook writes (journal markdown), against the
 * real NetBox only: the simulator has no UI.
 */
import { afterAll, beforeAll } from 'bun:test';
import { createJournalEntry } from '../../shared/netbox/index.ts';
import { createFixtures, type Fixtures } from './netbox-fixtures.ts';
import { realNetbox } from './netbox-target.ts';

export interface NetboxUi {
  /** GETs a UI page (e.g. `/extras/journal-entries/7/`) as the logged-in user; throws unless 200. */
  page(path: string): Promise<string>;
}

/** The cookies a response sets, merged into `jar` (name → value). */
function keepCookies(jar: Map<string, string>, response: Response): void {
  for (const header of response.headers.getSetCookie()) {
    const [pair = ''] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}

const cookieHeader = (jar: Map<string, string>) => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');

/** Logs in to NetBox's UI at `url`; throws with NetBox's answer when the login is refused. */
export async function loginNetboxUi(url: string, username: string, password: string): Promise<NetboxUi> {
  const base = url.replace(/\/+$/, '');
  const jar = new Map<string, string>();
  const form = await fetch(`${base}/login/`, { redirect: 'manual' });
  keepCookies(jar, form);
  const html = await form.text();
  const csrf = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf || !jar.has('csrftoken')) throw new Error(`GET ${base}/login/ (${form.status}) gave no CSRF token: is this NetBox's login page?`);
  const login = await fetch(`${base}/login/`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookieHeader(jar), Referer: `${base}/login/` },
    body: new URLSearchParams({ csrfmiddlewaretoken: csrf, username, password, next: '/' }),
  });
  keepCookies(jar, login);
  if (login.status !== 302 || !jar.has('sessionid'))
    throw new Error(`NetBox refused the UI login of ${username} (${login.status}, no session cookie): check the username and password`);
  return {
    async page(path) {
      const response = await fetch(`${base}${path}`, { headers: { Cookie: cookieHeader(jar) }, redirect: 'manual' });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${body.slice(0, 300)}`);
      return body;
    },
  };
}

/** The HTML NetBox rendered from a markdown field (`<div class="rendered-markdown">…</div>`, no nested divs); throws when absent. */
export function renderedMarkdownOf(page: string): string {
  const match = /<div class="rendered-markdown">([\s\S]*?)<\/div>/.exec(page);
  if (!match) throw new Error('no rendered markdown on the page (div.rendered-markdown)');
  return match[1]!;
}

/** The element names in an HTML fragment, in order (`['p', '/p', 'strong', '/strong']`): its structure without the text. */
export function tagsOf(html: string): string[] {
  return [...html.matchAll(/<(\/?[a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)].map((m) => m[1]!.toLowerCase());
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The text of an HTML fragment as a browser shows it: tags dropped, entities decoded, whitespace collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
      if (body[0] === '#') return String.fromCodePoint(body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1)));
      return NAMED[body.toLowerCase()] ?? entity;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/** What useJournalRenderer gives a describe block on the real NetBox. */
export interface JournalRenderer {
  /** Posts the markdown as a journal entry of a test device and returns its HTML as NetBox's UI renders it. */
  rendered(comments: string): Promise<string>;
}

/**
 * Registers beforeAll/afterAll in the calling describe block: a test device on the real NetBox
 * (removed afterwards) and the admin logged in to the UI. Call only where the real NetBox is available.
 */
export function useJournalRenderer(): JournalRenderer {
  let fx: Fixtures | undefined;
  let ui: NetboxUi | undefined;
  let deviceId = 0;
  beforeAll(async () => {
    fx = await createFixtures(realNetbox!.url, realNetbox!.admin.tokens.v2);
    deviceId = (await fx.createDevice()).id;
    ui = await loginNetboxUi(realNetbox!.url, realNetbox!.admin.username, realNetbox!.admin.password);
  });
  afterAll(async () => {
    await fx?.cleanup();
  });
  return {
    async rendered(comments) {
      const entry = await createJournalEntry(fx!.client, { deviceId, kind: 'info', comments });
      return renderedMarkdownOf(await ui!.page(`/extras/journal-entries/${entry.id}/`));
    },
  };
}
