// Starts Redoc on /api/redoc/. The nonce this script was given is passed on, so the <style>
// elements Redoc writes at run time are allowed by the page's Content-Security-Policy.
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.specUrl, { nonce: document.currentScript.nonce }, container);
})();
