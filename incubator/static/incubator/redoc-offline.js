// Loaded before Redoc on /api/redoc/. Redoc 2 shows Redocly's logo from cdn.redoc.ly beside
// "API docs by Redocly" and has no option to leave it out; this page loads nothing from another
// origin (its Content-Security-Policy would refuse it), so an image address on another origin
// becomes an empty image instead, however it is set (the src property or the attribute).
(function () {
  "use strict";
  var blank = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

  function local(value) {
    var url = new URL(String(value), document.baseURI);
    return url.protocol === "data:" || url.origin === window.location.origin ? value : blank;
  }

  var source = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: source.enumerable,
    get: source.get,
    set: function (value) {
      source.set.call(this, local(value));
    },
  });

  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLImageElement && String(name).toLowerCase() === "src") {
      value = local(value);
    }
    return setAttribute.call(this, name, value);
  };
})();
