import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Workbox } from "workbox-window";
import { App } from "./app";
import "./styles.css";

// The service worker precaches the app shell (it opens offline) and shows pushes. A new deployment
// installs a new worker that waits; the app offers "Update now", which activates it and reloads.
function Root() {
  const [update, setUpdate] = useState<(() => void) | null>(null);
  useEffect(() => {
    if (!("serviceWorker" in navigator) || import.meta.env.DEV) return;
    const wb = new Workbox("/app/sw.js", { scope: "/app/" });
    wb.addEventListener("waiting", () => {
      setUpdate(() => () => {
        wb.addEventListener("controlling", () => window.location.reload());
        wb.messageSkipWaiting();
      });
    });
    navigator.serviceWorker.addEventListener("message", (event: MessageEvent<{ type?: string; url?: string }>) => {
      if (event.data?.type === "open" && event.data.url) window.location.assign(event.data.url);
    });
    void wb.register();
    // A phone keeps the app open for days: look for a new version every half hour.
    const timer = window.setInterval(() => void wb.update(), 30 * 60 * 1000);
    return () => window.clearInterval(timer);
  }, []);
  return <App update={update} />;
}

render(<Root />, document.getElementById("root")!);
