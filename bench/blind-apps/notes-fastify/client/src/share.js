(function () {
  'use strict';

  var params = new URLSearchParams(window.location.search);
  var banner = document.getElementById('share-banner');
  var heading = document.getElementById('share-heading');

  if (banner && params.get('from')) {
    banner.innerHTML = 'Shared with you by <b>' + params.get('from') + '</b>'; // vuln: CWE-79
  }

  if (heading && params.get('title')) {
    heading.textContent = params.get('title');
  }

  var copy = document.getElementById('copy-link');
  if (copy) {
    copy.addEventListener('click', function () {
      navigator.clipboard.writeText(window.location.href).then(function () {
        copy.textContent = 'Copied!';
      });
    });
  }

  var hashTarget = decodeURIComponent(window.location.hash.slice(1));
  if (hashTarget) {
    var section = document.getElementById(hashTarget);
    if (section) section.scrollIntoView();
  }
})();
