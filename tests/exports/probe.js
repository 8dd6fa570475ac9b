// SPDX-License-Identifier: MIT
// Loaded after the flame graph in a copy of sample.html: drives zoom, hover,
// search and Esc like a user and logs "LTCHECK ..." lines that check.sh reads.
(function () {
function log(s) { console.log("LTCHECK " + s); }
function byName(n) {
  var r = null;
  document.querySelectorAll("#lt-frames g.f").forEach(function (g) {
    if (g.querySelector("title").textContent.split("\n")[0] === n) r = g;
  });
  return r;
}
function nhidden() { return document.querySelectorAll("#lt-frames g.hidden").length; }
var m = document.getElementById("lt-matched");
window.prompt = function () { return "xmalloc"; };
var t = byName("server_loop");
t.querySelector("rect").dispatchEvent(new MouseEvent("click", { bubbles: true }));
var r = t.querySelector("rect");
log("zoom server_loop x=" + r.getAttribute("x") + " w=" + r.getAttribute("width") + " label=" + t.querySelector("text").textContent);
log("main anc=" + byName("main").classList.contains("anc") + " w=" + byName("main").querySelector("rect").getAttribute("width"));
log("unzoom shown=" + !document.getElementById("lt-unzoom").classList.contains("hidden") + " hidden=" + nhidden());
byName("handle_request").querySelector("rect").dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
log("status=" + document.getElementById("lt-status").textContent);
document.getElementById("lt-search").dispatchEvent(new MouseEvent("click", { bubbles: true }));
log("search matched=" + m.textContent + " hl=" + document.querySelectorAll("#lt-frames .hl").length + " button=" + document.getElementById("lt-search").textContent);
window.prompt = function () { return "load|Cache"; };
document.dispatchEvent(new KeyboardEvent("keydown", { key: "f", ctrlKey: true, bubbles: true }));
log("search2 matched=" + m.textContent + " hl=" + document.querySelectorAll("#lt-frames .hl").length);
document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
log("esc hidden=" + nhidden() + " matched='" + m.textContent + "' unzoom shown=" + !document.getElementById("lt-unzoom").classList.contains("hidden"));
window.prompt = function () { return "xmalloc"; };
document.dispatchEvent(new KeyboardEvent("keydown", { key: "/", bubbles: true }));
byName("server_loop").querySelector("rect").dispatchEvent(new MouseEvent("click", { bubbles: true }));
})();
