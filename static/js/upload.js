// Upload each file in its own request so each gets a progress bar and its own result.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("file-input");
  const zone = document.getElementById("dropzone");
  const table = document.getElementById("upload-results");
  const body = table.querySelector("tbody");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const maxBytes = Number(form.dataset.maxBytes);
  const CONCURRENT = 3;
  const waiting = [];
  let running = 0;

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function addRow(file) {
    const row = document.createElement("tr");
    row.className = "outcome-pending";
    row.appendChild(cell(file.name));
    const progressCell = document.createElement("td");
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload progress of " + file.name);
    progressCell.appendChild(bar);
    row.appendChild(progressCell);
    row.appendChild(cell("Waiting…"));
    row.appendChild(cell("—"));
    body.appendChild(row);
    table.hidden = false;
    return row;
  }

  function show(row, outcome, message, url) {
    row.className = "outcome-" + outcome;
    const target = row.children[2];
    target.textContent = "";
    const label = outcome.charAt(0).toUpperCase() + outcome.slice(1);
    if (url) {
      const link = document.createElement("a");
      link.href = url;
      link.textContent = label;
      target.appendChild(link);
    } else {
      target.appendChild(document.createTextNode(label));
    }
    target.appendChild(document.createTextNode(": " + message));
  }

  // Live processing status of the accepted files, until each is done or failed.
  const statusUrl = form.dataset.statusUrl;
  const watched = {};
  let polling = false;

  function watch(row, documentId) {
    const status = row.children[3];
    status.textContent = "Queued";
    watched[documentId] = status;
    if (!polling) { polling = true; setTimeout(poll, 1500); }
  }

  function poll() {
    const ids = Object.keys(watched);
    if (!ids.length) { polling = false; return; }
    fetch(statusUrl + "?ids=" + ids.join(","), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        Object.entries(body.documents || {}).forEach(function ([id, info]) {
          const cellEl = watched[id];
          if (!cellEl) return;
          cellEl.textContent = info.label + (info.error ? ": " + info.error : "");
          cellEl.className = "status status-" + info.status;
          if (info.final) delete watched[id];
        });
      })
      .catch(function () { /* try again on the next tick */ })
      .finally(function () { setTimeout(poll, 2000); });
  }

  function send(file, row) {
    running += 1;
    const bar = row.querySelector("progress");
    row.children[2].textContent = "Uploading…";
    const data = new FormData();
    data.append("files", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.addEventListener("load", function () {
      bar.value = 100;
      let payload = null;
      try { payload = JSON.parse(xhr.responseText); } catch (err) { payload = null; }
      if (payload && payload.results && payload.results.length) {
        const r = payload.results[0];
        show(row, r.outcome, r.message, r.url);
        if (r.document_id) watch(row, r.document_id);
      } else if (payload && payload.error) {
        show(row, "rejected", payload.error.message, null);
      } else {
        show(row, "rejected", "The server answered " + xhr.status + ".", null);
      }
      done();
    });
    xhr.addEventListener("error", function () {
      show(row, "rejected", "The upload was interrupted (network error).", null);
      done();
    });
    xhr.send(data);
  }

  function done() {
    running -= 1;
    pump();
  }

  function pump() {
    while (running < CONCURRENT && waiting.length) {
      const next = waiting.shift();
      send(next.file, next.row);
    }
  }

  function enqueue(files) {
    Array.from(files).forEach(function (file) {
      const row = addRow(file);
      if (file.size > maxBytes) {
        // Refused here too, so a huge file is not sent only to be refused by the server.
        row.querySelector("progress").value = 0;
        show(row, "rejected", "The file is over the upload limit of " +
             Math.round(maxBytes / 1048576) + " MB.", null);
        return;
      }
      waiting.push({ file: file, row: row });
    });
    pump();
  }

  input.addEventListener("change", function () {
    enqueue(input.files);
    input.value = "";
  });
  zone.addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); }
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files) enqueue(e.dataTransfer.files);
  });
})();
