// vungxanh: progress of a file upload. The bytes the browser has sent, then the rows the
// server has checked (it says so at the form's data-progress address), then the answer page.
// Without this script (or without XMLHttpRequest) the form posts as it always did.
'use strict';

(function () {
  function bind(root) {
    root.querySelectorAll('form[data-progress]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        if (!window.FormData || !window.XMLHttpRequest || !window.DOMParser) return;
        ev.preventDefault();
        send(form);
      });
    });
  }

  function send(form) {
    var box = form.querySelector('.progress');
    var bar = box.querySelector('progress');
    var text = box.querySelector('.progress-text');
    var d = box.dataset;
    var locale = d.lang === 'en' ? 'en' : 'vi-VN';
    var n = function (x) { return Number(x).toLocaleString(locale); };
    var kib = function (b) { return n(Math.ceil(b / 1024)) + ' KiB'; };
    var button = form.querySelector('button[type="submit"]');
    var id = Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 12);
    var timer = null;
    var stop = function () { if (timer) clearInterval(timer); timer = null; };

    function show(p) {
      if (!timer) return;
      if (p.step === 'reading') {
        bar.removeAttribute('value');
        text.textContent = d.reading;
      } else if (p.step === 'checking') {
        bar.max = Math.max(p.total, 1);
        bar.value = p.done;
        text.textContent = d.checking + ' ' + n(p.done) + ' / ' + n(p.total) + ' ' + d.rows;
      } else if (p.step === 'writing') {
        bar.removeAttribute('value');
        text.textContent = d.writing;
      } else {
        bar.max = 1;
        bar.value = 1;
        text.textContent = d.done;
      }
    }

    function poll() {
      fetch(form.dataset.progress + '?id=' + id, { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) { if (p) show(p); })
        .catch(function () {});
    }

    var xhr = new XMLHttpRequest();
    xhr.upload.addEventListener('progress', function (e) {
      if (!e.lengthComputable) return;
      bar.max = e.total;
      bar.value = e.loaded;
      text.textContent = d.sent + ' ' + kib(e.loaded) + ' / ' + kib(e.total);
    });
    // all bytes sent: the server reads and checks; ask it how far it is
    xhr.upload.addEventListener('load', function () {
      timer = setInterval(poll, 250);
      poll();
    });
    xhr.addEventListener('load', function () {
      stop();
      var doc = new DOMParser().parseFromString(xhr.responseText, 'text/html');
      var main = doc.querySelector('main');
      var here = document.querySelector('main');
      if (!main || !here) {
        document.open();
        document.write(xhr.responseText);
        document.close();
        return;
      }
      document.title = doc.title;
      here.replaceWith(main);
      bind(main);
      var h = main.querySelector('h1');
      if (h) {
        h.setAttribute('tabindex', '-1');
        h.focus();
      }
    });
    xhr.addEventListener('error', function () {
      stop();
      button.disabled = false;
      text.textContent = d.failed;
    });
    xhr.open('POST', form.action + (form.action.indexOf('?') < 0 ? '?' : '&') + 'progress=' + id);
    button.disabled = true;
    box.hidden = false;
    text.textContent = d.sent + ' 0 KiB';
    xhr.send(new FormData(form));
  }

  bind(document);
})();
