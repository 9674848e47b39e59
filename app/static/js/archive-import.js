// The import page follows the worker: polls the run's progress until it is done, then reloads.
(function () {
  var status = document.getElementById("import-status");
  if (!status || ["queued", "running"].indexOf(status.dataset.status) < 0) return;
  var bar = document.getElementById("import-progress"), percent = document.getElementById("import-percent");
  function poll() {
    fetch(status.dataset.progressUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.progress && bar) { bar.value = data.progress.percent; percent.textContent = data.progress.percent + "%"; }
        if (["queued", "running"].indexOf(data.status) < 0) { window.location.reload(); return; }
        setTimeout(poll, 1000);
      }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
