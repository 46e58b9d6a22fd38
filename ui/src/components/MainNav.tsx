import { useEffect, useRef, useState, type ReactNode } from "react";
import { useLocation } from "react-router";

/** The main navigation: a row of links on a wide screen; on a phone-width screen (CSS decides) the links fold
 * behind a "Menu" button that opens them as a panel. Escape or a click elsewhere closes it; Escape hands focus
 * back to the button. Following a link closes it too. */
export function MainNav({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const { pathname, search } = useLocation();
  useEffect(() => { setOpen(false); }, [pathname, search]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setOpen(false);
      button.current?.focus();
    };
    const onPointer = (e: MouseEvent) => {
      if (!box.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onPointer);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onPointer);
    };
  }, [open]);
  return (
    <div className="main-nav" ref={box}>
      <button ref={button} type="button" className="ghost menu-button" aria-expanded={open} aria-controls="main-nav"
        onClick={() => setOpen(!open)}>
        <span aria-hidden="true">☰</span> Menu
      </button>
      <nav id="main-nav" aria-label="Main" className={open ? "open" : undefined}>{children}</nav>
    </div>
  );
}
