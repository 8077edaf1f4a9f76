import { useEffect, useState } from 'preact/hooks';
import { onUnauthorized } from './api';
import { LoginForm } from './components/login-form';
import { JobPage } from './pages/job-page';
import { JobsPage } from './pages/jobs-page';
import { OverviewPage } from './pages/overview-page';
import { SubmitPage } from './pages/submit-page';
import { href, useRoute } from './router';

function Page({ route }: { route: string[] }) {
  const [first, second, third] = route;
  if (first === undefined || first === 'overview') return <OverviewPage />;
  if (first === 'jobs' && second === undefined) return <JobsPage />;
  if (first === 'jobs' && second !== undefined) return <JobPage key={second} jid={second} tab={third ?? ''} />;
  if (first === 'submit') return <SubmitPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No page at <code>#/{route.join('/')}</code>. <a href={href()}>Overview</a>
      </p>
    </section>
  );
}

/** The dashboard: a navigation bar and the page the address names; a token form instead when the API answers 401. */
export function App() {
  const route = useRoute();
  const [needsToken, setNeedsToken] = useState(false);
  const [session, setSession] = useState(0);
  useEffect(() => onUnauthorized(() => setNeedsToken(true)), []);
  const section = route[0] ?? 'overview';
  return (
    <>
      <nav class="top">
        <a class="brand" href={href()}>
          Sluice
        </a>
        {(
          [
            ['overview', 'Overview', href()],
            ['jobs', 'Jobs', href('jobs')],
            ['submit', 'Submit', href('submit')],
          ] as const
        ).map(([id, label, link]) => (
          <a key={id} href={link} class={section === id ? 'active' : ''}>
            {label}
          </a>
        ))}
      </nav>
      <main key={session}>
        {needsToken ? (
          <LoginForm
            onLogin={() => {
              setNeedsToken(false);
              setSession((s) => s + 1);
            }}
          />
        ) : (
          <Page route={route} />
        )}
      </main>
    </>
  );
}
