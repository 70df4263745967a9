import type { Child } from 'hono/jsx';
import { CLIENT_SCRIPT } from './client-script.js';
import { LIVE_PAGE_SCRIPT } from './live-page-script.js';
import { TAG_PICKER_SCRIPT } from './tag-picker-script.js';
import { STYLES } from './styles.js';

/** What every dashboard page gets: the CSP nonce and, when logged in, the CSRF token. */
export interface PageView {
  nonce: string;
  csrf?: string;
  now: Date;
  /** On pages shown without a session: where the quickstart's generated token is kept. */
  loginHint?: string;
  /**
   * The page refreshes when something changes (GET /api/changes): `page` swaps the whole of
   * <main>, `regions` only the page's own `data-live-region` elements (pages with forms or streams).
   */
  live?: 'page' | 'regions';
}

/** The page frame: head with the inline stylesheet, header with navigation and logout. */
export function Layout(props: { title: string; view: PageView; children?: Child }) {
  const { view } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${props.title} · docker-watcher`}</title>
        <style nonce={view.nonce} dangerouslySetInnerHTML={{ __html: STYLES }} />
      </head>
      <body data-now={view.now.toISOString()} data-changes={view.live ? '/api/changes' : undefined}>
        <header>
          <a class="brand" href="/">
            docker-watcher
          </a>
          <nav>{view.csrf !== undefined && <a href="/">Overview</a>}</nav>
          {view.csrf !== undefined && (
            <form class="inline" method="post" action="/logout">
              <input type="hidden" name="csrf" value={view.csrf} />
              <button class="secondary" type="submit">
                Log out
              </button>
            </form>
          )}
        </header>
        <main id="main" data-live-region={view.live === 'page' ? '' : undefined}>
          {props.children}
        </main>
        <script nonce={view.nonce} dangerouslySetInnerHTML={{ __html: CLIENT_SCRIPT }} />
        <script nonce={view.nonce} dangerouslySetInnerHTML={{ __html: LIVE_PAGE_SCRIPT }} />
        <script nonce={view.nonce} dangerouslySetInnerHTML={{ __html: TAG_PICKER_SCRIPT }} />
      </body>
    </html>
  );
}
