// Attempt numbers as people read them: the API's attemptNumber counts from 0 (as Kestra's), the UI from 1.

/** `#1` for a first attempt's line, `""` for a line of no attempt (the execution's own). */
export function attemptLabel(attemptNumber: number | null | undefined): string {
  return attemptNumber == null ? "" : `#${attemptNumber + 1}`;
}
