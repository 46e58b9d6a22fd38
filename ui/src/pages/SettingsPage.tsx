import { formatInstant, FONT_SIZES, saveSettings, useSettings, type DateFormat } from "../lib/settings";
import { saveTheme, useTheme, type Theme } from "../lib/theme";
import "../pages.css";

const SAMPLE = new Date(Date.now() - 5 * 60_000).toISOString();

/** Preferences kept in this browser (localStorage). */
export default function SettingsPage() {
  const settings = useSettings();
  const theme = useTheme();
  return (
    <section>
      <div className="page-head"><h1>Settings</h1><span className="muted">Saved in this browser.</span></div>
      <form className="card settings" onSubmit={(e) => e.preventDefault()} aria-label="Settings">
        <fieldset>
          <legend>Theme</legend>
          {(["light", "dark"] as Theme[]).map((t) => (
            <label key={t} className="check">
              <input type="radio" name="theme" value={t} checked={theme === t} onChange={() => saveTheme(t)} /> {t === "light" ? "Light" : "Dark"}
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
          <small className="muted">Example: {formatInstant(SAMPLE, settings.dateFormat)}</small>
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
