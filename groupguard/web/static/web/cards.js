// Under 600 px a list table reads as a stack of cards (app.css, "table.cards"): each cell
// shows its column's header as a label. The labels come from the table's own headers, so a
// page written as an ordinary table needs nothing more; without this script the table keeps
// its columns and scrolls inside its region.
(function () {
  "use strict";

  function headerText(th) {
    // The words a reader sees: a screen-reader-only header ("Actions") labels nothing.
    var copy = th.cloneNode(true);
    copy.querySelectorAll(".visually-hidden").forEach(function (el) { el.remove(); });
    copy.querySelectorAll("br").forEach(function (br) { br.replaceWith(" · "); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  function label(root) {
    root.querySelectorAll("table.cards").forEach(function (table) {
      var heads = [];
      table.querySelectorAll("thead tr:first-child > th").forEach(function (th) {
        var text = headerText(th);
        for (var i = 0; i < (th.colSpan || 1); i += 1) { heads.push(text); }
      });
      table.querySelectorAll("tbody > tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          if (!cell.hasAttribute("data-label") && heads[column] && cell.colSpan < 2) {
            cell.setAttribute("data-label", heads[column]);
          }
          column += cell.colSpan || 1;
        });
      });
      table.setAttribute("data-labelled", "");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { label(document); });
  // Rows replaced by htmx (attendance, a sent signing link) are labelled again.
  document.addEventListener("htmx:afterSettle", function () { label(document); });
}());
