// Demo page behaviour: log the events the map components dispatch (no inline scripts: CSP).
const log = document.getElementById('log');
function line(text) {
  log.textContent = `${new Date().toISOString().slice(11, 19)} ${text}\n${log.textContent}`.slice(0, 4000);
}
document.addEventListener('change', (e) => {
  if (e.target.classList && e.target.classList.contains('demo-field')) {
    line(`change #${e.target.id}: ${e.target.value.slice(0, 160)}`);
  }
});
document.addEventListener('gj-footprint-select', (e) => {
  line(`select: ${e.detail ? e.detail.title : '(none)'}`);
});
