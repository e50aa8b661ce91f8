// Search as you type: forms with data-live="#target" fetch ?partial=1 and replace the target's content.
// Pages work without it (the form submits normally); no framework, no network beyond this server.
document.querySelectorAll("form[data-live]").forEach(function (form) {
  var target = document.querySelector(form.dataset.live);
  var input = form.querySelector("input[name=q]");
  var timer = null, seq = 0;
  if (!target || !input) return;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q.length < 2) return;
      var mine = ++seq;
      var url = form.action + "?partial=1&q=" + encodeURIComponent(q);
      fetch(url, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (html !== null && mine === seq) {
          target.innerHTML = html;
          history.replaceState(null, "", form.action + "?q=" + encodeURIComponent(q));
        }
      });
    }, 250);
  });
});
