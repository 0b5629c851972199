// Progressive enhancement only: every page reads and works without this file.
(function () {
  "use strict";

  function suggestBox() {
    return document.getElementById("suggest");
  }

  function clearSuggestions() {
    var box = suggestBox();
    if (box) {
      box.innerHTML = "";
    }
  }

  // Escape closes the suggestion list; arrow-down moves into it from the search box.
  document.addEventListener("keydown", function (event) {
    var box = suggestBox();
    if (!box) {
      return;
    }
    if (event.key === "Escape") {
      clearSuggestions();
      return;
    }
    if (event.key === "ArrowDown" && event.target && event.target.id === "q") {
      var first = box.querySelector("a");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });

  // A click elsewhere closes the suggestion list.
  document.addEventListener("click", function (event) {
    var form = event.target && event.target.closest ? event.target.closest(".search-form") : null;
    if (!form) {
      clearSuggestions();
    }
  });
})();
