import { useCallback, useEffect, useState } from "preact/hooks";
import type { Overview } from "../api-types.ts";
import { CertificatesPanel } from "./certificates/certificates-panel.tsx";
import { CredentialsDialog } from "./credentials-dialog.tsx";
import { Header } from "./header.tsx";
import { OverviewPanel } from "./overview/overview-panel.tsx";
import { RuleEditor, type EditTarget } from "./rules/rule-editor.tsx";
import { StatePanel } from "./state/state-panel.tsx";
import { RequestTester } from "./tester/request-tester.tsx";
import { AppPage } from "./traffic/app-page.tsx";
import { useTraffic } from "./traffic/use-traffic.ts";
import { useHashView } from "./use-hash-view.ts";
import { useOverview } from "./use-overview.ts";

/** How long a "saved" or "deleted" confirmation stays on the page. */
const NOTICE_MS = 10_000;

/** The page: one header, the views chosen by the URL hash (an app's page among them), one rule editor, one sign-in prompt. */
export function App(props: { firstOverview: Promise<Overview | null> | null }) {
  const { view, appId } = useHashView();
  const { traffic, sink } = useTraffic();
  const { overview, live } = useOverview(props.firstOverview, sink);
  const [editing, setEditing] = useState<EditTarget | null>(null);
  const [notice, setNotice] = useState("");
  // A confirmation is read once; it should not linger as if it were news.
  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(""), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);
  const closeEditor = useCallback((message?: string) => {
    setEditing(null);
    if (message) setNotice(message);
  }, []);

  return (
    <>
      <Header view={view === "app" ? "apps" : view} live={live} overview={overview} />
      <main id="main" tabIndex={-1}>
        <p class="notice" role="status" aria-live="polite">
          {notice}
        </p>
        {view === "apps" && <OverviewPanel overview={overview} traffic={traffic} onEdit={setEditing} />}
        {view === "app" && appId !== null && <AppPage id={appId} overview={overview} samples={traffic?.samples ?? 0} />}
        {view === "test" && <RequestTester />}
        {view === "state" && <StatePanel overview={overview} />}
        {view === "certificates" && <CertificatesPanel onNotice={setNotice} />}
      </main>
      {editing && <RuleEditor target={editing} overview={overview} onClose={closeEditor} />}
      <CredentialsDialog />
    </>
  );
}
