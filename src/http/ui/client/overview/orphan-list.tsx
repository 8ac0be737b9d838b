import type { Overview } from "../../api-types.ts";
import type { EditTarget } from "../rules/rule-editor.tsx";

/** Rules stored for apps Marathon does not have (yet): they route nothing until the app exists. */
export function OrphanList(props: { services: Overview["orphanServices"]; onEdit: (target: EditTarget) => void }) {
  return (
    <section aria-labelledby="orphans-title" class="orphans">
      <h2 id="orphans-title">Rules without an app</h2>
      <p class="muted">These rules are stored, but Marathon has no app with the id, so they route nothing yet.</p>
      <ul>
        {props.services.map((service) => (
          <li key={service.id} data-service-id={service.id}>
            <span class="id">{service.id}</span>
            <code>{service.acl}</code>
            <button type="button" onClick={() => props.onEdit({ mode: "edit", id: service.id, acl: service.acl })} aria-label={`Edit rule for ${service.id}`}>
              Edit rule
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
