// The review workplace (admin/reviews/review/workplace.html), as progressive enhancement: the
// page works without it, and the server computes and checks everything again.
// - the total (0-100) follows the scores as they are typed: sum(weight * score / max) /
//   sum(weight) * 100 (DESIGN.md section 5), shown once every criterion has a score on its scale;
// - a score off its scale is marked at its field, with the message the server would give;
// - a button with data-confirm asks before it submits (submitting a review is final).
(function () {
  "use strict";

  function scoreOf(input) {
    var text = input.value.trim();
    if (text === "") {
      return { empty: true, valid: true };
    }
    var value = Number(text);
    var max = Number(input.dataset.max);
    var valid = Number.isInteger(value) && value >= 1 && value <= max;
    return { empty: false, valid: valid, value: value, max: max };
  }

  function mark(input, score) {
    var message = document.getElementById(input.getAttribute("aria-describedby"));
    input.classList.toggle("out-of-range", !score.valid);
    input.setAttribute("aria-invalid", score.valid ? "false" : "true");
    if (!message) {
      return;
    }
    if (score.valid) {
      message.hidden = true;
    } else {
      message.textContent = input.dataset.rangeMessage;
      message.hidden = false;
    }
  }

  function update(form, markAll, changed) {
    var inputs = form.querySelectorAll("input.score-input");
    if (inputs.length === 0) {
      return; // a submitted review has no inputs: the server's total stands
    }
    var points = 0;
    var weights = 0;
    var complete = inputs.length > 0;
    inputs.forEach(function (input) {
      var score = scoreOf(input);
      if (markAll || input === changed) {
        mark(input, score);
      }
      if (score.empty || !score.valid) {
        complete = false;
        return;
      }
      var weight = Number(input.dataset.weight);
      points += (weight * score.value) / score.max;
      weights += weight;
    });
    var total = document.getElementById("review-total");
    if (total) {
      total.textContent = complete && weights > 0 ? ((points / weights) * 100).toFixed(1) : "—";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("review-form");
    if (!form) {
      return;
    }
    form.addEventListener("input", function (event) {
      if (event.target.matches("input.score-input")) {
        update(form, false, event.target);
      }
    });
    update(form, false, null);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
