/**
 * GET /dashboard: usage at a glance for a gateway key, on the typed client (`client/`) every frontend uses.
 * Bundled by ../build.ts (esbuild) at install time; served by ../index.ts.
 */
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { Dashboard } from './dashboard.tsx';
import { forgetKey, saveKey, savedKey } from './session.ts';
import { SignIn } from './signin.tsx';

function App() {
  const [key, setKey] = useState<string | null>(savedKey);
  const [message, setMessage] = useState<string | null>(null);
  if (!key) {
    return (
      <SignIn
        message={message}
        onSignIn={(k) => {
          saveKey(k);
          setMessage(null);
          setKey(k);
        }}
      />
    );
  }
  const signOut = (why: string | null): void => {
    forgetKey();
    setMessage(why);
    setKey(null);
  };
  return <Dashboard apiKey={key} onSignOut={signOut} />;
}

const root = document.getElementById('dashboard');
if (!root) throw new Error('#dashboard is missing from the page');
root.replaceChildren();
render(<App />, root);
