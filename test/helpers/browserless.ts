/**
 * A tiny cookie-keeping HTTP client that follows redirects by hand, so tests can walk the real OIDC
 * sign-in (platform → development IdP → platform) without a browser.
 */
export class CookieClient {
  readonly jar = new Map<string, string>();
  constructor(readonly base: string) {}

  private store(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const headers = new Headers(init.headers);
    if (this.jar.size) headers.set('cookie', this.cookieHeader());
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(res);
    return res;
  }

  /** Follows redirects from `path`; returns the last response and the URLs visited. */
  async follow(path: string, init: RequestInit = {}, max = 15) {
    const visited: string[] = [];
    let res = await this.fetch(path, init);
    let url = new URL(path, this.base).toString();
    visited.push(url);
    while (res.status >= 300 && res.status < 400 && max-- > 0) {
      url = new URL(res.headers.get('location')!, url).toString();
      visited.push(url);
      res = await this.fetch(url);
    }
    return { res, visited, url };
  }

  /** Signs in through the development IdP as one of its demo accounts. */
  async signIn(account: string, returnTo = '/') {
    const { res, url } = await this.follow(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    if (!url.includes('/oidc/interaction/'))
      throw new Error(`expected the IdP's sign-in page, got ${res.status} ${url}`);
    const html = await res.text();
    const action = /action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error('no sign-in form');
    const body = new URLSearchParams({ account });
    let r = await this.fetch(action, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.base },
    });
    let at = new URL(action, this.base).toString();
    const visited = [at];
    for (let hops = 0; hops < 20; hops++) {
      if (r.status >= 300 && r.status < 400) {
        at = new URL(r.headers.get('location')!, at).toString();
        visited.push(at);
        r = await this.fetch(at);
        continue;
      }
      // oidc-provider ends a previous account's IdP session with a self-submitting form, as a browser would.
      const page = r.headers.get('content-type')?.includes('html') ? await r.clone().text() : '';
      const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(page);
      if (!page.includes('document.forms[0].submit()') || !form) break;
      const fields = new URLSearchParams();
      for (const m of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g))
        fields.set(m[1], m[2]);
      at = new URL(form[1], at).toString();
      visited.push(at);
      r = await this.fetch(at, {
        method: 'POST',
        body: fields,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.base },
      });
    }
    return { res: r, url: at, visited };
  }
}
