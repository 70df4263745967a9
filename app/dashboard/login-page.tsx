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
export function ErrorPage(props: { view: PageView; title: string; message: string }) {
  return (
    <Layout title={props.title} view={props.view}>
      <section class="card error">
        <h1>{props.title}</h1>
        <p>{props.message}</p>
        <p>
          <a href="/">Back to the overview</a>
        </p>
      </section>
    </Layout>
  );
}
