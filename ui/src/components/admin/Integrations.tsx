import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import {
  createIntegration, deleteIntegration, listIntegrations, setIntegrationEnabled, type CreatedScimIntegration, type ScimIntegration,
} from "../../api/iam";
import { canOnInstance } from "../../lib/permissions";
import { ErrorMessage, Loading } from "../Messages";
import { When } from "../When";
import { ConfirmButton, Creator, type SectionProps } from "./common";

/** How a row names its integration: the description the administrator gave, else its id. */
const nameOf = (i: ScimIntegration) => i.description || i.id;

/** SCIM integrations: one per identity provider that provisions users and groups, each with its own service account
 * and bearer token (shown once, at creation); enable/disable and delete. The API checks SERVICE_ACCOUNT:* on the
 * instance for each, and so does this section. */
export function Integrations({ me }: SectionProps) {
  const client = useQueryClient();
  const integrations = useQuery({ queryKey: ["integrations"], queryFn: listIntegrations });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedScimIntegration | null>(null);
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ["integrations"] });
    void client.invalidateQueries({ queryKey: ["accounts", "SERVICE_ACCOUNT"] });  // each has its service account
  };
  const toggle = useMutation({ mutationFn: (i: ScimIntegration) => setIntegrationEnabled(i.id, !i.enabled), onSuccess: refresh });
  const remove = useMutation({ mutationFn: (i: ScimIntegration) => deleteIntegration(i.id), onSuccess: refresh });
  const mayUpdate = canOnInstance(me, "SERVICE_ACCOUNT:UPDATE");
  const mayDelete = canOnInstance(me, "SERVICE_ACCOUNT:DELETE");
  return (
    <>
      <p className="muted">An identity provider (Okta, Microsoft Entra ID, …) creates, updates and removes users and groups here
        through SCIM 2.0: give it the endpoint and the token of its integration.</p>
      {created && <CreatedOnce created={created} onDone={() => setCreated(null)} />}
      {canOnInstance(me, "SERVICE_ACCOUNT:CREATE") && (
        <Creator label="New SCIM integration" open={creating} setOpen={setCreating}>
          <IntegrationForm onDone={(c) => { setCreating(false); setCreated(c); refresh(); }} onCancel={() => setCreating(false)} />
        </Creator>
      )}
      {toggle.isError && <ErrorMessage error={toggle.error} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {integrations.isError && <ErrorMessage error={integrations.error} />}
      {integrations.isPending && <Loading what="SCIM integrations" />}
      {integrations.data && (
        <table className="list">
          <caption className="sr-only">SCIM integrations</caption>
          <thead>
            <tr>
              <th scope="col">Id</th><th scope="col">Description</th><th scope="col">State</th><th scope="col">Endpoint</th>
              <th scope="col">Created</th><th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {integrations.data.map((i) => (
              <tr key={i.id} data-integration={nameOf(i)}>
                <td><code>{i.id}</code></td>
                <td>{i.description}</td>
                <td>{i.enabled ? "enabled" : "disabled"}</td>
                <td><code className="endpoint">{i.endpoint}</code></td>
                <td><When iso={i.created} /></td>
                <td>
                  {mayUpdate && (
                    <button type="button" aria-label={`${i.enabled ? "Disable" : "Enable"} ${nameOf(i)}`} disabled={toggle.isPending}
                      onClick={() => toggle.mutate(i)}>{i.enabled ? "Disable" : "Enable"}</button>
                  )}{" "}
                  {mayDelete && <ConfirmButton label="Delete" what={nameOf(i)} onConfirm={() => remove.mutate(i)} disabled={remove.isPending} />}
                </td>
              </tr>
            ))}
            {integrations.data.length === 0 && <tr><td colSpan={6} className="muted">No SCIM integration yet.</td></tr>}
          </tbody>
        </table>
      )}
    </>
  );
}

/** The endpoint and the token of a new integration: the token is in the creation's answer only. */
function CreatedOnce({ created, onDone }: { created: CreatedScimIntegration; onDone: () => void }) {
  const copy = (text: string) => void navigator.clipboard?.writeText(text);
  return (
    <div className="card token-once" role="status" aria-label="New SCIM integration">
      <p>Integration <strong>{nameOf(created)}</strong> created. Give your identity provider this endpoint and token.
        Copy the token now: it won't be shown again.</p>
      <p>SCIM endpoint</p>
      <code data-endpoint>{created.endpoint}</code>
      <button type="button" onClick={() => copy(created.endpoint)}>Copy endpoint</button>
      <p>Bearer token</p>
      <code data-token>{created.token}</code>
      <button type="button" onClick={() => copy(created.token)}>Copy token</button>{" "}
      <button type="button" onClick={onDone}>Done</button>
    </div>
  );
}

function IntegrationForm({ onDone, onCancel }: { onDone: (created: CreatedScimIntegration) => void; onCancel: () => void }) {
  const [description, setDescription] = useState("");
  const save = useMutation({ mutationFn: () => createIntegration(description.trim()), onSuccess: onDone });
  return (
    <form className="card kv-form" aria-label="New SCIM integration" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>New SCIM integration</h2>
      <label className="field">Description (which identity provider)
        <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} placeholder="Okta production" />
      </label>
      {save.isError && <ErrorMessage error={save.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" disabled={save.isPending}>Create integration</button>
      </div>
    </form>
  );
}
