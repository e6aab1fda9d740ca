import { useState } from 'preact/hooks';

/** A password field (never echoed, never autofilled into the URL); the form sends nothing by itself. */
export function SignIn({ onSignIn, message }: { onSignIn: (key: string) => void; message: string | null }) {
  const [value, setValue] = useState('');
  return (
    <main class="signin">
      <h1>Gateway usage</h1>
      <p>Spend, traffic, latency and time to first token, from this gateway's activity log.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const key = value.trim().replace(/^Bearer\s+/i, '');
          if (key) onSignIn(key);
        }}
      >
        <label for="gateway-key">Gateway key</label>
        <input
          id="gateway-key"
          name="gateway-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          aria-describedby="key-help"
          {...(message ? { 'aria-invalid': 'true' } : {})}
        />
        <button type="submit">Sign in</button>
        <p id="key-help" class="help">
          An admin key shows every key's usage; any other key shows its own. The key stays in this tab's session
          storage until you sign out or close the tab.
        </p>
        {message && (
          <p class="error" role="alert" data-testid="signin-error">
            {message}
          </p>
        )}
      </form>
    </main>
  );
}
