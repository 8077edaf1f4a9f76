import { useState } from 'preact/hooks';
import { setToken } from '../api';

/** Asks for the service's token after a 401; `onLogin` re-renders the pages, which then send it. */
export function LoginForm({ onLogin }: { onLogin: () => void }) {
  const [value, setValue] = useState('');
  return (
    <section class="login">
      <h1>Token required</h1>
      <p>
        This service needs its access token (printed by <code>sluice serve</code> when it started, or given with{' '}
        <code>--token</code>).
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setToken(value.trim());
          onLogin();
        }}
      >
        <input
          name="token"
          type="password"
          autocomplete="off"
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <button type="submit">Sign in</button>
      </form>
    </section>
  );
}
