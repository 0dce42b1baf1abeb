// Sort the overview table by the clicked column; numbers as numbers. No other script runs here.
document.querySelectorAll("table.groups th").forEach(function (header, column) {
  header.addEventListener("click", function () {
    var body = header.closest("table").tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    header.closest("tr").querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = a.cells[column].getAttribute("data-sort") || a.cells[column].textContent;
      var y = b.cells[column].getAttribute("data-sort") || b.cells[column].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, undefined, {numeric: true});
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
