// Light/dark theme: the user's choice (light, dark, or "system": follow the system's preference, live), kept
// in this browser; without a choice, the system's preference.
import { useSyncExternalStore } from "react";

export type Theme = "light" | "dark";
export type ThemeChoice = Theme | "system";
const KEY = "legato.theme";
const listeners = new Set<() => void>();
const darkQuery = () => window.matchMedia?.("(prefers-color-scheme: dark)");

/** What the user chose ("system" when nothing or something unknown was saved). */
export function themeChoice(): ThemeChoice {
  const saved = localStorage.getItem(KEY);
  return saved === "light" || saved === "dark" ? saved : "system";
}

/** The theme to show now: the choice, or the system's preference for "system". */
export function initialTheme(): Theme {
  const choice = themeChoice();
  if (choice !== "system") return choice;
  return darkQuery()?.matches ? "dark" : "light";
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

const changed = () => {
  applyTheme(initialTheme());
  for (const listener of listeners) listener();
};

export function saveTheme(choice: ThemeChoice): void {
  localStorage.setItem(KEY, choice);
  changed();
}

/** Follow the system's preference as it changes (day/night switch), while the choice is "system". */
export function followSystemTheme(): void {
  darkQuery()?.addEventListener?.("change", () => { if (themeChoice() === "system") changed(); });
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => { listeners.delete(listener); };
};

/** The theme shown, re-rendering wherever it is changed (header toggle, Settings page, the system's switch). */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, initialTheme);
}

/** The user's choice, including "system". */
export function useThemeChoice(): ThemeChoice {
  return useSyncExternalStore(subscribe, themeChoice);
}
