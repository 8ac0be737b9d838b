import { useCallback, useState } from "preact/hooks";
import { CredentialsDialog } from "./credentials-dialog.tsx";
import { Header } from "./header.tsx";
import { OverviewPanel } from "./overview/overview-panel.tsx";
import { RuleEditor, type EditTarget } from "./rules/rule-editor.tsx";
import { StatePanel } from "./state/state-panel.tsx";
import { RequestTester } from "./tester/request-tester.tsx";
import { useHashView } from "./use-hash-view.ts";
import { useOverview } from "./use-overview.ts";

/** The page: one header, three views chosen by the URL hash, one rule editor, one sign-in prompt. */
export function App() {
  const view = useHashView();
  const { overview, live } = useOverview();
  const [editing, setEditing] = useState<EditTarget | null>(null);
  const [notice, setNotice] = useState("");
  const closeEditor = useCallback((message?: string) => {
    setEditing(null);
    if (message) setNotice(message);
  }, []);

  return (
    <>
      <Header view={view} live={live} overview={overview} />
      <main id="main">
        <p class="notice" role="status" aria-live="polite">
          {notice}
        </p>
        {view === "apps" && <OverviewPanel overview={overview} onEdit={setEditing} />}
        {view === "test" && <RequestTester />}
        {view === "state" && <StatePanel overview={overview} />}
      </main>
      {editing && <RuleEditor target={editing} overview={overview} onClose={closeEditor} />}
      <CredentialsDialog />
    </>
  );
}
