// The statement page's split control: a click in the statement's text (or a caret placed there
// with the keyboard) sets "Split before character" to that position, counted in code points.
(function () {
  "use strict";
  var text = document.getElementById("ra-boundary-text");
  var at = document.getElementById("ra-split-at");
  if (!text || !at) return;
  function codePoints(s) { return Array.from(s).length; }
  function setFrom(node, offset) {
    if (!node || !text.contains(node)) return;
    var range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(node, offset);
    var position = codePoints(range.toString());
    if (position > 0 && position < codePoints(text.textContent)) at.value = position;
  }
  text.addEventListener("click", function (event) {
    // Where the pointer is, not where a selection may (or may not) have landed.
    if (document.caretPositionFromPoint) {
      var caret = document.caretPositionFromPoint(event.clientX, event.clientY);
      if (caret) setFrom(caret.offsetNode, caret.offset);
    } else if (document.caretRangeFromPoint) {
      var range = document.caretRangeFromPoint(event.clientX, event.clientY);
      if (range) setFrom(range.startContainer, range.startOffset);
    }
  });
  text.addEventListener("keyup", function () {
    var selection = window.getSelection();
    if (selection && selection.anchorNode) setFrom(selection.anchorNode, selection.anchorOffset);
  });
})();
