import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { namespaces } from "../api/client";
import {
  formatInstant, FONT_SIZES, saveSettings, timeZones, useSettings, validNamespace, type DateFormat,
} from "../lib/settings";
import { saveTheme, useThemeChoice, type ThemeChoice } from "../lib/theme";
import "../pages.css";

const SAMPLE = new Date(Date.now() - 5 * 60_000).toISOString();
const THEMES: [ThemeChoice, string][] = [["light", "Light"], ["dark", "Dark"], ["system", "System (follows this device)"]];
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Preferences kept in this browser (localStorage). */
export default function SettingsPage() {
  const settings = useSettings();
  const theme = useThemeChoice();
  const spaces = useQuery({ queryKey: ["namespaces"], queryFn: namespaces });
  const [namespace, setNamespace] = useState(settings.defaultNamespace);
  const namespaceOk = namespace === "" || validNamespace(namespace);
  return (
    <section>
      <div className="page-head"><h1>Settings</h1><span className="muted">Saved in this browser.</span></div>
      <form className="card settings" onSubmit={(e) => e.preventDefault()} aria-label="Settings">
        <fieldset>
          <legend>Theme</legend>
          {THEMES.map(([t, label]) => (
            <label key={t} className="check">
              <input type="radio" name="theme" value={t} checked={theme === t} onChange={() => saveTheme(t)} /> {label}
            </label>
          ))}
        </fieldset>
        <label className="field">
          Date format
          <select value={settings.dateFormat} onChange={(e) => saveSettings({ dateFormat: e.target.value as DateFormat })}>
            <option value="locale">This browser's format</option>
            <option value="iso">ISO 8601 (UTC)</option>
            <option value="relative">Relative (5 minutes ago)</option>
          </select>
          <small className="muted">Example: {formatInstant(SAMPLE, settings.dateFormat, Date.now(), settings.timeZone)}</small>
        </label>
        <label className="field">
          Time zone
          <select value={settings.timeZone} onChange={(e) => saveSettings({ timeZone: e.target.value })}>
            <option value="">This browser's ({browserZone})</option>
            {timeZones().map((z) => <option key={z} value={z}>{z}</option>)}
          </select>
          <small className="muted">Dates in this browser's format are shown in this zone.</small>
        </label>
        <label className="field">
          Default namespace
          <input value={namespace} list="settings-namespaces" placeholder="none" aria-invalid={!namespaceOk}
            aria-describedby="default-namespace-help"
            onChange={(e) => {
              const next = e.target.value.trim();
              setNamespace(next);
              if (next === "" || validNamespace(next)) saveSettings({ defaultNamespace: next });
            }} />
          <datalist id="settings-namespaces">{(spaces.data ?? []).map((ns) => <option key={ns} value={ns} />)}</datalist>
          <small id="default-namespace-help" className={namespaceOk ? "muted" : "bad"}>
            {namespaceOk ? "New flows start in it; the flows and executions lists open filtered on it."
              : "A namespace has lowercase letters, digits, dots, _ and - (such as company.team)."}
          </small>
        </label>
        <label className="field">
          Editor font size (px)
          <input type="number" min={FONT_SIZES.min} max={FONT_SIZES.max} value={settings.editorFontSize}
            onChange={(e) => {
              const size = Number(e.target.value);
              if (Number.isInteger(size) && size >= FONT_SIZES.min && size <= FONT_SIZES.max) saveSettings({ editorFontSize: size });
            }} />
        </label>
        <p role="status" className="muted">Changes apply at once.</p>
      </form>
    </section>
  );
}
