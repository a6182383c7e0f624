// The statement page's split control: a click (or a caret placed with the keyboard) in the
// statement's text sets "Split before character" to that position, counted in code points.
(function () {
  "use strict";
  var text = document.getElementById("ra-boundary-text");
  var at = document.getElementById("ra-split-at");
  if (!text || !at) return;
  function codePoints(s) { return Array.from(s).length; }
  function update() {
    var selection = window.getSelection();
    if (!selection || !selection.anchorNode || !text.contains(selection.anchorNode)) return;
    var range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(selection.anchorNode, selection.anchorOffset);
    var position = codePoints(range.toString());
    if (position > 0 && position < codePoints(text.textContent)) at.value = position;
  }
  text.addEventListener("mouseup", update);
  text.addEventListener("keyup", update);
})();
