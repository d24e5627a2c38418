// Follows an Excel import: polls GET /api/v1/imports/{id}/ and moves the progress bar; reloads
// the page once the import has finished, so the result is rendered by the server.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-job]");
  if (!box || box.dataset.finished) return;
  var url = box.dataset.importJob;
  var bar = box.querySelector("[data-import-bar]");
  function show(job) {
    box.querySelector("[data-import-state]").textContent = job.state_label;
    box.querySelector("[data-import-done]").textContent = job.done;
    box.querySelector("[data-import-total]").textContent = job.total;
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (job) {
        show(job);
        if (job.state === "done" || job.state === "failed") window.location.reload();
        else window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 500);
})();
