// Keeps the queue page live: asks the server for the queues every second and replaces
// them when they changed. Served as a file, so the Content-Security-Policy can forbid
// inline scripts. The HTML comes from the server's escaped templates. The server says
// which version it sent (X-Version); sent back, an unchanged version costs an empty 204.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box) { return; }
  var source = box.getAttribute("data-src");
  var version = "";
  var busy = false;
  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(source, { credentials: "same-origin", cache: "no-store", headers: { "X-Version": version } })
      .then(function (answer) {
        if (answer.status === 401) { window.location.reload(); return null; }
        if (answer.status !== 200) { return null; }
        version = answer.headers.get("X-Version") || "";
        return answer.text();
      })
      .then(function (html) {
        if (html !== null) { box.innerHTML = html; }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ })
      .then(function () { busy = false; });
  }
  window.setInterval(refresh, 1000);
  document.addEventListener("visibilitychange", refresh);
})();
