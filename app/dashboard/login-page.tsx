import type { ActionFormEcho } from '../http/app-env.js';
import { Layout, type PageView } from './layout.js';

/** GET /login: one field for the dashboard token; `error` after a refused attempt. */
export function LoginPage(props: { view: PageView; next: string; error?: string }) {
  return (
    <Layout title="Log in" view={props.view}>
      <section class="card login">
        <h1>Log in</h1>
        {props.error && (
          <p class="notice error" role="alert">
            {props.error}
          </p>
        )}
        <form method="post" action="/login">
          <input type="hidden" name="next" value={props.next} />
          <label>
            Dashboard token
            <input
              type="password"
              name="token"
              required
              autofocus
              autocomplete="current-password"
              maxlength={512}
            />
          </label>
          <button type="submit">Log in</button>
        </form>
        <p class="muted">The token is the API token the app was started with.</p>
        {props.view.loginHint && <p class="notice login-hint">{props.view.loginHint}</p>}
      </section>
    </Layout>
  );
}

/** An error while showing a page or running an action, with a way back. */
export function ErrorPage(props: {
  view: PageView;
  title: string;
  message: string;
  /** A refused dashboard action: its form, filled in as it was sent, to change and send again. */
  form?: ActionFormEcho | undefined;
}) {
  const { form, view } = props;
  const back = form?.back ?? '/';
  return (
    <Layout title={props.title} view={view}>
      <section class="card error">
        <h1>{props.title}</h1>
        <p>{props.message}</p>
        {form && view.csrf && form.fields.tag !== undefined && (
          <form class="actions" method="post" action={form.action} id="retry-form">
            <input type="hidden" name="csrf" value={view.csrf} />
            <label>
              Tag
              <input name="tag" value={form.fields.tag} required maxlength={128} autocomplete="off" />
            </label>
            <label class="wide">
              <span>
                Digest <span class="muted">(optional)</span>
              </span>
              <input
                name="digest"
                value={form.fields.digest ?? ''}
                maxlength={71}
                class="mono"
                autocomplete="off"
              />
            </label>
            {form.fields.stage !== undefined && (
              <input type="hidden" name="stage" value={form.fields.stage} />
            )}
            <button type="submit">Send again</button>
          </form>
        )}
        <p>
          <a href={back}>{back === '/' ? 'Back to the overview' : 'Back to where you were'}</a>
        </p>
      </section>
    </Layout>
  );
}
