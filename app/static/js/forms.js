/* Task forms: progressive enhancement for templates/forms/_fields.html. Without this script every
   "add row"/"remove" button still works as a submit button (name="__action__", value "add:<path>" /
   "remove:<row path>") handled by the server. With it, rows are added from the <template> row (index
   __INDEX__) and removed in the page; the rows of an array are renumbered so names stay
   <array path>.0, .1, ... */
(function () {
  "use strict";

  var INDEX = "__INDEX__";
  var ATTRS = ["name", "id", "for", "aria-describedby", "aria-labelledby", "data-bpm-array"];
  var PREFIXES = ["", "f-", "add:", "remove:"];

  function renameToken(token, from, to) {
    for (var i = 0; i < PREFIXES.length; i++) {
      var prefix = PREFIXES[i];
      if (token.indexOf(prefix) !== 0) continue;
      var rest = token.slice(prefix.length);
      if (rest === from || rest.indexOf(from + ".") === 0 || rest.indexOf(from + "-") === 0) {
        return prefix + to + rest.slice(from.length);
      }
    }
    return token;
  }

  function renameValue(value, from, to) {
    return value.split(/(\s+)/).map(function (part) {
      return /^\s+$/.test(part) ? part : renameToken(part, from, to);
    }).join("");
  }

  /* Rewrite every path "from" (e.g. "rows.3" or "rows.__INDEX__") to "to" inside root, including the
     contents of nested <template> rows. */
  function renameAll(root, from, to) {
    var elements = root.querySelectorAll ? root.querySelectorAll("*") : [];
    if (root.nodeType === 1) elements = [root].concat(Array.prototype.slice.call(elements));
    Array.prototype.forEach.call(elements, function (el) {
      ATTRS.forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, renameValue(value, from, to));
      });
      if (el.tagName === "BUTTON" && (el.hasAttribute("data-bpm-add") || el.hasAttribute("data-bpm-remove"))) {
        el.value = renameValue(el.value, from, to);
      }
      if (el.tagName === "TEMPLATE") renameAll(el.content, from, to);
    });
  }

  function ownRows(array) {
    var container = array.querySelector("[data-bpm-rows]");
    return Array.prototype.filter.call(container.children, function (el) {
      return el.hasAttribute("data-bpm-row");
    });
  }

  function ownOf(row, selector) {
    return Array.prototype.filter.call(row.querySelectorAll(selector), function (el) {
      return el.closest("[data-bpm-row]") === row;
    });
  }

  function renumber(array) {
    var path = array.getAttribute("data-bpm-array");
    ownRows(array).forEach(function (row, i) {
      var old = row.getAttribute("data-bpm-index");
      if (old !== String(i)) renameAll(row, path + "." + old, path + "." + i);
      row.setAttribute("data-bpm-index", String(i));
      ownOf(row, "[data-bpm-row-number]").forEach(function (el) { el.textContent = String(i + 1); });
    });
    refresh(array);
  }

  function refresh(array) {
    var count = ownRows(array).length;
    var min = parseInt(array.getAttribute("data-min-items") || "0", 10);
    var max = array.hasAttribute("data-max-items") ? parseInt(array.getAttribute("data-max-items"), 10) : Infinity;
    var add = array.querySelector(":scope > .bpm-array__actions [data-bpm-add]");
    if (add) add.disabled = count >= max;
    ownRows(array).forEach(function (row) {
      ownOf(row, "[data-bpm-remove]").forEach(function (btn) { btn.disabled = count <= min; });
    });
    var empty = array.querySelector(":scope > [data-bpm-empty]");
    if (empty) empty.hidden = count > 0;
  }

  function announce(form, key) {
    var live = form.querySelector("[data-bpm-live]");
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = form.getAttribute(key) || ""; }, 50);
  }

  function firstControl(root) {
    return root.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
  }

  function addRow(array, form) {
    var template = array.querySelector(":scope > template[data-bpm-row-template]");
    if (!template) return;
    var path = array.getAttribute("data-bpm-array");
    var index = ownRows(array).length;
    var fragment = template.content.cloneNode(true);
    renameAll(fragment, path + "." + INDEX, path + "." + index);
    var row = fragment.querySelector("[data-bpm-row]");
    array.querySelector("[data-bpm-rows]").appendChild(fragment);
    renumber(array);
    array.querySelectorAll("[data-bpm-array]").forEach(function (inner) { refresh(inner); });
    var control = row && firstControl(row);
    if (control) control.focus();
    announce(form, "data-msg-added");
  }

  function removeRow(row, array, form) {
    var rows = ownRows(array);
    var position = rows.indexOf(row);
    row.parentNode.removeChild(row);
    renumber(array);
    var remaining = ownRows(array);
    var next = remaining[Math.min(position, remaining.length - 1)];
    var target = next ? firstControl(next) : array.querySelector(":scope > .bpm-array__actions [data-bpm-add]");
    if (target) target.focus();
    announce(form, "data-msg-removed");
  }

  /* if/then/else fields: [data-bpm-show-when] boxes are shown only while their controlling field has one of
     the listed values (negate: has none of them); their inputs are disabled while hidden, so a hidden
     answer is not sent. [data-bpm-required-when] marks show the "required" star while a condition holds. */
  function currentValue(form, name) {
    var found = false, value = "";
    form.querySelectorAll("[name]").forEach(function (el) {
      if (el.name !== name) return;
      found = true;
      if (el.disabled) return;
      if (el.type === "radio") { if (el.checked) value = el.value; }
      else if (el.type === "checkbox") { value = el.checked ? el.value : "false"; }
      else if (el.type !== "hidden" || value === "") { value = el.value; }
    });
    return found ? value : null;  /* null: not an input here (read-only field): leave the branch shown */
  }

  function holds(form, condition) {
    var value = currentValue(form, condition.field);
    if (value === null) return true;
    return (condition.values.indexOf(value) !== -1) !== Boolean(condition.negate);
  }

  function applyConditions(form) {
    form.querySelectorAll("[data-bpm-show-when]").forEach(function (box) {
      var outer = box.parentElement && box.parentElement.closest("[data-bpm-show-when]");
      var show = !(outer && outer.hidden) && holds(form, JSON.parse(box.getAttribute("data-bpm-show-when")));
      box.hidden = !show;
      box.querySelectorAll("input, select, textarea, button").forEach(function (el) {
        if (!show && !el.disabled) {
          el.disabled = true;
          el.setAttribute("data-bpm-hidden-off", "");
        } else if (show && el.hasAttribute("data-bpm-hidden-off")) {
          el.disabled = false;
          el.removeAttribute("data-bpm-hidden-off");
        }
      });
    });
    form.querySelectorAll("[data-bpm-required-when]").forEach(function (mark) {
      var conditions = JSON.parse(mark.getAttribute("data-bpm-required-when"));
      mark.hidden = !conditions.some(function (c) { return holds(form, c); });
    });
  }

  function enhance(form) {
    applyConditions(form);
    form.addEventListener("change", function () { applyConditions(form); });
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-bpm-add], button[data-bpm-remove]");
      if (!button || !form.contains(button) || button.disabled) return;
      event.preventDefault();
      var array;
      if (button.hasAttribute("data-bpm-add")) {
        array = button.closest("[data-bpm-array]");
        if (array) addRow(array, form);
      } else {
        var row = button.closest("[data-bpm-row]");
        array = row && row.parentNode.closest("[data-bpm-array]");
        if (row && array) removeRow(row, array, form);
      }
    });

    form.querySelectorAll("[data-bpm-array]").forEach(refresh);

    /* Range sliders show their value. */
    form.addEventListener("input", function (event) {
      var input = event.target;
      if (input.type !== "range" || !input.id) return;
      var field = input.closest(".bpm-field");
      var output = field && field.querySelector("output[data-bpm-range-output]");
      if (output) output.textContent = input.value;
    });
    form.querySelectorAll("input[type=range]").forEach(function (input) {
      var field = input.closest(".bpm-field");
      var output = field && field.querySelector("output[data-bpm-range-output]");
      if (output && !output.textContent) output.textContent = input.value;
    });

    /* Error summary: take focus on load; its links focus the field, not just scroll to it. */
    var summary = form.querySelector("[data-bpm-error-summary]");
    if (summary) {
      summary.focus();
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        if (!link) return;
        var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
        if (!target) return;
        event.preventDefault();
        var control = /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) ? target : firstControl(target) || target;
        var field = target.closest(".bpm-field, .bpm-fieldset") || target;
        field.scrollIntoView({ block: "center" });
        control.focus({ preventScroll: true });
      });
    }
  }

  function init() {
    document.querySelectorAll("[data-bpm-form]").forEach(enhance);
  }

  /* Forms put into a page later (the modeler's form preview) are enhanced by their page. */
  window.bpmForms = { enhance: enhance };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
