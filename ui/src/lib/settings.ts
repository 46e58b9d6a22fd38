// The user's preferences, kept in localStorage: theme (lib/theme.ts), date format and editor font size.
import { useSyncExternalStore } from "react";

export type DateFormat = "locale" | "iso" | "relative";
export interface Settings {
  dateFormat: DateFormat;
  editorFontSize: number;
}

const KEY = "legato.settings";
export const DEFAULTS: Settings = { dateFormat: "locale", editorFontSize: 14 };
export const FONT_SIZES = { min: 10, max: 24 };
const listeners = new Set<() => void>();
let cached: Settings | null = null;

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
  cached = {
    dateFormat: saved.dateFormat === "iso" || saved.dateFormat === "relative" ? saved.dateFormat : DEFAULTS.dateFormat,
    editorFontSize: Number.isInteger(size) && size >= FONT_SIZES.min && size <= FONT_SIZES.max ? size : DEFAULTS.editorFontSize,
  };
  return cached;
}

export function saveSettings(changes: Partial<Settings>): void {
  cached = { ...readSettings(), ...changes };
  localStorage.setItem(KEY, JSON.stringify(cached));
  for (const listener of listeners) listener();
}

/** The settings, re-rendering when they change. */
export function useSettings(): Settings {
  return useSyncExternalStore((listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, readSettings);
}

/** An instant as the user chose to see it. `now` is for tests. */
export function formatInstant(iso: string, format: DateFormat, now: number = Date.now()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  if (format === "iso") return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  if (format === "relative") {
    const seconds = Math.round((date.getTime() - now) / 1000);
    const units: [Intl.RelativeTimeFormatUnit, number][] = [["day", 86_400], ["hour", 3600], ["minute", 60], ["second", 1]];
    const [unit, size] = units.find(([, s]) => Math.abs(seconds) >= s) ?? ["second", 1];
    return new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }).format(Math.round(seconds / size), unit);
  }
  return date.toLocaleString();
}
