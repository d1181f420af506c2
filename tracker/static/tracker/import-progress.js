// An import's preview page while the file is validated or committed: poll the job's progress (JSON) once
// a second and reload the page when the job is no longer open. A file, not an inline script: the site's
// Content-Security-Policy allows scripts from this site only.
(function () {
  const box = document.getElementById("import-progress");
  if (!box) return;
  const url = box.dataset.progressUrl;
  const phase = document.getElementById("import-phase");
  const bar = document.getElementById("import-bar");
  const rows = document.getElementById("import-rows");
  (function poll() {
    fetch(url, {credentials: "same-origin"}).then((r) => r.json()).then((p) => {
      if (!p.open) { window.location.reload(); return; }
      phase.textContent = p.phase || p.status_display;
      bar.max = Math.max(p.total, 1); bar.value = p.done;
      rows.textContent = p.done + "/" + p.total;
      setTimeout(poll, 1000);
    }).catch(() => setTimeout(poll, 3000));
  })();
})();
