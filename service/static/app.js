// taizhang service pages: the little behaviour the pages need, no framework, no network calls.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // copy buttons: <button data-copy="#id"> copies the value or text of the element it names
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (!target) return;
      var text = target.value !== undefined ? target.value : target.textContent;
      var done = function () {
        var note = button.parentNode.querySelector(".copied");
        if (note) note.textContent = "已复制";
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
      } else {
        if (target.select) target.select();
        document.execCommand("copy");
        done();
      }
    });
  });
  // forms that change a lot ask first: <form data-confirm="确定…？">
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  // a submit button shows that work is under way (merging a large round takes seconds)
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit][data-busy]");
      if (button) { button.disabled = true; button.textContent = button.getAttribute("data-busy"); }
    });
  });
});
