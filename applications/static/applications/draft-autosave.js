// The draft form saves itself as the founder types (a short pause after the last key), shows
// whether it is saved, and warns before leaving the page while a change is not saved yet.
// Its texts come translated from the page (the form's data-text-* attributes).
(function () {
  "use strict";

  const form = document.querySelector("form[data-autosave-url]");
  if (!form) {
    return;
  }
  const status = document.getElementById("autosave-status");
  const delay = Number(form.dataset.autosaveDelay || 800);
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  let edits = 0; // changes typed so far
  let savedEdits = 0; // of which the server has the latest
  let timer = null;
  let saving = false;
  let leaving = false;

  function show(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  function dirty() {
    return edits !== savedEdits;
  }

  function firstErrors(errors) {
    const texts = [];
    Object.values(errors || {}).forEach(function (list) {
      list.forEach(function (error) {
        texts.push(error.message);
      });
    });
    return texts.join(" ");
  }

  function adopt(answer) {
    // A new application's first save made the draft: later saves change that draft.
    if (answer.autosave_url && answer.autosave_url !== form.dataset.autosaveUrl) {
      form.dataset.autosaveUrl = answer.autosave_url;
      form.action = answer.edit_url;
      window.history.replaceState(null, "", answer.edit_url);
    }
  }

  async function save() {
    timer = null;
    if (saving) {
      schedule();
      return;
    }
    saving = true;
    const sent = edits;
    show(form.dataset.textSaving, "saving");
    let answer = null;
    let ok = false;
    try {
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRFToken": token, Accept: "application/json" },
        credentials: "same-origin",
        redirect: "error",
      });
      if ((response.headers.get("Content-Type") || "").startsWith("application/json")) {
        answer = await response.json();
      }
      ok = response.ok && answer !== null && answer.saved === true;
    } catch (error) {
      ok = false;
    }
    saving = false;
    if (ok) {
      adopt(answer);
      savedEdits = sent;
      show(dirty() ? form.dataset.textUnsaved : answer.message, dirty() ? "dirty" : "saved");
    } else if (answer && answer.errors) {
      show(form.dataset.textNotSaved + " " + firstErrors(answer.errors), "error");
    } else {
      show(form.dataset.textFailed, "error");
    }
    if (dirty() && ok) {
      schedule();
    }
  }

  function schedule() {
    if (timer !== null) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(save, delay);
  }

  function changed() {
    edits += 1;
    show(form.dataset.textUnsaved, "dirty");
    schedule();
  }

  form.addEventListener("input", changed); // typing, and selects and checkboxes too
  form.addEventListener("submit", function () {
    leaving = true; // "Save draft" sends everything itself
    if (timer !== null) {
      window.clearTimeout(timer);
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty() && !leaving) {
      event.preventDefault();
      event.returnValue = ""; // older browsers ask only when this is set
    }
  });
})();
