// The user's preferences, kept in localStorage: theme (lib/theme.ts), date format, time zone, default namespace
// and editor font size.
import { useSyncExternalStore } from "react";

export type DateFormat = "locale" | "iso" | "relative";
export interface Settings {
  dateFormat: DateFormat;
  editorFontSize: number;
  /** An IANA time zone for dates shown in the browser's format; "" for the browser's own. */
  timeZone: string;
  /** The namespace of new flows and the lists' namespace filter when none is given; "" for none. */
  defaultNamespace: string;
}

const KEY = "legato.settings";
export const DEFAULTS: Settings = { dateFormat: "locale", editorFontSize: 14, timeZone: "", defaultNamespace: "" };
export const FONT_SIZES = { min: 10, max: 24 };
const NAMESPACE = /^[a-z0-9][a-z0-9._-]*$/;
const listeners = new Set<() => void>();
let cached: Settings | null = null;

/** Whether this browser knows the time zone `zone`. */
export function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The saved settings, each one checked (a bad or missing value falls back to its default). */
export function readSettings(): Settings {
  if (cached) return cached;
  let saved: Partial<Settings> = {};
  try {
    saved = JSON.parse(localStorage.getItem(KEY) ?? "{}") ?? {};
  } catch {
    saved = {};
  }
  const size = Number(saved.editorFontSize);
  const zone = typeof saved.timeZone === "string" && saved.timeZone && knownTimeZone(saved.timeZone) ? saved.timeZone : "";
  const namespace = typeof saved.defaultNamespace === "string" && NAMESPACE.test(saved.defaultNamespace) ? saved.defaultNamespace : "";
  cached = {
    dateFormat: saved.dateFormat === "iso" || saved.dateFormat === "relative" ? saved.dateFormat : DEFAULTS.dateFormat,
    editorFontSize: Number.isInteger(size) && size >= FONT_SIZES.min && size <= FONT_SIZES.max ? size : DEFAULTS.editorFontSize,
    timeZone: zone,
    defaultNamespace: namespace,
  };
  return cached;
}

export function saveSettings(changes: Partial<Settings>): void {
  cached = { ...readSettings(), ...changes };
  localStorage.setItem(KEY, JSON.stringify(cached));
  for (const listener of listeners) listener();
}

/** Whether `text` can be a namespace (the server's rule). */
export const validNamespace = (text: string): boolean => NAMESPACE.test(text);

/** The settings, re-rendering when they change. */
export function useSettings(): Settings {
  return useSyncExternalStore((listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, readSettings);
}

/** An instant as the user chose to see it, in their time zone. `now` is for tests. */
export function formatInstant(iso: string, format: DateFormat, now: number = Date.now(), timeZone: string = readSettings().timeZone): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  if (format === "iso") return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  if (format === "relative") {
    const seconds = Math.round((date.getTime() - now) / 1000);
    const units: [Intl.RelativeTimeFormatUnit, number][] = [["day", 86_400], ["hour", 3600], ["minute", 60], ["second", 1]];
    const [unit, size] = units.find(([, s]) => Math.abs(seconds) >= s) ?? ["second", 1];
    return new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }).format(Math.round(seconds / size), unit);
  }
  return timeZone ? date.toLocaleString(undefined, { timeZone, timeZoneName: "short" }) : date.toLocaleString();
}

/** The time of day of an instant (log lines), in the user's time zone. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const { timeZone } = readSettings();
  return timeZone ? date.toLocaleTimeString(undefined, { timeZone }) : date.toLocaleTimeString();
}

/** The time zones to choose from: UTC, then every zone this browser knows. */
export function timeZones(): string[] {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return ["UTC", ...known.filter((z) => z !== "UTC")];
}

/** On a list page opened without any filter in its URL, the default namespace's filter (once, on arrival: the
 * user can clear it). */
export function defaultNamespaceParams(params: URLSearchParams): URLSearchParams | null {
  const { defaultNamespace } = readSettings();
  if (!defaultNamespace || [...params.keys()].length > 0) return null;
  return new URLSearchParams({ namespace: defaultNamespace });
}
