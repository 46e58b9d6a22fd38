// Form fields generated from a flow's (or a Pause task's onResume) inputs.
import type { Field, FieldValue, FormValues } from "../lib/inputs";

interface Props {
  fields: Field[];
  values: FormValues;
  errors: Record<string, string>;
  onChange: (id: string, value: FieldValue) => void;
}

function Control({ field, value, onChange, describedBy }: {
  field: Field; value: FieldValue; onChange: (v: FieldValue) => void; describedBy: string | undefined;
}) {
  const common = { id: `input-${field.id}`, name: field.id, required: field.required, "aria-describedby": describedBy };
  switch (field.kind) {
    case "checkbox":
      return <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
    case "select":
      return (
        <select {...common} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value)}>
          {!field.required || value === "" ? <option value="">—</option> : null}
          {field.options.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      );
    case "multiselect":
      return (
        <select {...common} multiple value={Array.isArray(value) ? value : []}
          onChange={(e) => onChange(Array.from(e.target.selectedOptions, (o) => o.value))}>
          {field.options.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      );
    case "textarea":
      return <textarea {...common} rows={4} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value)} />;
    case "file":
      return <input {...common} type="file" onChange={(e) => onChange(e.target.files?.[0] ?? null)} />;
    default:
      return (
        <input {...common} type={field.kind} step={field.step} min={field.min} max={field.max}
          value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value)} />
      );
  }
}

export function InputsForm({ fields, values, errors, onChange }: Props) {
  if (fields.length === 0) return <p className="muted">This flow takes no inputs.</p>;
  return (
    <div className="inputs-form">
      {fields.map((field) => {
        const help = field.description || field.hint ? `help-${field.id}` : undefined;
        const error = errors[field.id] ? `error-${field.id}` : undefined;
        const describedBy = [help, error].filter(Boolean).join(" ") || undefined;
        return (
          <div key={field.id} className={`field field-${field.kind}`}>
            <label htmlFor={`input-${field.id}`}>
              {field.label}{field.required && <span aria-hidden="true"> *</span>}
            </label>
            <Control field={field} value={values[field.id] ?? null} onChange={(v) => onChange(field.id, v)} describedBy={describedBy} />
            {help && <small id={help} className="muted">{[field.description, field.hint].filter(Boolean).join(" — ")}</small>}
            {error && <small id={error} role="alert" className="field-error">{errors[field.id]}</small>}
          </div>
        );
      })}
    </div>
  );
}
