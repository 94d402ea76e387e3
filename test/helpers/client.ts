import { parse, type HTMLElement } from 'node-html-parser';

/**
 * A small browser for HTTP tests: keeps cookies, follows redirects, reads forms from the page it
 * is on and submits them with their hidden fields (the CSRF token included), as a citizen's
 * browser would.
 */
export interface Page {
  readonly status: number;
  readonly url: string;
  readonly html: string;
  readonly root: HTMLElement;
  readonly headers: Headers;
  /** The visible text of <main>, blanks collapsed. */
  readonly text: string;
}

export class Client {
  private readonly cookies = new Map<string, string>();
  page: Page | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = { 'Accept-Language': 'de-DE,de;q=0.9' },
  ) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  private storeCookies(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: string, target: string, body?: URLSearchParams, extraHeaders: Record<string, string> = {}): Promise<Page> {
    let url = new URL(target, this.baseUrl).toString();
    let currentMethod = method;
    let currentBody: URLSearchParams | undefined = body;
    for (let hops = 0; hops < 10; hops++) {
      const headers: Record<string, string> = { ...this.headers, ...extraHeaders };
      if (this.cookies.size > 0) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      if (currentBody) headers['Content-Type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(url, { method: currentMethod, headers, body: currentBody?.toString(), redirect: 'manual' });
      this.storeCookies(res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).toString();
        currentMethod = 'GET';
        currentBody = undefined;
        await res.arrayBuffer();
        continue;
      }
      const html = await res.text();
      const root = parse(html);
      const main = root.querySelector('main');
      const page: Page = {
        status: res.status,
        url,
        html,
        root,
        headers: res.headers,
        text: (main ?? root).textContent.replace(/\s+/g, ' ').trim(),
      };
      this.page = page;
      return page;
    }
    throw new Error(`too many redirects from ${target}`);
  }

  get(target: string): Promise<Page> {
    return this.request('GET', target);
  }

  /** Posts raw fields, without reading a form first (for tests of forged requests). */
  post(target: string, fields: Record<string, string>): Promise<Page> {
    return this.request('POST', target, new URLSearchParams(fields));
  }

  /**
   * Fills and submits the form on the current page whose action is `action` (the first form
   * when omitted): hidden fields as the page set them, `fields` over the rest.
   */
  submit(fields: Record<string, string>, action?: string): Promise<Page> {
    if (!this.page) throw new Error('no page loaded');
    const forms = this.page.root.querySelectorAll('form');
    const form =
      action === undefined
        ? forms.find((f) => f.getAttribute('action') !== '/abmelden')
        : forms.find((f) => f.getAttribute('action') === action);
    if (!form) throw new Error(`no form ${action ?? ''} on ${this.page.url}: ${this.page.text.slice(0, 300)}`);
    const data = new URLSearchParams();
    for (const input of form.querySelectorAll('input')) {
      const name = input.getAttribute('name');
      if (!name) continue;
      const type = input.getAttribute('type') ?? 'text';
      if (name in fields) continue;
      if (type === 'hidden') data.append(name, input.getAttribute('value') ?? '');
      else if (type === 'checkbox' && input.hasAttribute('checked')) data.append(name, input.getAttribute('value') ?? 'on');
      else if (type !== 'checkbox' && type !== 'password') data.append(name, input.getAttribute('value') ?? '');
    }
    for (const [k, v] of Object.entries(fields)) data.append(k, v);
    // A relative action belongs to the page's origin (the eID simulator's pages are not the hub's).
    return this.request('POST', new URL(form.getAttribute('action') ?? this.page.url, this.page.url).toString(), data);
  }

  /** Follows a `<meta http-equiv="refresh">` on the current page, as a browser does. */
  async followRefresh(): Promise<Page | undefined> {
    const meta = this.page?.root.querySelector('meta[http-equiv="refresh"]');
    const target = /url=(.*)$/i.exec(meta?.getAttribute('content') ?? '')?.[1];
    if (!this.page || target === undefined) return undefined;
    return this.get(new URL(target, this.page.url).toString());
  }

  /** The error message tied to a field (by aria-describedby), or undefined. */
  fieldError(name: string): string | undefined {
    const el = this.page?.root.querySelector(`#f-${name}-error`);
    return el?.textContent.trim();
  }

  /** The level words in the header ("niedrig", "nicht angemeldet"). */
  sessionLevel(): string | undefined {
    return this.page?.root.querySelector('#session-level strong')?.textContent.trim();
  }
}
